package blobstore

import (
	"context"
	"math/rand/v2"
	"time"
)

// do runs fn as operation op on key: after the key was validated, each
// attempt first checks that the store is open and the context alive, then
// consults Options.Fault, then calls fn. A transient ErrUnavailable is
// retried with backoff when retry is true, at most MaxAttempts times in
// all. The returned error is nil or an *Error.
func (s *Store) do(ctx context.Context, op Op, key string, retry bool, fn func(ctx context.Context) error) error {
	attempts := s.maxAttempts
	if !retry {
		attempts = 1
	}
	delay := s.retryDelay
	for i := 1; ; i++ {
		e := s.attempt(ctx, op, key, fn)
		if e == nil {
			return nil
		}
		if !e.retry || i >= attempts {
			return e
		}
		t := time.NewTimer(jitter(delay))
		select {
		case <-ctx.Done():
			t.Stop()
			return &Error{Op: op, Key: key, Err: ctx.Err()}
		case <-t.C:
		}
		delay = min(2*delay, 4*s.retryDelay)
	}
}

// attempt is one try of do.
func (s *Store) attempt(ctx context.Context, op Op, key string, fn func(ctx context.Context) error) *Error {
	if s.closed.Load() {
		return newError(op, key, ErrUnavailable, "store is closed")
	}
	if err := ctx.Err(); err != nil {
		return &Error{Op: op, Key: key, Err: err}
	}
	if s.fault != nil {
		if err := s.fault(op, key); err != nil {
			return classify(ctx, op, key, err)
		}
	}
	if err := fn(ctx); err != nil {
		if s.closed.Load() {
			// gocloud reports a closed bucket as FailedPrecondition, which
			// must not read as ErrExists.
			return newError(op, key, ErrUnavailable, "store is closed")
		}
		return classify(ctx, op, key, err)
	}
	return nil
}

// jitter spreads d by ±25% so that writers failing together do not retry
// together.
func jitter(d time.Duration) time.Duration {
	if d <= 0 {
		return 0
	}
	return d*3/4 + rand.N(d/2+1)
}
