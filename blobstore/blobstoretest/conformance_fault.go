package blobstoretest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/reapd/reapd/blobstore"
)

var errInjected = errors.New("conformance: injected fault")

// faults records the calls of a Fault function and answers them with fail.
type faults struct {
	mu    sync.Mutex
	calls []string
	fail  func(op blobstore.Op, key string, n int) error // n counts calls from 1
}

func (f *faults) fault(op blobstore.Op, key string) error {
	f.mu.Lock()
	f.calls = append(f.calls, fmt.Sprintf("%s %s", op, key))
	n := len(f.calls)
	f.mu.Unlock()
	if f.fail == nil {
		return nil
	}
	return f.fail(op, key, n)
}

func (f *faults) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.calls)
}

// view returns a view of s with f injected and quick retries.
func (f *faults) view(s *blobstore.Store, attempts int) *blobstore.Store {
	return s.WithOptions(&blobstore.Options{Fault: f.fault, MaxAttempts: attempts, RetryDelay: time.Millisecond})
}

func testFaults(t *testing.T, s *blobstore.Store, ns string) {
	ctx := t.Context()
	key := ns + "f.m4s"

	t.Run("every op consults Fault", func(t *testing.T) {
		f := &faults{}
		v := f.view(s, 3)
		_ = v.Create(ctx, key, []byte("x"))
		_ = v.CreateFrom(ctx, key+"2", func(io.Writer) error { return nil })
		_ = v.Put(ctx, key+"3", []byte("x"))
		_, _ = v.Get(ctx, key)
		if r, err := v.NewRangeReader(ctx, key, 0, 1); err == nil {
			_ = r.Close()
		}
		_, _ = v.Stat(ctx, key)
		_, _ = v.List(ctx, ns)
		_, _ = v.ListDirs(ctx, ns)
		_ = v.Delete(ctx, key+"3")
		want := []string{"create " + key, "create " + key + "2", "put " + key + "3", "read " + key, "read " + key,
			"stat " + key, "list " + ns, "list " + ns, "delete " + key + "3"}
		if !slices.Equal(f.calls, want) {
			t.Errorf("Fault calls:\n got %q\nwant %q", f.calls, want)
		}
	})
	t.Run("persistent fault fails after every attempt", func(t *testing.T) {
		f := &faults{fail: func(blobstore.Op, string, int) error { return errInjected }}
		_, err := f.view(s, 3).Get(ctx, key)
		wantErr(t, err, blobstore.ErrUnavailable, blobstore.OpRead, key)
		if !errors.Is(err, errInjected) {
			t.Errorf("error does not wrap the fault: %v", err)
		}
		if n := f.count(); n != 3 {
			t.Errorf("Fault called %d times, want 3 attempts", n)
		}
		f = &faults{fail: func(blobstore.Op, string, int) error { return fmt.Errorf("x: %w", blobstore.ErrUnavailable) }}
		err = f.view(s, 3).Delete(ctx, key)
		wantErr(t, err, blobstore.ErrUnavailable, blobstore.OpDelete, key)
		if n := f.count(); n != 3 {
			t.Errorf("explicit ErrUnavailable: Fault called %d times, want 3 attempts", n)
		}
		f = &faults{fail: func(blobstore.Op, string, int) error { return errInjected }}
		_, err = f.view(s, 1).Stat(ctx, key)
		wantErr(t, err, blobstore.ErrUnavailable, blobstore.OpStat, key)
		if n := f.count(); n != 1 {
			t.Errorf("MaxAttempts 1: Fault called %d times", n)
		}
	})
	t.Run("transient fault is retried", func(t *testing.T) {
		f := &faults{fail: func(_ blobstore.Op, _ string, n int) error {
			if n == 1 {
				return errInjected
			}
			return nil
		}}
		if err := f.view(s, 3).Create(ctx, ns+"retried", []byte("ok")); err != nil {
			t.Fatalf("Create after one fault: %v", err)
		}
		if n := f.count(); n != 2 {
			t.Errorf("Fault called %d times, want 2", n)
		}
		wantContent(t, s, ns+"retried", []byte("ok"))
	})
	t.Run("fault with a category keeps it and is not retried", func(t *testing.T) {
		for _, c := range []error{blobstore.ErrNotFound, blobstore.ErrExists, blobstore.ErrInvalidKey} {
			f := &faults{fail: func(blobstore.Op, string, int) error { return fmt.Errorf("injected: %w", c) }}
			err := f.view(s, 3).Create(ctx, ns+"cat", []byte("x"))
			wantErr(t, err, c, blobstore.OpCreate, ns+"cat")
			if n := f.count(); n != 1 {
				t.Errorf("%v: Fault called %d times, want 1", c, n)
			}
		}
		wantAbsent(t, s, ns+"cat")
	})
	t.Run("CreateFrom is not retried", func(t *testing.T) {
		f := &faults{fail: func(blobstore.Op, string, int) error { return errInjected }}
		err := f.view(s, 3).CreateFrom(ctx, ns+"cf", func(io.Writer) error {
			t.Error("write called despite the fault")
			return nil
		})
		wantErr(t, err, blobstore.ErrUnavailable, blobstore.OpCreate, ns+"cf")
		if n := f.count(); n != 1 {
			t.Errorf("Fault called %d times, want 1", n)
		}
		wantAbsent(t, s, ns+"cf")
	})
	t.Run("retry backoff honours the context", func(t *testing.T) {
		f := &faults{fail: func(blobstore.Op, string, int) error { return errInjected }}
		v := s.WithOptions(&blobstore.Options{Fault: f.fault, MaxAttempts: 5, RetryDelay: time.Hour})
		ctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
		defer cancel()
		start := time.Now()
		_, err := v.Get(ctx, key)
		if !errors.Is(err, context.DeadlineExceeded) || errorsIsAny(err) {
			t.Errorf("got %v, want a bare context.DeadlineExceeded", err)
		}
		if d := time.Since(start); d > 10*time.Second {
			t.Errorf("Get took %v despite the deadline", d)
		}
	})
}

func testContext(t *testing.T, s *blobstore.Store, ns string) {
	key := ns + "ctx"
	mustCreate(t, s, key, []byte("x"))
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	check := func(what string, err error) {
		t.Helper()
		if !errors.Is(err, context.Canceled) || errorsIsAny(err) {
			t.Errorf("%s with a cancelled context: got %v, want a bare context.Canceled", what, err)
		}
	}
	_, err := s.Get(ctx, key)
	check("Get", err)
	_, err = s.Stat(ctx, key)
	check("Stat", err)
	_, err = s.List(ctx, ns)
	check("List", err)
	check("Create", s.Create(ctx, ns+"new", []byte("x")))
	check("Put", s.Put(ctx, ns+"new", []byte("x")))
	check("Delete", s.Delete(ctx, key))
	wantAbsent(t, s, ns+"new")
	wantContent(t, s, key, []byte("x"))
}

func testClose(t *testing.T, s *blobstore.Store, ns string) {
	key := ns + "c"
	mustCreate(t, s, key, []byte("x"))
	view := s.WithOptions(nil)
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	_, err := s.Get(t.Context(), key)
	wantErr(t, err, blobstore.ErrUnavailable, blobstore.OpRead, key)
	wantErr(t, s.Create(t.Context(), ns+"d", nil), blobstore.ErrUnavailable, blobstore.OpCreate, ns+"d")
	_, err = view.Stat(t.Context(), key)
	wantErr(t, err, blobstore.ErrUnavailable, blobstore.OpStat, key)
}
