package blobstore

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"
)

// TestAttemptDeadlineOnAHangingStore: a store that hangs (here: every
// create blocks until the test ends, ignoring its context, as a stuck file
// system would) fails the operation with ErrUnavailable at the attempt's
// deadline, once, without retries; other operations are unaffected.
func TestAttemptDeadlineOnAHangingStore(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	var calls atomic.Int32
	st, err := Open(context.Background(), "mem://", &Options{
		AttemptTimeout: 200 * time.Millisecond,
		Fault: func(op Op, key string) error {
			if op == OpCreate {
				calls.Add(1)
				<-release
			}
			return nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	start := time.Now()
	err = st.Create(context.Background(), "a/b", []byte("x"))
	took := time.Since(start)
	if !errors.Is(err, ErrUnavailable) || !errors.Is(err, errAttemptTimeout) {
		t.Fatalf("create on a hanging store: %v, want ErrUnavailable (timed out)", err)
	}
	if took < 200*time.Millisecond || took > 2*time.Second {
		t.Fatalf("create on a hanging store answered after %v, want about 200 ms", took)
	}
	if n := calls.Load(); n != 1 {
		t.Fatalf("a timed-out attempt was tried %d times, want once", n)
	}
	if err := st.Put(context.Background(), "c", []byte("y")); err != nil {
		t.Fatalf("put (not hanging): %v", err)
	}
}

// TestAttemptDeadlineGrowsWithSize: a write gets its size at
// AttemptMinRate on top of AttemptTimeout, so a large object on a slow
// store is not cut.
func TestAttemptDeadlineGrowsWithSize(t *testing.T) {
	st, err := Open(context.Background(), "mem://", &Options{
		AttemptTimeout: 100 * time.Millisecond,
		Fault: func(op Op, key string) error {
			if op == OpCreate {
				time.Sleep(300 * time.Millisecond) // a slow transfer, not a hang
			}
			return nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.Create(context.Background(), "small", []byte("x")); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("small create slower than its deadline: %v, want ErrUnavailable", err)
	}
	big := make([]byte, AttemptMinRate) // one more second
	if err := st.Create(context.Background(), "big", big); err != nil {
		t.Fatalf("large create within its deadline: %v", err)
	}
}

// TestWithAttemptTimeoutOverridesTheStore: the deadline of a context
// applies to a store without one.
func TestWithAttemptTimeoutOverridesTheStore(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	st, err := Open(context.Background(), "mem://", &Options{Fault: func(op Op, key string) error {
		if op == OpStat {
			<-release
		}
		return nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := WithAttemptTimeout(context.Background(), 100*time.Millisecond)
	if _, err := st.Stat(ctx, "k"); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("stat on a hanging store under WithAttemptTimeout: %v, want ErrUnavailable", err)
	}
}

// TestRunTimedFastAttemptIsNeverATimeout: an attempt that returns before
// its deadline gives its own result, every time.
func TestRunTimedFastAttemptIsNeverATimeout(t *testing.T) {
	errX := errors.New("x")
	for i := range 2000 {
		err := runTimed(context.Background(), time.Hour, nil, func(context.Context) error { return errX })
		if !errors.Is(err, errX) || errors.Is(err, errAttemptTimeout) {
			t.Fatalf("attempt %d: %v, want its own error", i, err)
		}
	}
}

// TestObserveSeesEveryOperation: Options.Observe is called once per
// operation, with its error.
func TestObserveSeesEveryOperation(t *testing.T) {
	type seen struct {
		op  Op
		err error
	}
	var got []seen
	st, err := Open(context.Background(), "mem://", &Options{Observe: func(op Op, _ time.Duration, err error) {
		got = append(got, seen{op, err})
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	got = nil // the probe of Open
	_ = st.Create(ctx, "k", []byte("x"))
	_ = st.Create(ctx, "k", []byte("x"))
	_, _ = st.Get(ctx, "missing")
	if len(got) != 3 || got[0].op != OpCreate || got[0].err != nil ||
		!errors.Is(got[1].err, ErrExists) || got[2].op != OpRead || !errors.Is(got[2].err, ErrNotFound) {
		t.Fatalf("observed %+v, want create ok, create exists, read not found", got)
	}
}

// slowKeyStore returns a memory store with attempts of 200 ms whose
// operations on key first run wait.
func slowKeyStore(t *testing.T, key string, wait func()) *Store {
	st, err := Open(context.Background(), "mem://", &Options{
		AttemptTimeout: 200 * time.Millisecond,
		Fault: func(op Op, k string) error {
			if k == key {
				wait()
			}
			return nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// answering keeps st busy with quick puts (other operations that the
// store answers) until the returned func is called.
func answering(t *testing.T, st *Store) (stop func()) {
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		for {
			select {
			case <-done:
				return
			default:
			}
			if err := st.Put(context.Background(), "tick", []byte("t")); err != nil {
				t.Errorf("put: %v", err)
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
	}()
	return func() { close(done); <-finished }
}

// TestAttemptDeadlineWaitsWhileTheStoreAnswers: an attempt that passes
// its deadline while the store goes on answering other operations is
// queued, not hung (a disk saturated by fsyncs): it is not cut, and
// succeeds; the same attempt on a store that answers nothing else fails
// at the deadline (TestAttemptDeadlineOnAHangingStore).
func TestAttemptDeadlineWaitsWhileTheStoreAnswers(t *testing.T) {
	st := slowKeyStore(t, "slow", func() { time.Sleep(700 * time.Millisecond) }) // 3.5 deadlines, under hangFactor
	stop := answering(t, st)
	defer stop()
	if err := st.Create(context.Background(), "slow", []byte("x")); err != nil {
		t.Fatalf("a slow create on a store that answers: %v, want it done", err)
	}
}

// TestAttemptDeadlineCapsAQueuedAttempt: however busy the store, an
// attempt that never comes back fails at hangFactor deadlines.
func TestAttemptDeadlineCapsAQueuedAttempt(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	st := slowKeyStore(t, "stuck", func() { <-release })
	stop := answering(t, st)
	defer stop()
	start := time.Now()
	err := st.Create(context.Background(), "stuck", []byte("x"))
	took := time.Since(start)
	if !errors.Is(err, ErrUnavailable) || !errors.Is(err, errAttemptTimeout) {
		t.Fatalf("a stuck create: %v, want ErrUnavailable (timed out)", err)
	}
	if took < hangFactor*200*time.Millisecond || took > 4*time.Second {
		t.Fatalf("a stuck create failed after %v, want about %v", took, hangFactor*200*time.Millisecond)
	}
}
