package retention

import (
	"context"
	"errors"
	"maps"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/reapd/reapd/retention/retentiontest"
	"github.com/reapd/reapd/trackfile"
	"github.com/reapd/reapd/trackfile/trackfiletest"
)

func ks(offsets ...int64) []int64 {
	out := make([]int64, len(offsets))
	for i, o := range offsets {
		out[i] = k0 + o
	}
	return out
}

func sortedKeys(m map[int64]bool) []int64 { return slices.Sorted(maps.Keys(m)) }

func deletedKs(pl Plan) []int64 {
	var out []int64
	for _, p := range pl.Delete {
		out = append(out, p.K)
	}
	return out
}

// TestRetentionByAgeKeepsHoldsAndRecordings: periods that ended more than
// MaxAge ago go, oldest first, except those overlapping a hold or a
// recording window; the newer ones, their files and the header stay, and
// the archive S-MPD names no deleted file.
func TestRetentionByAgeKeepsHoldsAndRecordings(t *testing.T) {
	r := newRig(t, 10) // periods k0 … k0+9; now is 1 s after the end of k0+9
	ctx := context.Background()
	if _, err := CreateHold(ctx, r.store, Hold{Channel: "ch1", From: at(15), To: at(17), Reason: "legal"}, r.clock()); err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	m := NewMetrics(reg)
	ret := r.retention(Options{Metrics: m, Defaults: Policy{MaxAge: 35 * time.Second},
		Keep: func(_ context.Context, ch string) ([]Window, error) {
			return []Window{{From: at(39), To: at(41), Reason: "recording news"}}, nil // touches k0+3 and k0+4
		}})
	dry, err := ret.Run(ctx, "ch1", true)
	if err != nil {
		t.Fatal(err)
	}
	want := ks(0, 2, 5) // expired: k0 … k0+5 (ended by now-35 s); kept: k0+1 (hold), k0+3, k0+4 (recording)
	if got := deletedKs(dry); !slices.Equal(got, want) {
		t.Fatalf("dry run would delete %v, want %v", got, want)
	}
	if got := sortedKeys(r.periods()); len(got) != 10 {
		t.Fatalf("a dry run deleted: %v left", got)
	}
	pl, err := ret.Run(ctx, "ch1", false)
	if err != nil {
		t.Fatal(err)
	}
	if got := deletedKs(pl); !slices.Equal(got, want) {
		t.Fatalf("deleted %v, want %v", got, want)
	}
	if got, want := sortedKeys(r.periods()), ks(1, 3, 4, 6, 7, 8, 9); !slices.Equal(got, want) {
		t.Fatalf("left %v, want %v", got, want)
	}
	retentiontest.CheckNoDangling(t, r.store, "ch1", true)
	var freed int64
	for _, p := range pl.Delete {
		freed += p.Bytes
		if p.Bytes <= 0 || p.Reason != "age" {
			t.Errorf("period %d: %d bytes, reason %q", p.K, p.Bytes, p.Reason)
		}
	}
	if got := testutil.ToFloat64(m.bytes.WithLabelValues("ch1")); got != float64(freed) {
		t.Errorf("bytes freed metric %v, want %d", got, freed)
	}
	if got := testutil.ToFloat64(m.periods.WithLabelValues("ch1")); got != 3 {
		t.Errorf("periods freed metric %v, want 3", got)
	}
	// A second run has nothing more to do.
	if pl, err := ret.Run(ctx, "ch1", false); err != nil || len(pl.Delete) != 0 {
		t.Fatalf("second run: %v %v", deletedKs(pl), err)
	}
}

// TestRetentionBySizeDeletesOldestUnheld: over MaxBytes, the oldest
// unheld periods go until the rest fits; the newest period always stays.
func TestRetentionBySizeDeletesOldestUnheld(t *testing.T) {
	r := newRig(t, 8)
	ctx := context.Background()
	if _, err := CreateHold(ctx, r.store, Hold{Channel: "ch1", From: at(0), To: at(1)}, r.clock()); err != nil {
		t.Fatal(err)
	}
	ret := r.retention(Options{})
	periods, err := scan(ctx, r.store, "ch1", map[string]*Period{})
	if err != nil || len(periods) != 8 {
		t.Fatalf("scan: %d periods, %v", len(periods), err)
	}
	var total int64
	for _, p := range periods {
		total += p.Bytes
	}
	// Room for all but 3.5 periods: k0 is held, so k0+1 … k0+4 go.
	ret.opts.Channels = map[string]Policy{"ch1": {MaxBytes: total - periods[0].Bytes*7/2}}
	pl, err := ret.Run(ctx, "ch1", false)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := deletedKs(pl), ks(1, 2, 3, 4); !slices.Equal(got, want) {
		t.Fatalf("deleted %v, want %v", got, want)
	}
	if got, want := sortedKeys(r.periods()), ks(0, 5, 6, 7); !slices.Equal(got, want) {
		t.Fatalf("left %v, want %v", got, want)
	}
	retentiontest.CheckNoDangling(t, r.store, "ch1", true)
	// A limit below one period still keeps the newest (and the held one).
	ret.opts.Channels = map[string]Policy{"ch1": {MaxBytes: 1}}
	if _, err := ret.Run(ctx, "ch1", false); err != nil {
		t.Fatal(err)
	}
	if got, want := sortedKeys(r.periods()), ks(0, 7); !slices.Equal(got, want) {
		t.Fatalf("left %v, want %v", got, want)
	}
	retentiontest.CheckNoDangling(t, r.store, "ch1", true)
	// The header is still named by what stays.
	if objs, _ := r.store.List(ctx, "ch1/a/init-"); len(objs) != 1 {
		t.Fatalf("headers left: %v", objs)
	}
}

