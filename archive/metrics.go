package archive

import "github.com/prometheus/client_golang/prometheus"

// Metrics are the archiver's Prometheus metrics. Create them with
// NewMetrics and register them where the process wires its registry.
type Metrics struct {
	Segments       *prometheus.CounterVec   // channel, track, result
	Bytes          *prometheus.CounterVec   // channel, track
	Headers        *prometheus.CounterVec   // channel, track, result
	MPDs           *prometheus.CounterVec   // channel, result
	Rejects        *prometheus.CounterVec   // channel, code
	Findings       *prometheus.CounterVec   // channel, clause
	DupMismatch    *prometheus.CounterVec   // channel, track
	StoreErrors    *prometheus.CounterVec   // op
	IngestDuration *prometheus.HistogramVec // channel, kind
	Capped         *prometheus.CounterVec   // kind: channels, tracks, mpd-versions
	GridDecisions  *prometheus.CounterVec   // what: duration, phase, contradicted
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

// NewMetrics creates the metrics and registers them with reg (nil: not
// registered).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		Segments: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "reapd_ingest_segments_total",
			Help: "Media segments received, by result (staged, duplicate, replaced, late, miss, slate)."},
			[]string{"channel", "track", "result"}),
		Bytes: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "reapd_ingest_staged_bytes_total",
			Help: "Bytes of media segments staged."}, []string{"channel", "track"}),
		Headers: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "reapd_ingest_headers_total",
			Help: "CMAF headers received, by result (new, same, changed)."}, []string{"channel", "track", "result"}),
		MPDs: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "reapd_ingest_mpds_total",
			Help: "Ingest MPDs received, by result (stored, unchanged)."}, []string{"channel", "result"}),
		Rejects: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "reapd_ingest_rejects_total",
			Help: "Ingest requests rejected, by HTTP status."}, []string{"channel", "code"}),
		Findings: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "reapd_conformance_findings_total",
			Help: "REaP conformance findings on ingest, by clause."}, []string{"channel", "clause"}),
		DupMismatch: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "reapd_ingest_duplicate_mismatch_total",
			Help: "Duplicate segments whose bytes differ from the staged copy (not interchangeable)."},
			[]string{"channel", "track"}),
		StoreErrors: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "reapd_store_errors_total",
			Help: "Store operations that failed on the write side."}, []string{"op"}),
		IngestDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "reapd_ingest_stage_seconds",
			Help: "Time to make a received object durable in the store.", Buckets: prometheus.DefBuckets},
			[]string{"channel", "kind"}),
		Capped: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "reapd_ingest_capped_total",
			Help: "Ingest requests refused by a cap (channels, tracks, mpd-versions)."}, []string{"kind"}),
		GridDecisions: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "reapd_grid_decisions_total",
			Help: "Segment grid decisions learned from the segments (duration, phase) and later contradicted."},
			[]string{"what"}),
	}
	if reg != nil {
		reg.MustRegister(m.Segments, m.Bytes, m.Headers, m.MPDs, m.Rejects, m.Findings, m.DupMismatch,
			m.StoreErrors, m.IngestDuration, m.Capped, m.GridDecisions)
	}
	return m
}
