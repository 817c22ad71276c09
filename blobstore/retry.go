package blobstore

import (
	"context"
	"errors"
	"math/rand/v2"
	"time"
)

// do runs fn as operation op on key: after the key was validated, each
// attempt first checks that the store is open and the context alive, then
// consults Options.Fault, then calls fn. A transient ErrUnavailable is
// retried with backoff when retry is true, at most MaxAttempts times in
// all. The returned error is nil or an *Error.
func (s *Store) do(ctx context.Context, op Op, key string, retry bool, fn func(ctx context.Context) error) error {
	return s.doWithin(ctx, op, key, retry, 0, fn)
}

// doWithin is do with a deadline of limit on each attempt (0: none; see
// runTimed), Fault included.
func (s *Store) doWithin(ctx context.Context, op Op, key string, retry bool, limit time.Duration, fn func(ctx context.Context) error) error {
	if s.observe == nil {
		return s.tries(ctx, op, key, retry, limit, fn)
	}
	start := time.Now()
	err := s.tries(ctx, op, key, retry, limit, fn)
	s.observe(op, time.Since(start), err)
	return err
}

// tries runs the attempts of doWithin.
func (s *Store) tries(ctx context.Context, op Op, key string, retry bool, limit time.Duration, fn func(ctx context.Context) error) error {
	attempts := s.maxAttempts
	if !retry {
		attempts = 1
	}
	delay := s.retryDelay
	for i := 1; ; i++ {
		e := s.attempt(ctx, op, key, limit, fn)
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
func (s *Store) attempt(ctx context.Context, op Op, key string, limit time.Duration, fn func(ctx context.Context) error) *Error {
	if s.closed.Load() {
		return newError(op, key, ErrUnavailable, "store is closed")
	}
	if err := ctx.Err(); err != nil {
		return &Error{Op: op, Key: key, Err: err}
	}
	call := func(ctx context.Context) error {
		if s.fault != nil {
			if err := s.fault(op, key); err != nil {
				return faulted{err}
			}
		}
		return fn(ctx)
	}
	var err error
	if limit > 0 {
		err = runTimed(ctx, limit, &s.progress, call)
	} else {
		err = call(ctx)
	}
	if !errors.Is(err, errAttemptTimeout) {
		s.progress.Store(time.Now().UnixNano()) // the store answered
	}
	var f faulted
	if errors.As(err, &f) {
		return classify(ctx, op, key, f.err)
	}
	if err != nil {
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

// faulted carries an error of Options.Fault out of an attempt: it is
// classified as it is, whatever the state of the store.
type faulted struct{ err error }

func (f faulted) Error() string { return f.err.Error() }
