package archive

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/reapd/reapd/trackfile"
)

// Close stops ingest (503), stops and waits for the finalizer that Start
// started, and finalizes what is due at that moment: a complete period
// staged just before Close is in its track file when Close returns.
func TestCloseDrainsIngestStopsTheFinalizerAndFlushesDuePeriods(t *testing.T) {
	clk := newClock(testEpoch)
	r := newRig(t, &Options{Now: clk.now, FinalizeTick: time.Hour, RescanInterval: time.Hour,
		Defaults: ChannelConfig{SegmentDuration: trackfile.Rational{Num: 2, Den: 1}, StoragePeriod: 10 * time.Second}}, nil)
	ctx, cancel := context.WithCancel(context.Background())
	r.a.Start(ctx)
	r.a.Start(ctx) // a second Start is a no-op
	cancel()       // the finalizer outlives the start context; Close stops it
	// Wait for the finalizer's first pass (its next is an hour away), so
	// that only Close can finalize what is sent now.
	for deadline := time.Now().Add(30 * time.Second); r.a.passes.Load() == 0; {
		if time.Now().After(deadline) {
			t.Fatal("the finalizer made no pass in 30 s")
		}
		time.Sleep(time.Millisecond) // polling the condition, not waiting for time
	}
	sendHeader(r)
	for i := int64(0); i < periodN; i++ {
		r.mustSend("POST", fmt.Sprintf("/ingest/ch1/a/%d.cmfa", i), segAt(n0+i))
	}
	key := fmt.Sprintf("ch1/a/%d.cmfa", k0)
	if _, err := r.store.Stat(context.Background(), key); err == nil {
		t.Fatal("finalized before Close with an hour-long tick: the test cannot tell Close's flush")
	}
	if err := r.a.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := r.store.Stat(context.Background(), key); err != nil {
		t.Errorf("the complete period was not finalized by Close: %v", err)
	}
	select {
	case <-r.a.runDone:
	default:
		t.Error("Close returned before the finalizer's goroutine did")
	}
	if code, _ := r.send("POST", "/ingest/ch1/a/9.cmfa", segAt(n0+9)); code != http.StatusServiceUnavailable {
		t.Errorf("ingest after Close: %d, want 503", code)
	}
	if err := r.a.Close(context.Background()); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

// Every error category maps to its status in statusOf, the one place at
// the HTTP edge, and keeps its own message.
func TestErrorCategoriesMapToStatuses(t *testing.T) {
	for kind, want := range map[error]int{
		ErrBadRequest: 400, ErrUnauthorized: 401, ErrForbidden: 403, ErrNoHeader: 412, ErrTooMany: 429,
		ErrTooLarge: 413, ErrUnavailable: 503, ErrClientGone: 499, ErrOverBudget: 503,
	} {
		err := fmt.Errorf("channel c: %w", fail(kind, "track %s: detail", "v"))
		if got := statusOf(err); got != want {
			t.Errorf("%v: status %d, want %d", kind, got, want)
		}
		if !errors.Is(err, kind) {
			t.Errorf("%v: errors.Is fails", kind)
		}
		if err.Error() != "channel c: track v: detail" {
			t.Errorf("%v: message %q", kind, err.Error())
		}
	}
	cause := errors.New("unexpected EOF")
	err := failWith(ErrClientGone, failWith(ErrBadRequest, cause, "reading the body"), "client closed the request mid-body")
	if statusOf(err) != 499 || !errors.Is(err, cause) || !errors.Is(err, ErrBadRequest) {
		t.Errorf("a cut body: status %d, chain %v", statusOf(err), err)
	}
}
