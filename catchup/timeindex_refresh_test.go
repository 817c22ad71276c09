package catchup

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/reapd/reapd/blobstore"
	"github.com/reapd/reapd/trackfile"
)

// hangingList is a mem store with channel ch1's timing (and objects)
// whose listings of the prefixes hang says hang on, while blocked, until
// release is closed; lists counts them, and listing hears of each.
type hangingList struct {
	st      *blobstore.Store
	blocked atomic.Bool
	lists   atomic.Int32
	listing chan struct{}
	release chan struct{}
}

func newHangingList(t *testing.T, hang func(prefix string) bool, objects ...string) *hangingList {
	t.Helper()
	h := &hangingList{listing: make(chan struct{}, 1), release: make(chan struct{})}
	st, err := blobstore.Open(context.Background(), "mem://", &blobstore.Options{Fault: func(op blobstore.Op, key string) error {
		if op == blobstore.OpList && hang(key) && h.blocked.Load() {
			h.lists.Add(1)
			select {
			case h.listing <- struct{}{}:
			default:
			}
			<-h.release
		}
		return nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	raw, err := trackfile.MarshalTiming(trackfile.ChannelTiming{SegmentDuration: trackfile.Rational{Num: 2, Den: 1}, PeriodSegments: 1800})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := st.Create(ctx, trackfile.TimingKey("ch1"), raw); err != nil {
		t.Fatal(err)
	}
	for _, key := range objects {
		if err := st.Create(ctx, key, []byte("x")); err != nil {
			t.Fatal(err)
		}
	}
	h.st = st
	return h
}

// invalidated returns channel ch1 of a catch-up server on the store, its
// index listed once, then invalidated with the listings blocked.
func (h *hangingList) invalidated(t *testing.T) *channelIndex {
	t.Helper()
	s := New(h.st, &Options{IndexTTL: time.Hour})
	c, err := s.channel(context.Background(), "ch1")
	if err != nil {
		t.Fatal(err)
	}
	h.blocked.Store(true)
	c.invalidate()
	return c
}

// waitListing waits until a listing hangs.
func (h *hangingList) waitListing(t *testing.T) {
	t.Helper()
	select {
	case <-h.listing:
	case <-time.After(10 * time.Second):
		t.Fatal("no listing started")
	}
}

// waiters runs n calls of call at once; wait returns their errors.
func waiters(n int, call func() error) (wait func() []error) {
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = call()
		}()
	}
	return func() []error { wg.Wait(); return errs }
}

// checkLeaves checks that call, with a context that ends during the
// listing, returns that context's error at once.
func checkLeaves(t *testing.T, what string, call func(ctx context.Context) error) {
	t.Helper()
	short, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	left := make(chan error, 1)
	go func() { left <- call(short) }()
	select {
	case err := <-left:
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("%s whose context ends during the listing: %v, want its context's error", what, err)
		}
	case <-time.After(5 * time.Second):
		t.Errorf("%s whose context ended still waits for the listing after 5 s", what)
	}
}

// TestIndexRefreshIsOneFlightWaitersMayLeave: while the store hangs on
// listing a channel's index, requests that need a fresh listing share one
// listing, one whose context ends leaves at once (it does not queue
// behind the listing), and the others get the result when it comes.
func TestIndexRefreshIsOneFlightWaitersMayLeave(t *testing.T) {
	h := newHangingList(t, func(prefix string) bool { return prefix == trackfile.IndexPrefix("ch1") })
	ctx := context.Background()
	c := h.invalidated(t)
	wait := waiters(5, func() error { _, err := c.grid(ctx); return err })
	h.waitListing(t)
	checkLeaves(t, "a request", func(ctx context.Context) error { _, err := c.grid(ctx); return err })
	close(h.release)
	for i, err := range wait() {
		if err != nil {
			t.Errorf("waiter %d: %v", i, err)
		}
	}
	if n := h.lists.Load(); n != 1 {
		t.Errorf("%d listings for 6 requests during one refresh, want 1", n)
	}
}

// TestStagedListingIsOneFlightOutsideTheLock: while the store hangs on
// listing a channel's staged segments, requests for the staged view share
// one listing and one whose context ends leaves at once, and requests that
// need only the index (the grid) are answered meanwhile: the listing does
// not hold the channel's lock.
func TestStagedListingIsOneFlightOutsideTheLock(t *testing.T) {
	staged := trackfile.StagedPrefix("ch1", "v1")
	h := newHangingList(t, func(prefix string) bool { return prefix == staged }, staged+"x")
	ctx := context.Background()
	c := h.invalidated(t)
	wait := waiters(3, func() error { _, err := c.stagedAged(ctx, time.Hour); return err })
	h.waitListing(t)
	answered := make(chan error, 1)
	go func() { _, err := c.grid(ctx); answered <- err }()
	select {
	case err := <-answered:
		if err != nil {
			t.Errorf("grid during a staged listing: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Errorf("a request for the grid waits for the staged listing (5 s)")
	}
	checkLeaves(t, "a staged view request", func(ctx context.Context) error { _, err := c.stagedAged(ctx, time.Hour); return err })
	close(h.release)
	for i, err := range wait() {
		if err != nil {
			t.Errorf("waiter %d: %v", i, err)
		}
	}
	if n := h.lists.Load(); n != 1 {
		t.Errorf("%d staged listings for 4 requests during one refresh, want 1", n)
	}
	if sv, err := c.stagedAged(ctx, time.Hour); err != nil || sv == nil {
		t.Errorf("after the listing: %v, %v; want the view kept", sv, err)
	}
	if n := h.lists.Load(); n != 1 {
		t.Errorf("a fresh staged view was listed again (%d listings)", n)
	}
}
