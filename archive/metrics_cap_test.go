package archive

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/reapd/reapd/blobstore"
	"github.com/reapd/reapd/smpd"
	"github.com/reapd/reapd/trackfile"
)

// labelValues returns the distinct values of label in what c collects.
func labelValues(t *testing.T, c prometheus.Collector, label string) []string {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(c)
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			for _, lp := range m.GetLabel() {
				if lp.GetName() == label && !slices.Contains(out, lp.GetValue()) {
					out = append(out, lp.GetValue())
				}
			}
		}
	}
	slices.Sort(out)
	return out
}

// TestMetricChannelCapEdges: with a cap of 3 channels, the 2nd and 3rd
// (cap − 1, cap) keep their names, the 4th (cap + 1) and later are counted
// as "_other", in every metric alike; a configured channel always keeps
// its name; invalid names are "_other".
func TestMetricChannelCapEdges(t *testing.T) {
	m := NewMetricsWith(nil, &MetricsOptions{MaxChannels: 3, Channels: []string{"configured"}})
	for i := 1; i <= 5; i++ {
		m.Segments.WithLabelValues(fmt.Sprintf("c%d", i), "a", ResultStaged).Inc()
	}
	m.Rejects.WithLabelValues("c5", "400").Inc()
	m.Rejects.WithLabelValues("c2", "400").Inc()
	m.Rejects.WithLabelValues("configured", "400").Inc()
	m.Rejects.WithLabelValues("../etc", "400").Inc()
	m.Rejects.WithLabelValues("", "400").Inc()
	m.IngestDuration.WithLabelValues("c4", "segment").Observe(1)
	if got, want := labelValues(t, m.Segments, "channel"), []string{"_other", "c1", "c2", "c3"}; !slices.Equal(got, want) {
		t.Errorf("segments: channels %q, want %q", got, want)
	}
	if got, want := labelValues(t, m.Rejects, "channel"), []string{"", "_other", "c2", "configured"}; !slices.Equal(got, want) {
		t.Errorf("rejects: channels %q, want %q", got, want)
	}
	if got := labelValues(t, m.IngestDuration, "channel"); !slices.Equal(got, []string{"_other"}) {
		t.Errorf("histogram: channels %q, want _other", got)
	}
	if got := testutil.ToFloat64(m.Segments.WithLabelValues("c4", "a", ResultStaged)); got != 2 {
		t.Errorf("_other counts %v segments, want c4's and c5's", got)
	}
	// With(labels) is capped the same way.
	m.Segments.With(prometheus.Labels{"channel": "c6", "track": "a", "result": ResultStaged}).Inc()
	if got := testutil.ToFloat64(m.Segments.WithLabelValues("_other", "_other", ResultStaged)); got != 3 {
		t.Errorf("_other after With: %v, want 3", got)
	}
}

// TestMetricTrackCapEdges: per channel, tracks beyond the cap are
// "_other", and the tracks of "_other" channels are "_other" too.
func TestMetricTrackCapEdges(t *testing.T) {
	m := NewMetricsWith(nil, &MetricsOptions{MaxChannels: 1, MaxTracks: 2})
	for _, tr := range []string{"t1", "t2", "t3", "t1"} {
		m.Bytes.WithLabelValues("ch1", tr).Add(1)
	}
	m.Bytes.WithLabelValues("ch2", "x").Add(1)
	if got, want := labelValues(t, m.Bytes, "track"), []string{"_other", "t1", "t2"}; !slices.Equal(got, want) {
		t.Errorf("tracks %q, want %q", got, want)
	}
	if got := testutil.ToFloat64(m.Bytes.WithLabelValues("ch1", "t1")); got != 2 {
		t.Errorf("t1: %v, want 2", got)
	}
	if got := testutil.ToFloat64(m.Bytes.WithLabelValues("_other", "_other")); got != 1 {
		t.Errorf("ch2/x under _other/_other: %v, want 1", got)
	}
}

// TestStoreErrorsAre503: every store error category, a store timeout and
// a cancelled store call map to 503 (499 for the cancellation), a body cut
// for slowness to 408, the budget to 503; client mistakes stay 4xx.
func TestStoreErrorsAre503(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want int
	}{
		{&blobstore.Error{Op: blobstore.OpCreate, Key: "k", Kind: blobstore.ErrInvalidKey}, 503},
		{&blobstore.Error{Op: blobstore.OpRead, Key: "k", Kind: blobstore.ErrNotFound}, 503},
		{&blobstore.Error{Op: blobstore.OpCreate, Key: "k", Kind: blobstore.ErrExists}, 503},
		{fmt.Errorf("track a: %w", &blobstore.Error{Op: blobstore.OpCreate, Key: "k", Kind: blobstore.ErrUnavailable}), 503},
		{&blobstore.Error{Op: blobstore.OpCreate, Key: "k", Err: context.DeadlineExceeded}, 503},
		{&blobstore.Error{Op: blobstore.OpCreate, Key: "k", Err: context.Canceled}, 499},
		{fmt.Errorf("reading the body: %w", os.ErrDeadlineExceeded), 408},
		{fmt.Errorf("x: %w", (&budgetBody{b: newTestBudget(1)}).overBudget(1)), 503},
		{fmt.Errorf("box: %w", trackfile.ErrMalformed), 400},
		{smpd.ErrNotMPD, 400},
		{trackfile.ErrTooLarge, 413},
		{errors.New("a bug"), 500},
	} {
		if got := statusOf(tc.err); got != tc.want {
			t.Errorf("statusOf(%v) = %d, want %d", tc.err, got, tc.want)
		}
	}
}

// TestBlockedStorePathIs503: on a file:// store, a file where the
// channel's directory should be makes ingest answer 503 with Retry-After
// (not 400 "invalid key"); once it is removed, the encoder's retry goes
// through.
func TestBlockedStorePathIs503(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "ch1"), []byte("in the way"), 0o666); err != nil {
		t.Fatal(err)
	}
	st, err := blobstore.Open(context.Background(), "file://"+dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	a := New(st, nil)
	srv := httptest.NewServer(a.Handler())
	defer srv.Close()
	post := func() *http.Response {
		resp, err := http.Post(srv.URL+"/ingest/ch1/a/init.cmfa", "video/mp4", strings.NewReader(string(tr.Header())))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	if resp := post(); resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("blocked path: %d, Retry-After %q; want 503 with Retry-After", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	if err := os.Remove(filepath.Join(dir, "ch1")); err != nil {
		t.Fatal(err)
	}
	if resp := post(); resp.StatusCode != http.StatusOK {
		t.Fatalf("after the path was cleared: %d", resp.StatusCode)
	}
}
