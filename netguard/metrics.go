package netguard

import "github.com/prometheus/client_golang/prometheus"

// Metrics are the guards' Prometheus metrics; create them with NewMetrics.
type Metrics struct {
	BodiesCut   *prometheus.CounterVec // reason: rate, stall
	ConnsOpen   prometheus.Gauge       // open connections
	ConnsRefuse prometheus.Counter     // connections refused over the cap
}

// NewMetrics creates the metrics and registers them with reg (nil: not
// registered).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		BodiesCut: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "reapd_http_bodies_cut_total",
			Help: "Request bodies cut for arriving too slowly (rate) or not at all (stall)."}, []string{"reason"}),
		ConnsOpen: prometheus.NewGauge(prometheus.GaugeOpts{Name: "reapd_http_connections_open",
			Help: "Open HTTP connections."}),
		ConnsRefuse: prometheus.NewCounter(prometheus.CounterOpts{Name: "reapd_http_connections_refused_total",
			Help: "Connections refused (503) because --max-connections were open."}),
	}
	if reg != nil {
		reg.MustRegister(m.BodiesCut, m.ConnsOpen, m.ConnsRefuse)
	}
	return m
}
