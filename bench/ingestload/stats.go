package ingestload

import (
	"slices"
	"time"
)

// Summary is the figures of a set of samples.
type Summary struct {
	Requests int     `json:"requests"`
	Failed   int     `json:"failed"` // answered other than 200, or not answered
	Bytes    int64   `json:"bytes"`
	MBps     float64 `json:"mb_per_s"` // bytes of 200s from the first request sent to the last answer
	P50ms    float64 `json:"p50_ms"`
	P99ms    float64 `json:"p99_ms"`
	MaxMs    float64 `json:"max_ms"`
}

// Summarize computes the figures of the samples sent at or after from
// (zero: all).
func Summarize(samples []Sample, from time.Time) Summary {
	var s Summary
	lat := make([]time.Duration, 0, len(samples))
	var first, last time.Time
	for _, x := range samples {
		if x.Sent.Before(from) {
			continue
		}
		if first.IsZero() || x.Sent.Before(first) {
			first = x.Sent
		}
		if end := x.Sent.Add(x.Latency); end.After(last) {
			last = end
		}
		s.Requests++
		if x.Status != 200 {
			s.Failed++
			continue
		}
		s.Bytes += int64(x.Bytes)
		lat = append(lat, x.Latency)
	}
	if span := last.Sub(first); span > 0 {
		s.MBps = float64(s.Bytes) / 1e6 / span.Seconds()
	}
	if len(lat) == 0 {
		return s
	}
	slices.Sort(lat)
	ms := func(d time.Duration) float64 { return float64(d) / 1e6 }
	s.P50ms = ms(quantile(lat, 0.50))
	s.P99ms = ms(quantile(lat, 0.99))
	s.MaxMs = ms(lat[len(lat)-1])
	return s
}

// quantile returns the q-quantile of sorted ds (nearest rank).
func quantile(ds []time.Duration, q float64) time.Duration {
	i := int(q*float64(len(ds))+0.5) - 1
	return ds[min(max(i, 0), len(ds)-1)]
}
