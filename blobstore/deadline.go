package blobstore

import (
	"context"
	"errors"
	"fmt"
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
	limit := s.attemptMax
	if d, ok := ctx.Value(attemptKey{}).(time.Duration); ok {
		limit = d
	}
	if limit <= 0 {
		return s.do(ctx, op, key, true, fn)
	}
	limit += time.Duration(float64(size) / AttemptMinRate * float64(time.Second))
	return s.doWithin(ctx, op, key, true, limit, fn)
}

// runTimed runs fn with a deadline of limit, in a goroutine of its own, so
// that a call stuck past it (in a system call that ignores its context)
// is left to finish in the background.
func runTimed(ctx context.Context, limit time.Duration, fn func(ctx context.Context) error) error {
	actx, cancel := context.WithTimeout(ctx, limit)
	defer cancel() // not before the select: a cancelled actx would read as a timeout
	done := make(chan error, 1)
	go func() { done <- fn(actx) }()
	select {
	case err := <-done:
		if err != nil && ctx.Err() == nil && errors.Is(actx.Err(), context.DeadlineExceeded) {
			return timeoutError(limit, err)
		}
		return err
	case <-actx.Done():
		if err := ctx.Err(); err != nil {
			return err
		}
		return timeoutError(limit, nil)
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
