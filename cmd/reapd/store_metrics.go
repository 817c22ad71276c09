package main

import (
	"context"
	"errors"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/reapd/reapd/blobstore"
)

// storeMetrics registers the store's latency and error metrics with reg and
// returns the blobstore.Options.Observe that feeds them: every operation of
// every component (ingest, finalizer, catch-up) by operation, and its
// failures by category.
func storeMetrics(reg prometheus.Registerer) func(blobstore.Op, time.Duration, error) {
	lat := prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "reapd_store_op_seconds",
		Help:    "Time of a store operation (all its attempts), by operation.",
		Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}}, []string{"op"})
	errs := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "reapd_store_op_errors_total",
		Help: "Store operations that failed, by operation and category (not_found and exists are often expected answers)."},
		[]string{"op", "kind"})
	reg.MustRegister(lat, errs)
	return func(op blobstore.Op, d time.Duration, err error) {
		lat.WithLabelValues(string(op)).Observe(d.Seconds())
		if err != nil {
			errs.WithLabelValues(string(op), errorKind(err)).Inc()
		}
	}
}

// errorKind names the category of a store error for the kind label.
func errorKind(err error) string {
	switch {
	case errors.Is(err, blobstore.ErrNotFound):
		return "not_found"
	case errors.Is(err, blobstore.ErrExists):
		return "exists"
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return "canceled"
	case errors.Is(err, blobstore.ErrUnavailable):
		return "unavailable"
	}
	return "other"
}
