package archive

import (
	"context"
	"errors"
	"io"
	"net/http"
	"runtime"
	"testing"
	"time"
)

// TestStoreClockEdges: the clock runs out after d of work at a stretch,
// not before; time spent waiting for the body does not count, and each
// read starts the stretch anew.
func TestStoreClockEdges(t *testing.T) {
	const d = 200 * time.Millisecond
	c := newStoreClock(context.Background(), d)
	defer c.stop()
	time.Sleep(d / 2) // working, d/2
	c.waiting()
	time.Sleep(2 * d) // waiting does not count
	if c.Err() != nil {
		t.Fatalf("ran out while waiting: %v", c.Err())
	}
	c.working()
	time.Sleep(d / 2)
	c.waiting()
	c.working() // a read: the stretch starts anew
	time.Sleep(3 * d / 4)
	if c.Err() != nil {
		t.Fatalf("ran out before d of work at a stretch: %v", c.Err())
	}
	select {
	case <-c.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("never ran out while working")
	}
	if c.Err() != context.DeadlineExceeded {
		t.Errorf("Err %v, want DeadlineExceeded", c.Err())
	}
	c.waiting()
	c.working()
	if c.Err() == nil {
		t.Error("a clock that ran out came back")
	}
}

// TestStreamsPOSTLongerThanStoreTimeout: a Streams() POST that lasts five
// times StoreTimeout, sending a segment every StoreTimeout/2, has every
// segment staged.
func TestStreamsPOSTLongerThanStoreTimeout(t *testing.T) {
	const timeout = 200 * time.Millisecond
	r := newRig(t, &Options{StoreTimeout: timeout}, nil)
	pr, pw := io.Pipe()
	go func() {
		pw.Write(tr.Header())
		for i := int64(0); i < 10; i++ {
			pw.Write(segAt(n0 + i))
			time.Sleep(timeout / 2)
		}
		pw.Close()
	}()
	if code, msg := r.sendReader(http.MethodPost, "/ingest/ch1/Streams(a.cmfa)", pr); code != http.StatusOK {
		t.Fatalf("POST: %d %s", code, msg)
	}
	if got := len(r.staged("ch1", "a")); got != 10 {
		t.Errorf("%d segments staged, want 10", got)
	}
}

// TestStoreClockChildrenNeedNoGoroutine: a context.WithCancel under the
// clock (each store attempt makes one) starts no goroutine to wait for
// the clock, and is done, with DeadlineExceeded, when the clock runs out.
func TestStoreClockChildrenNeedNoGoroutine(t *testing.T) {
	c := newStoreClock(context.Background(), time.Hour)
	defer c.stop()
	before := runtime.NumGoroutine()
	var children []context.Context
	for range 200 {
		child, cancel := context.WithCancel(c)
		defer cancel()
		children = append(children, child)
	}
	if n := runtime.NumGoroutine() - before; n > 10 {
		t.Fatalf("200 children of the clock started %d goroutines", n)
	}
	c.runOut() // the clock runs out
	for _, child := range children {
		select {
		case <-child.Done():
		case <-time.After(5 * time.Second):
			t.Fatal("a child was not cancelled when the clock ran out")
		}
		if !errors.Is(child.Err(), context.DeadlineExceeded) {
			t.Fatalf("child's Err %v, want DeadlineExceeded", child.Err())
		}
	}
}
