package catchup

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/reapd/reapd/blobstore"
	"github.com/reapd/reapd/trackfile"
)

// TestIndexRefreshIsOneFlightWaitersMayLeave: while the store hangs on
// listing a channel's index, requests that need a fresh listing share one
// listing, one whose context ends leaves at once (it does not queue
// behind the listing), and the others get the result when it comes.
func TestIndexRefreshIsOneFlightWaitersMayLeave(t *testing.T) {
	var block atomic.Bool
	var lists atomic.Int32
	release := make(chan struct{})
	st, err := blobstore.Open(context.Background(), "mem://", &blobstore.Options{Fault: func(op blobstore.Op, key string) error {
		if op == blobstore.OpList && strings.HasSuffix(key, "/index/") && block.Load() {
			lists.Add(1)
			<-release
		}
		return nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	raw, err := trackfile.MarshalTiming(trackfile.ChannelTiming{SegmentDuration: trackfile.Rational{Num: 2, Den: 1}, PeriodSegments: 1800})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Create(ctx, trackfile.TimingKey("ch1"), raw); err != nil {
		t.Fatal(err)
	}
	s := New(st, &Options{IndexTTL: time.Hour})
	c, err := s.channel(ctx, "ch1")
	if err != nil {
		t.Fatal(err)
	}
	block.Store(true)
	c.invalidate()
	var wg sync.WaitGroup
	errs := make([]error, 5)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = c.grid(ctx)
		}()
	}
	// Wait for the flight to be listing.
	for deadline := time.Now().Add(10 * time.Second); lists.Load() == 0; {
		if time.Now().After(deadline) {
			t.Fatal("no listing started")
		}
		time.Sleep(time.Millisecond)
	}
	short, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	left := make(chan error, 1)
	go func() { _, err := c.grid(short); left <- err }()
	select {
	case err := <-left:
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("a request whose context ends during the listing: %v, want its context's error", err)
		}
	case <-time.After(5 * time.Second):
		t.Errorf("a request whose context ended still waits for the listing after 5 s")
	}
	close(release)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("waiter %d: %v", i, err)
		}
	}
	if n := lists.Load(); n != 1 {
		t.Errorf("%d listings for 6 requests during one refresh, want 1", n)
	}
}
