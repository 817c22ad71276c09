package main

import (
	"fmt"
	"math"
	"net/http"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// finalizeLag is what reapd's finalizer did during a run, read from its
// /metrics (reapd_finalize_lag_seconds: the time from a storage period's
// end to its track files, one observation per channel and period): whether
// it kept up with the periods that ended while ingest went on.
type finalizeLag struct {
	Periods int     `json:"periods"` // channel periods finalized
	MeanS   float64 `json:"mean_s"`
	// MaxS is the upper bound of the histogram bucket of the largest lag
	// (+Inf past the last bucket, which JSON cannot hold: then -1).
	MaxS   float64   `json:"max_s"`
	bounds []float64 // the buckets' upper bounds
}

// within returns the smallest bucket bound of at least d seconds, the
// resolution at which the largest lag can be compared with d (-1: none).
func (l *finalizeLag) within(d float64) float64 {
	for _, b := range l.bounds {
		if b >= d {
			return b
		}
	}
	return -1
}

// readFinalizeLag scrapes reapd's /metrics at url.
func readFinalizeLag(url string) (*finalizeLag, error) {
	c := http.Client{Timeout: 30 * time.Second}
	resp, err := c.Get(url + "/metrics")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET /metrics: %s", resp.Status)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	mfs, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("GET /metrics: %w", err)
	}
	mf, ok := mfs["reapd_finalize_lag_seconds"]
	if !ok || len(mf.GetMetric()) != 1 || mf.GetMetric()[0].GetHistogram() == nil {
		return nil, fmt.Errorf("GET /metrics: no reapd_finalize_lag_seconds histogram")
	}
	h := mf.GetMetric()[0].GetHistogram()
	l := &finalizeLag{Periods: int(h.GetSampleCount()), MaxS: -1}
	if l.Periods > 0 {
		l.MeanS = h.GetSampleSum() / float64(l.Periods)
	}
	for _, b := range h.GetBucket() {
		if math.IsInf(b.GetUpperBound(), 1) {
			continue
		}
		l.bounds = append(l.bounds, b.GetUpperBound())
		if l.MaxS < 0 && b.GetCumulativeCount() == h.GetSampleCount() {
			l.MaxS = b.GetUpperBound()
		}
	}
	return l, nil
}

// String describes the lag as the table prints it.
func (l *finalizeLag) String() string {
	if l.Periods == 0 {
		return "no period finalized"
	}
	max := "past the last bucket"
	if l.MaxS >= 0 {
		max = fmt.Sprintf("≤ %g s", l.MaxS)
	}
	return fmt.Sprintf("%d channel periods finalized, lag mean %.1f s, max %s", l.Periods, l.MeanS, max)
}
