package catchup

import (
	"log/slog"
	"time"
)

// Options configures a Server; nil means defaults.
type Options struct {
	// Logger receives the server's logs; default: discarded.
	Logger *slog.Logger
	// Metrics are the server's Prometheus metrics (see NewMetrics, which
	// the process registers); default: unregistered metrics.
	Metrics *Metrics
	// MaxWindow bounds the length of a catch-up window, and how far back
	// a start-over may start; default 24 h.
	MaxWindow time.Duration
	// MaxCoverage bounds the from/to range of the coverage API; default
	// 31 days.
	MaxCoverage time.Duration
	// Now is the wall clock (tests); default time.Now.
	Now func() time.Time
	// IndexTTL is how stale the in-memory time index of a channel may be
	// before a request lists the store again (period indexes, staged
	// segments, channel timing); default 2 s. Invalidate makes the next
	// request refresh at once.
	IndexTTL time.Duration
	// IndexCacheSize is how many period index objects stay in memory;
	// default 1024 (at 1-hour periods, 42 days; some 45 MB for 3 tracks
	// of 2 s segments).
	IndexCacheSize int
	// ClosedMaxAge is the Cache-Control max-age of manifests of windows
	// that lie in finalized periods; default 24 h.
	ClosedMaxAge time.Duration
	// StagedReaders bounds the CMAF headers of staged segments loaded
	// at once when a window reaches the open period; default 8.
	StagedReaders int
	// BrowseTTL is how stale the answer of GET /api/channels (the channel
	// list and each channel's first and last instant) may be: within it,
	// requests are answered from memory, and one refresh serves all the
	// requests that arrive while it runs; default 5 s. Invalidate
	// refreshes a channel's summary at the next refresh.
	BrowseTTL time.Duration

	// ReadTokens are the bearer tokens (Authorization: Bearer …) that let
	// a client read: catch-up, segments, aliases and the browse API. With
	// any token or a URLSigner set the read side is locked: a request
	// without a token or a valid signed URL is answered 401. Default none:
	// open, for the lab.
	ReadTokens []string
	// URLSigner, when set, lets requests in that carry a valid, unexpired
	// signed URL (see URLSigner), and makes the manifests such a request
	// gets carry a signature on their media URLs; an expired or altered
	// one is answered 403. Default nil: signed URLs are not accepted.
	URLSigner *URLSigner
}

func (o *Options) withDefaults() Options {
	var x Options
	if o != nil {
		x = *o
	}
	if x.Logger == nil {
		x.Logger = slog.New(slog.DiscardHandler)
	}
	if x.Metrics == nil {
		x.Metrics = NewMetrics(nil)
	}
	if x.MaxWindow <= 0 {
		x.MaxWindow = 24 * time.Hour
	}
	if x.MaxCoverage <= 0 {
		x.MaxCoverage = 31 * 24 * time.Hour
	}
	if x.Now == nil {
		x.Now = time.Now
	}
	if x.IndexTTL <= 0 {
		x.IndexTTL = 2 * time.Second
	}
	if x.IndexCacheSize <= 0 {
		x.IndexCacheSize = 1024
	}
	if x.ClosedMaxAge <= 0 {
		x.ClosedMaxAge = 24 * time.Hour
	}
	if x.StagedReaders <= 0 {
		x.StagedReaders = 8
	}
	if x.BrowseTTL <= 0 {
		x.BrowseTTL = 5 * time.Second
	}
	return x
}
