package archive

import (
	"context"
	"fmt"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// TestScaleMetricsMove: open channels and tracks count when ingest opens
// them; the staging-to-finalize lag is observed when a period is finalized.
func TestScaleMetricsMove(t *testing.T) {
	clk := newClock(testEpoch)
	r := finalizeRig(t, clk)
	m := r.a.metrics
	if c, tr := testutil.ToFloat64(m.Channels), testutil.ToFloat64(m.Tracks); c != 0 || tr != 0 {
		t.Fatalf("before ingest: %v channels, %v tracks open", c, tr)
	}
	sendHeader(r)
	r.mustSend("POST", "/ingest/ch1/b/init.cmfa", tr.Header())
	r.mustSend("POST", "/ingest/ch2/a/init.cmfa", tr.Header())
	if c, tr := testutil.ToFloat64(m.Channels), testutil.ToFloat64(m.Tracks); c != 2 || tr != 3 {
		t.Fatalf("after ingest on ch1/a, ch1/b, ch2/a: %v channels, %v tracks open, want 2 and 3", c, tr)
	}
	for i := int64(0); i < periodN; i++ {
		r.mustSend("POST", fmt.Sprintf("/ingest/ch1/a/%d.cmfa", i), segAt(n0+i))
	}
	if n := histCount(t, m.FinalizeLag); n != 0 {
		t.Fatalf("lag observed %d times before finalizing", n)
	}
	clk.set(int64(n0+periodN)*2 + 30) // 30 s after the period's end
	r.a.FinalizeDue(context.Background())
	if n := histCount(t, m.FinalizeLag); n != 1 {
		t.Fatalf("lag observed %d times after one period finalized, want 1", n)
	}
}

// histCount returns how many observations a histogram holds.
func histCount(t *testing.T, h prometheus.Histogram) uint64 {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(h)
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	return mfs[0].GetMetric()[0].GetHistogram().GetSampleCount()
}
