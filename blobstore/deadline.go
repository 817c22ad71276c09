package blobstore

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"
)

type attemptKey struct{}

// WithAttemptTimeout returns a context under which Create, Put, Stat and
// Delete have a deadline of d on each attempt (plus the size of a write at
// AttemptMinRate), whatever Options.AttemptTimeout says; d <= 0: none.
// Ingest uses it, so that an encoder hears of a store that hangs within
// seconds (503 and Retry-After) while the finalizer may wait.
func WithAttemptTimeout(ctx context.Context, d time.Duration) context.Context {
	return context.WithValue(ctx, attemptKey{}, d)
}

// errAttemptTimeout marks an attempt abandoned at its deadline.
var errAttemptTimeout = errors.New("store attempt timed out")

// doTimed is do with a deadline on each attempt (Options.AttemptTimeout,
// plus size at AttemptMinRate): an attempt that passes it fails with
// ErrUnavailable and is not retried.
func (s *Store) doTimed(ctx context.Context, op Op, key string, size int, fn func(ctx context.Context) error) error {
	limit := s.attemptLimit(ctx, size)
	if limit <= 0 {
		return s.do(ctx, op, key, true, fn)
	}
	return s.doWithin(ctx, op, key, true, limit, fn)
}

// attemptLimit is the deadline of an attempt to write size bytes under
// ctx (see doTimed); 0: none.
func (s *Store) attemptLimit(ctx context.Context, size int) time.Duration {
	limit := s.attemptMax
	if d, ok := ctx.Value(attemptKey{}).(time.Duration); ok {
		limit = d
	}
	if limit <= 0 {
		return 0
	}
	return limit + time.Duration(float64(size)/AttemptMinRate*float64(time.Second))
}

// hangFactor bounds how long an attempt may outlive its deadline while
// the store keeps answering other operations: limit × hangFactor.
const hangFactor = 5

// runTimed runs fn with a deadline of limit, in a goroutine of its own, so
// that a call stuck past it (in a system call that ignores its context)
// is left to finish in the background. The deadline tells a store that
// hangs from one that is slow: when it passes while the store completed
// another operation within the last limit (a disk saturated by fsyncs, an
// S3 endpoint under load), the attempt is making its way through a queue
// and gets another limit, up to limit × hangFactor in all; when the store
// completed nothing meanwhile, it hangs, and the attempt fails at once.
// progress holds the UnixNano time of the store's last completion (nil:
// the deadline is strict).
func runTimed(ctx context.Context, limit time.Duration, progress *atomic.Int64, fn func(ctx context.Context) error) error {
	actx, cancel := context.WithCancel(ctx)
	defer cancel() // an abandoned attempt stops at its next context check
	done := make(chan error, 1)
	go func() { done <- fn(actx) }()
	start := time.Now()
	t := time.NewTimer(limit)
	defer t.Stop()
	for {
		select {
		case err := <-done:
			return err
		case <-t.C:
			now := time.Now()
			if progress != nil && now.Sub(start) < hangFactor*limit && progress.Load() > now.Add(-limit).UnixNano() {
				t.Reset(min(limit, start.Add(hangFactor*limit).Sub(now)))
				continue
			}
			return timeoutError(now.Sub(start).Round(time.Millisecond), nil)
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// timeoutError is the error of an attempt that passed its deadline: a
// final ErrUnavailable (see classify), so the operation is not retried.
func timeoutError(limit time.Duration, cause error) error {
	err := fmt.Errorf("%w after %v (the store hangs)", errAttemptTimeout, limit)
	if cause != nil {
		err = fmt.Errorf("%w: %v", err, cause)
	}
	return kinded{kind: ErrUnavailable, final: true, err: err}
}
