package archive

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/reapd/reapd/trackfile"
)

// fakePacer is a pacer on a fake clock that records its sleeps (and lets
// the clock advance by them).
func fakePacer(rate float64, clk *time.Time, slept *[]time.Duration) *pacer {
	p := newPacer(rate)
	p.now = func() time.Time { return *clk }
	p.sleep = func(_ context.Context, d time.Duration) error {
		*slept = append(*slept, d)
		*clk = clk.Add(d)
		return nil
	}
	return p
}

func TestPacerHoldsTheFixedRate(t *testing.T) {
	clk := time.Unix(1e9, 0)
	var slept []time.Duration
	p := fakePacer(1<<20, &clk, &slept) // 1 MiB/s
	ctx := context.Background()
	_ = p.wait(ctx, finalizeBurst) // the burst goes at once
	if len(slept) != 0 {
		t.Fatalf("slept %v within the burst", slept)
	}
	for range 4 {
		_ = p.wait(ctx, 1<<20)
	}
	var total time.Duration
	for _, d := range slept {
		total += d
	}
	if total < 3900*time.Millisecond || total > 4100*time.Millisecond {
		t.Fatalf("4 MiB past the burst at 1 MiB/s slept %v in all, want 4 s", total)
	}
}

func TestPacerFollowsTheIngestRate(t *testing.T) {
	clk := time.Unix(1e9, 0)
	var slept []time.Duration
	p := fakePacer(0, &clk, &slept)
	ctx := context.Background()
	_ = p.wait(ctx, 0)
	// Ingest stages 100 MB/s for two minutes: the budget grows to about
	// 1.5 times that (the smoothing's time constant is 10 s).
	for range 120 {
		clk = clk.Add(time.Second)
		p.noteStaged(100e6)
		p.mu.Lock()
		p.budgetLocked(clk)
		p.mu.Unlock()
	}
	p.mu.Lock()
	rate := p.budgetLocked(clk)
	p.mu.Unlock()
	if rate < 1.2*100e6 || rate > 1.5*100e6 {
		t.Fatalf("budget %.0f MB/s after 2 min of 100 MB/s ingest, want about 150", rate/1e6)
	}
	// Without ingest, the floor.
	q := fakePacer(0, &clk, &slept)
	q.mu.Lock()
	if r := q.budgetLocked(clk); r != minFinalizeRate {
		t.Fatalf("budget without ingest %.0f, want the floor %d", r, minFinalizeRate)
	}
	q.mu.Unlock()
}

func TestSpreadOffsetIsStableAndApart(t *testing.T) {
	spread := time.Minute
	seen := map[time.Duration]bool{}
	for i := range 50 {
		ch := fmt.Sprintf("ch%d", i)
		d := spreadOffset(ch, 7, spread)
		if d < 0 || d >= spread {
			t.Fatalf("%s: offset %v outside [0, %v)", ch, d, spread)
		}
		if d != spreadOffset(ch, 7, spread) {
			t.Fatalf("%s: offset not stable", ch)
		}
		seen[d] = true
	}
	if len(seen) < 45 {
		t.Fatalf("50 channels got only %d distinct offsets", len(seen))
	}
}

// TestFinalizeSpreadDelaysACompletePeriod: with a spread, a complete
// period waits for its channel's offset after the period's end, then is
// finalized.
func TestFinalizeSpreadDelaysACompletePeriod(t *testing.T) {
	clk := newClock(testEpoch)
	r := newRig(t, &Options{Now: clk.now, FinalizeSpread: time.Hour, Defaults: ChannelConfig{
		SegmentDuration: trackfile.Rational{Num: 2, Den: 1}, StoragePeriod: 10 * time.Second}}, nil)
	sendHeader(r)
	for i := int64(0); i < periodN+1; i++ { // the period and the next one's first segment
		r.mustSend("POST", fmt.Sprintf("/ingest/ch1/a/%d.cmfa", i), segAt(n0+i))
	}
	key := fmt.Sprintf("ch1/a/%d.cmfa", k0)
	end := time.Unix(int64(n0+periodN)*2, 0)
	off := spreadOffset("ch1", k0, time.Second) // a tenth of the 10 s period
	if off == 0 {
		t.Skip("offset 0 for this channel: nothing to observe")
	}
	clk.set(end.Unix())
	r.a.FinalizeDue(context.Background())
	if _, err := r.store.Stat(context.Background(), key); err == nil {
		t.Fatalf("finalized at the period's end, before the channel's offset %v", off)
	}
	clk.ns.Store(end.Add(off).UnixNano())
	r.a.FinalizeDue(context.Background())
	if _, err := r.store.Stat(context.Background(), key); err != nil {
		t.Fatalf("not finalized at the channel's offset %v: %v", off, err)
	}
}

// TestFinalizeSpreadKeepsEarlyAndShutdownFinalizes: a period complete
// before its end is not held by the spread, nor is any due period once the
// archiver shuts down.
func TestFinalizeSpreadKeepsEarlyAndShutdownFinalizes(t *testing.T) {
	clk := newClock(testEpoch)
	r := newRig(t, &Options{Now: clk.now, FinalizeSpread: time.Hour, Defaults: ChannelConfig{
		SegmentDuration: trackfile.Rational{Num: 2, Den: 1}, StoragePeriod: 10 * time.Second}}, nil)
	sendHeader(r)
	for i := int64(0); i < periodN; i++ {
		r.mustSend("POST", fmt.Sprintf("/ingest/ch1/a/%d.cmfa", i), segAt(n0+i))
	}
	r.a.FinalizeDue(context.Background()) // the clock is before the period's end
	if _, err := r.store.Stat(context.Background(), fmt.Sprintf("ch1/a/%d.cmfa", k0)); err != nil {
		t.Fatalf("a period complete before its end waited for the spread: %v", err)
	}
	// The next period, complete after its end: held by the spread until
	// the archiver shuts down.
	for i := int64(periodN); i < 2*periodN+1; i++ {
		r.mustSend("POST", fmt.Sprintf("/ingest/ch1/a/%d.cmfa", i), segAt(n0+i))
	}
	end := time.Unix(int64(n0+2*periodN)*2, 0)
	clk.ns.Store(end.UnixNano())
	key := fmt.Sprintf("ch1/a/%d.cmfa", k0+1)
	if spreadOffset("ch1", k0+1, time.Second) > 0 {
		r.a.FinalizeDue(context.Background())
		if _, err := r.store.Stat(context.Background(), key); err == nil {
			t.Fatal("finalized at the period's end, before the channel's turn")
		}
	}
	if err := r.a.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	r.a.FinalizeDue(context.Background())
	if _, err := r.store.Stat(context.Background(), key); err != nil {
		t.Fatalf("not finalized at shutdown: %v", err)
	}
}