// TestRetentionFailingKeepDeletesNothing: when what to keep is unknown,
// nothing goes.
func TestRetentionFailingKeepDeletesNothing(t *testing.T) {
	r := newRig(t, 4)
	ret := r.retention(Options{Defaults: Policy{MaxAge: time.Second},
		Keep: func(context.Context, string) ([]Window, error) { return nil, errors.New("recordings unreadable") }})
	if _, err := ret.Run(context.Background(), "ch1", false); err == nil {
		t.Fatal("run with a failing Keep succeeded")
	}
	if got := r.periods(); len(got) != 4 {
		t.Fatalf("left %v", sortedKeys(got))
	}
}

// TestRetentionInterruptedRunIsFinished: a run cut after a period's index
// objects went (a crash) leaves no dangling reference, and the next run
// (another process) deletes the period's orphan files.
func TestRetentionInterruptedRunIsFinished(t *testing.T) {
	for _, step := range []string{"tombstone", "index", "files"} {
		t.Run(step, func(t *testing.T) {
			r := newRig(t, 6)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			ret := r.retention(Options{Defaults: Policy{MaxAge: 20 * time.Second}})
			ret.opts.testHook = func(s string, k int64) {
				if s == step && k == k0+1 {
					cancel() // the process dies here: nothing more reaches the store
				}
			}
			if _, err := ret.Run(ctx, "ch1", false); !errors.Is(err, context.Canceled) {
				t.Fatalf("cut run: %v", err)
			}
			if objs, _ := r.store.List(context.Background(), trackfile.TombstonePrefix("ch1")); len(objs) != 1 {
				t.Fatalf("tombstones after the cut: %v", objs)
			}
			retentiontest.CheckNoDangling(t, r.store, "ch1", false)
			again := r.retention(Options{Defaults: Policy{MaxAge: 20 * time.Second}})
			if _, err := again.Run(context.Background(), "ch1", false); err != nil {
				t.Fatal(err)
			}
			if got, want := sortedKeys(r.periods()), ks(4, 5); !slices.Equal(got, want) {
				t.Fatalf("left %v, want %v", got, want)
			}
			retentiontest.CheckNoDangling(t, r.store, "ch1", true)
		})
	}
}

// TestScheduledRunsRecoverFromPanicsAndCloseWaits: the cron schedule
// runs a channel's policy, a run that panics is recovered (the next one
// finishes its work), and Close returns once the runs stopped.
func TestScheduledRunsRecoverFromPanicsAndCloseWaits(t *testing.T) {
	r := newRig(t, 5)
	ret := r.retention(Options{Channels: map[string]Policy{"ch1": {MaxAge: 20 * time.Second, Schedule: "@every 1s"}}})
	var panicked atomic.Bool
	ret.opts.testHook = func(step string, k int64) {
		if step == "index" && panicked.CompareAndSwap(false, true) {
			panic("test panic in a retention run")
		}
	}
	if err := ret.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	// k0+3 ended 11 s before now, k0+4 is the newest; the run after the
	// panic finishes the cut period (its tombstone goes last).
	for len(r.periods()) != 2 || !panicked.Load() || r.tombstones() > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("scheduled runs left %v", sortedKeys(r.periods()))
		}
		time.Sleep(20 * time.Millisecond)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := ret.Close(ctx); err != nil {
		t.Fatal(err)
	}
	retentiontest.CheckNoDangling(t, r.store, "ch1", true)
	bad := r.retention(Options{Defaults: Policy{MaxAge: time.Hour, Schedule: "every now and then"}})
	if err := bad.Start(context.Background()); err == nil {
		t.Fatal("a bad schedule was accepted")
	}
}

// tombstones counts the retention tombstones of ch1 (periods being deleted).
func (r *rig) tombstones() int {
	objs, err := r.store.List(context.Background(), "ch1/retention/")
	if err != nil {
		return -1
	}
	return len(objs)
}

// TestRetentionDeletesAHeaderWithTheLastPeriodNamingIt: a CMAF header
// goes with the last deleted period that names it, never while a period
// still indexed names it; the header the newest period uses stays.
func TestRetentionDeletesAHeaderWithTheLastPeriodNamingIt(t *testing.T) {
	r := newRig(t, 3) // k0 … k0+2 with the default header
	other := tr
	other.ID = 7 // another CMAF header for track a from k0+3 on
	retentiontest.Archive(t, r.arch, "ch1", t0/2+3*perPeriod, 3*perPeriod, map[string]trackfiletest.Track{"a": other})
	r.now.Store(int64(t0+6*periodSecs+1) * 1e9)
	ctx := context.Background()
	headers := func() int {
		objs, err := r.store.List(ctx, "ch1/a/init-")
		if err != nil {
			t.Fatal(err)
		}
		return len(objs)
	}
	if headers() != 2 {
		t.Fatalf("%d headers archived, want 2", headers())
	}
	ret := r.retention(Options{Defaults: Policy{MaxAge: 25 * time.Second}}) // k0 … k0+2 expire
	pl, err := ret.Run(ctx, "ch1", false)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := deletedKs(pl), ks(0, 1, 2); !slices.Equal(got, want) {
		t.Fatalf("deleted %v, want %v", got, want)
	}
	if headers() != 1 {
		t.Fatalf("%d headers left, want the one k0+3 … k0+5 use", headers())
	}
	retentiontest.CheckNoDangling(t, r.store, "ch1", true)
}
