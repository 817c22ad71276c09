package retention

import "github.com/prometheus/client_golang/prometheus"

// Metrics are retention's Prometheus metrics, registered by the caller.
type Metrics struct {
	bytes, periods, failures *prometheus.CounterVec
}

// NewMetrics registers retention's metrics with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		bytes: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "reapd_retention_freed_bytes_total",
			Help: "Bytes of storage periods (track files and index objects) deleted by retention."}, []string{"channel"}),
		periods: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "reapd_retention_freed_periods_total",
			Help: "Storage periods deleted by retention."}, []string{"channel"}),
		failures: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "reapd_retention_failures_total",
			Help: "Retention runs of a channel that failed (retried at the next run)."}, []string{"channel"}),
	}
	reg.MustRegister(m.bytes, m.periods, m.failures)
	return m
}

func (m *Metrics) freed(channel string, bytes int64) {
	if m == nil {
		return
	}
	m.bytes.WithLabelValues(channel).Add(float64(bytes))
	m.periods.WithLabelValues(channel).Inc()
}

func (m *Metrics) failed(channel string) {
	if m == nil {
		return
	}
	m.failures.WithLabelValues(channel).Inc()
}
