package main

import (
	"net/http/httptest"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// TestReadFinalizeLag reads reapd's lag histogram as /metrics serves it:
// the count, the mean and the bucket of the largest lag, and the bucket a
// storage period falls in.
func TestReadFinalizeLag(t *testing.T) {
	reg := prometheus.NewRegistry()
	h := prometheus.NewHistogram(prometheus.HistogramOpts{Name: "reapd_finalize_lag_seconds",
		Buckets: []float64{1, 5, 10, 30, 60}})
	reg.MustRegister(h)
	srv := httptest.NewServer(promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	defer srv.Close()

	l, err := readFinalizeLag(srv.URL)
	if err != nil || l.Periods != 0 {
		t.Fatalf("nothing finalized: %+v, %v", l, err)
	}
	for _, v := range []float64{6, 7, 12} {
		h.Observe(v)
	}
	l, err = readFinalizeLag(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	if l.Periods != 3 || l.MeanS != 25.0/3 || l.MaxS != 30 {
		t.Errorf("lags 6, 7, 12 s: %+v; want 3 periods, mean 8.33 s, max ≤ 30 s", l)
	}
	if b := l.within(20); b != 30 {
		t.Errorf("within(20) = %g, want the bucket of 30 s", b)
	}
	h.Observe(100)
	if l, err = readFinalizeLag(srv.URL); err != nil || l.MaxS != -1 {
		t.Errorf("a lag past the last bucket: %+v, %v; want max -1", l, err)
	}
}
