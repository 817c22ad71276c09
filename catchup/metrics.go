package catchup

import "github.com/prometheus/client_golang/prometheus"

// Metrics are the catch-up server's Prometheus metrics. Create them with
// NewMetrics and register them where the process wires its registry.
type Metrics struct {
	Requests    *prometheus.CounterVec   // endpoint, code
	Duration    *prometheus.HistogramVec // endpoint
	Bytes       *prometheus.CounterVec   // endpoint
	StoreReads  *prometheus.CounterVec   // kind: list, index, staged, header, timing, mpd
	IndexCached prometheus.Gauge         // period index objects in memory
}

// Endpoint labels.
const (
	epDASH      = "dash"
	epHLSMaster = "hls_master"
	epHLSMedia  = "hls_media"
	epInit      = "init"
	epSegment   = "segment"
	epAlias     = "alias"
	epChannels  = "api_channels"
	epChannel   = "api_channel"
	epCoverage  = "api_coverage"
	epSign      = "api_sign"
	epClip      = "clip"
)

// NewMetrics creates the metrics and registers them with reg (nil: not
// registered).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		Requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "reapd_catchup_requests_total",
			Help: "Catch-up and browse requests, by endpoint and HTTP status."}, []string{"endpoint", "code"}),
		Duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "reapd_catchup_request_seconds",
			Help:    "Time to answer a catch-up or browse request (to the last byte).",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}}, []string{"endpoint"}),
		Bytes: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "reapd_catchup_bytes_total",
			Help: "Response body bytes sent, by endpoint."}, []string{"endpoint"}),
		StoreReads: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "reapd_catchup_store_reads_total",
			Help: "Store operations of the catch-up time index, by kind."}, []string{"kind"}),
		IndexCached: prometheus.NewGauge(prometheus.GaugeOpts{Name: "reapd_catchup_index_objects",
			Help: "Period index objects held in memory by the catch-up time index."}),
	}
	if reg != nil {
		reg.MustRegister(m.Requests, m.Duration, m.Bytes, m.StoreReads, m.IndexCached)
	}
	return m
}
