package archive

import "github.com/prometheus/client_golang/prometheus"

// Metrics are the archiver's Prometheus metrics. Create them with
// NewMetrics and register them where the process wires its registry.
//
// The channel and track labels are capped (see [MetricsOptions]): the
// vectors labelled with them are [CounterVec] and [HistogramVec], used like
// the prometheus vectors they embed.
type Metrics struct {
	Segments       *CounterVec            // channel, track, result
	Bytes          *CounterVec            // channel, track
	Headers        *CounterVec            // channel, track, result
	MPDs           *CounterVec            // channel, result
	Rejects        *CounterVec            // channel, code
	Findings       *CounterVec            // channel, clause
	DupMismatch    *CounterVec            // channel, track
	StoreErrors    *prometheus.CounterVec // op
	IngestDuration *HistogramVec          // channel, kind
	OverBudget     *CounterVec            // channel: requests refused, ingest memory budget exhausted
	IngestHeld     prometheus.Gauge       // ingest body bytes held (read, not yet staged)
	IngestLimit    prometheus.Gauge       // the ingest memory budget (Options.IngestMemory)
	Capped         *prometheus.CounterVec // kind: channels, tracks, mpd-versions
	GridDecisions  *prometheus.CounterVec // what: duration, phase, contradicted
	Channels       prometheus.Gauge       // channels open in this archiver
	Tracks         prometheus.Gauge       // tracks open, all channels together
	FinalizeLag    prometheus.Histogram   // seconds from a period's end to its finalizing (staging-to-finalize lag)
	FinalizeRead   prometheus.Counter     // bytes the finalizer read from staging (each staged byte about once)
}

// Results counted in reapd_ingest_segments_total.
const (
	ResultStaged    = "staged"
	ResultDuplicate = "duplicate"
	ResultReplaced  = "replaced" // a real copy staged beside a slate copy
	ResultLate      = "late"     // staged for an already finalized period
	ResultMiss      = "miss"
	ResultSlate     = "slate"
)

// MetricsOptions tunes NewMetricsWith; nil means defaults.
type MetricsOptions struct {
	// MaxChannels caps the distinct values of the channel label: the first
	// MaxChannels channels seen keep their names, the samples of later ones
	// are counted under channel="_other" ([OtherLabel]). Default 256.
	MaxChannels int
	// MaxTracks caps the distinct track label values per channel the same
	// way (track="_other" beyond it). Default 64.
	MaxTracks int
	// Channels always keep their names and do not count toward MaxChannels
	// (the configured channels).
	Channels []string
}

// Default label caps; see [MetricsOptions].
const (
	DefaultMaxMetricChannels = 256
	DefaultMaxMetricTracks   = 64
)

// NewMetrics creates the metrics with the default label caps and registers
// them with reg (nil: not registered).
func NewMetrics(reg prometheus.Registerer) *Metrics { return NewMetricsWith(reg, nil) }

// NewMetricsWith creates the metrics with the label caps of opts and
// registers them with reg (nil: not registered).
func NewMetricsWith(reg prometheus.Registerer, opts *MetricsOptions) *Metrics {
	var o MetricsOptions
	if opts != nil {
		o = *opts
	}
	if o.MaxChannels <= 0 {
		o.MaxChannels = DefaultMaxMetricChannels
	}
	if o.MaxTracks <= 0 {
		o.MaxTracks = DefaultMaxMetricTracks
	}
	l := newLabelCap(o.MaxChannels, o.MaxTracks, o.Channels)
	m := &Metrics{
		Segments: l.counter(prometheus.CounterOpts{Name: "reapd_ingest_segments_total",
			Help: "Media segments received, by result (staged, duplicate, replaced, late, miss, slate)."},
			"channel", "track", "result"),
		Bytes: l.counter(prometheus.CounterOpts{Name: "reapd_ingest_staged_bytes_total",
			Help: "Bytes of media segments staged."}, "channel", "track"),
		Headers: l.counter(prometheus.CounterOpts{Name: "reapd_ingest_headers_total",
			Help: "CMAF headers received, by result (new, same, changed)."}, "channel", "track", "result"),
		MPDs: l.counter(prometheus.CounterOpts{Name: "reapd_ingest_mpds_total",
			Help: "Ingest MPDs received, by result (stored, unchanged)."}, "channel", "result"),
		Rejects: l.counter(prometheus.CounterOpts{Name: "reapd_ingest_rejects_total",
			Help: "Ingest requests rejected, by HTTP status."}, "channel", "code"),
		Findings: l.counter(prometheus.CounterOpts{Name: "reapd_conformance_findings_total",
			Help: "REaP conformance findings on ingest, by clause."}, "channel", "clause"),
		DupMismatch: l.counter(prometheus.CounterOpts{Name: "reapd_ingest_duplicate_mismatch_total",
			Help: "Duplicate segments whose bytes differ from the staged copy (not interchangeable)."},
			"channel", "track"),
		StoreErrors: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "reapd_store_errors_total",
			Help: "Store operations that failed on the write side."}, []string{"op"}),
		IngestDuration: l.histogram(prometheus.HistogramOpts{Name: "reapd_ingest_stage_seconds",
			Help: "Time to make a received object durable in the store.", Buckets: prometheus.DefBuckets},
			"channel", "kind"),
		OverBudget: l.counter(prometheus.CounterOpts{Name: "reapd_ingest_over_budget_total",
			Help: "Ingest requests refused with 503 because the ingest memory budget was exhausted."}, "channel"),
		IngestHeld: prometheus.NewGauge(prometheus.GaugeOpts{Name: "reapd_ingest_held_bytes",
			Help: "Bytes of ingest request bodies read and not yet staged (counted against the ingest memory budget)."}),
		IngestLimit: prometheus.NewGauge(prometheus.GaugeOpts{Name: "reapd_ingest_memory_limit_bytes",
			Help: "The ingest memory budget."}),
		Capped: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "reapd_ingest_capped_total",
			Help: "Ingest requests refused by a cap (channels, tracks, mpd-versions)."}, []string{"kind"}),
		GridDecisions: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "reapd_grid_decisions_total",
			Help: "Segment grid decisions learned from the segments (duration, phase) and later contradicted."},
			[]string{"what"}),
		Channels: prometheus.NewGauge(prometheus.GaugeOpts{Name: "reapd_channels_open",
			Help: "Channels this archiver holds (received ingest or resumed from the store)."}),
		Tracks: prometheus.NewGauge(prometheus.GaugeOpts{Name: "reapd_tracks_open",
			Help: "Tracks this archiver holds, all channels together."}),
		FinalizeLag: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "reapd_finalize_lag_seconds",
			Help:    "Time from a storage period's end to its track files being written (negative lags, of periods complete early, count as 0).",
			Buckets: []float64{1, 5, 10, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200}}),
		FinalizeRead: prometheus.NewCounter(prometheus.CounterOpts{Name: "reapd_finalize_read_bytes_total",
			Help: "Bytes the finalizer read from staged segments: each staged byte about once (the sidx sizes come from the segments' heads)."}),
	}
	if reg != nil {
		reg.MustRegister(m.Segments, m.Bytes, m.Headers, m.MPDs, m.Rejects, m.Findings, m.DupMismatch,
			m.StoreErrors, m.IngestDuration, m.OverBudget, m.IngestHeld, m.IngestLimit,
			m.Capped, m.GridDecisions, m.Channels, m.Tracks, m.FinalizeLag, m.FinalizeRead)
	}
	return m
}
