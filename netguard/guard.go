package netguard

import (
	"log/slog"
	"net/http"
	"time"
)

// Options configures a Guard; nil means defaults. A zero duration or rate
// disables its rule.
type Options struct {
	// MinRate is the slowest a request body may arrive, in bytes per
	// second, averaged over RateWindow (inside a box, for a media body).
	MinRate int64
	// RateWindow is the averaging window of MinRate, and the grace a new
	// body has before its first byte.
	RateWindow time.Duration
	// StallTimeout is the longest a body may send nothing: inside a box (or
	// any other body) when MinRate is 0, between two boxes of a media body
	// always.
	StallTimeout time.Duration
	// WriteTimeout is the longest one write of a response may block, from
	// the response's first byte on (a client that stops reading is cut).
	WriteTimeout time.Duration
	// IsMedia tells which request bodies are streams of ISOBMFF boxes
	// (CMAF ingest), which may pause between boxes.
	IsMedia func(*http.Request) bool
	Logger  *slog.Logger
	Metrics *Metrics
	// Now is the clock (tests); default time.Now.
	Now func() time.Time
}

// Defaults of Options when nil.
const (
	DefaultMinRate      = 1 << 10 // bytes per second
	DefaultRateWindow   = 10 * time.Second
	DefaultStallTimeout = 60 * time.Second
	DefaultWriteTimeout = 60 * time.Second
)

// Guard holds request bodies to a minimum rate and response writes to a
// timeout (see the package documentation).
type Guard struct {
	opts    Options
	log     *slog.Logger
	metrics *Metrics
	now     func() time.Time
}

// New returns a Guard with opts (nil: the defaults).
func New(opts *Options) *Guard {
	o := Options{MinRate: DefaultMinRate, RateWindow: DefaultRateWindow, StallTimeout: DefaultStallTimeout,
		WriteTimeout: DefaultWriteTimeout}
	if opts != nil {
		o = *opts
	}
	g := &Guard{opts: o, log: o.Logger, metrics: o.Metrics, now: o.Now}
	if g.log == nil {
		g.log = slog.New(slog.DiscardHandler)
	}
	if g.metrics == nil {
		g.metrics = NewMetrics(nil)
	}
	if g.now == nil {
		g.now = time.Now
	}
	return g
}

// Handler wraps h: its request bodies and response writes are guarded.
func (g *Guard) Handler(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rc := http.NewResponseController(w)
		if g.opts.WriteTimeout > 0 {
			// No deadline until the response starts (an ingest request
			// answers when its body is in); none left from the request
			// before on this connection either.
			_ = rc.SetWriteDeadline(time.Time{})
			w = &writer{ResponseWriter: w, rc: rc, timeout: g.opts.WriteTimeout, now: g.now}
		}
		if r.Body != nil && r.Body != http.NoBody && (g.opts.MinRate > 0 || g.opts.StallTimeout > 0) {
			if b := g.newBody(w, r); b != nil {
				r.Body = b
			}
		}
		h.ServeHTTP(w, r)
		if g.opts.WriteTimeout > 0 {
			// The server flushes what the handler left buffered.
			_ = rc.SetWriteDeadline(g.now().Add(g.opts.WriteTimeout))
		}
	})
}
