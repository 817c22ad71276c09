package archive

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/reapd/reapd/blobstore"
	"github.com/reapd/reapd/trackfile"
)

// Archiver receives live ingest for any number of channels and stages it in
// one store. Create it with New; Start its finalizer; serve Handler; stop
// it with Close.
type Archiver struct {
	store   *blobstore.Store
	opts    Options
	log     *slog.Logger
	metrics *Metrics
	id      string // this archiver's name in finalize claims
	pace    *pacer // the finalizer's byte budget
	// stopping is set by Shutdown: what is due is finalized without
	// waiting for the spread.
	stopping atomic.Bool

	mu       sync.Mutex
	channels map[string]*channel
	capped   map[string]bool // caps already logged (once each)
	inflight sync.WaitGroup
	closed   bool
	stopRun  context.CancelFunc // stops the finalizer started by Start
	runDone  chan struct{}      // closed when that finalizer has returned

	passes    atomic.Int64 // passes of the finalizer loop done (tests wait on it)
	closeOnce sync.Once
	closeErr  error
}

// New returns an Archiver writing to store.
func New(store *blobstore.Store, opts *Options) *Archiver {
	o := opts.withDefaults()
	return &Archiver{store: store, opts: o, log: o.Logger, metrics: o.Metrics, id: instanceID(),
		pace: newPacer(o.FinalizeRate), channels: make(map[string]*channel)}
}

// Handler returns the ingest handler for POST, PUT and DELETE under
// /ingest/{channel}/…. Paths that are not clean (".." or "." elements,
// empty elements, backslashes, encoded slashes) are rejected with 400 before
// routing, so nothing can name a key outside the channel.
func (a *Archiver) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /ingest/{channel}/{path...}", a.handleIngest)
	mux.HandleFunc("PUT /ingest/{channel}/{path...}", a.handleIngest)
	mux.HandleFunc("DELETE /ingest/{channel}/{path...}", a.handleDelete)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := checkIngestPath(r); err != nil {
			a.writeError(w, a.log.With("path", r.URL.EscapedPath()), "", err)
			return
		}
		mux.ServeHTTP(w, r)
	})
}

// checkIngestPath rejects paths with traversal or ambiguous elements.
func checkIngestPath(r *http.Request) error {
	p := r.URL.Path
	raw := r.URL.EscapedPath()
	if !strings.HasPrefix(p, "/ingest/") || strings.ContainsAny(p, "\\\x00") ||
		strings.Contains(strings.ToLower(raw), "%2f") || strings.Contains(strings.ToLower(raw), "%5c") {
		return fail(ErrBadRequest, "bad ingest path %q", raw)
	}
	for _, el := range strings.Split(strings.TrimPrefix(p, "/ingest/"), "/") {
		if el == "" || el == "." || el == ".." {
			return fail(ErrBadRequest, "bad ingest path %q: empty, '.' or '..' element", raw)
		}
	}
	return nil
}

// handleDelete acknowledges DELETE requests (ffmpeg removes old segments
// from its window) without deleting anything: the archive keeps it all.
func (a *Archiver) handleDelete(w http.ResponseWriter, r *http.Request) {
	a.log.Debug("ignored DELETE", "path", r.URL.Path)
	w.WriteHeader(http.StatusNoContent)
}

// channel returns the state of a channel, loading it from the store on
// first use; a new channel beyond MaxChannels is refused with 403.
func (a *Archiver) channel(ctx context.Context, name string) (*channel, error) {
	return a.channelCapped(ctx, name, true)
}

// channelCapped is channel; capped false (resuming what the store holds)
// takes no notice of MaxChannels.
func (a *Archiver) channelCapped(ctx context.Context, name string, capped bool) (*channel, error) {
	if err := trackfile.CheckName(name); err != nil {
		return nil, fail(ErrBadRequest, "channel: %v", err)
	}
	a.mu.Lock()
	if a.closed {
		a.mu.Unlock()
		return nil, fail(ErrUnavailable, "archiver shutting down")
	}
	c, ok := a.channels[name]
	if !ok {
		cfg, configured := a.opts.Channels[name]
		if !configured && a.opts.NoAutoCreate {
			a.mu.Unlock()
			return nil, fail(ErrForbidden, "unknown channel %q", name)
		}
		if capped && len(a.channels) >= a.opts.MaxChannels {
			a.mu.Unlock()
			a.logCap("channels", "channel limit reached: new channels are refused", "max_channels", a.opts.MaxChannels, "channel", name)
			return nil, fail(ErrForbidden, "channel %q refused: this archiver takes at most %d channels (--max-channels)", name, a.opts.MaxChannels)
		}
		if !configured {
			cfg = a.opts.Defaults
		}
		c = newChannel(a, name, cfg)
		a.channels[name] = c
		a.metrics.Channels.Inc()
	}
	a.mu.Unlock()
	if err := c.load(ctx); err != nil {
		return nil, err
	}
	return c, nil
}

// logCap logs, once per kind, that a cap refused something.
func (a *Archiver) logCap(kind, msg string, args ...any) {
	a.mu.Lock()
	seen := a.capped[kind]
	if a.capped == nil {
		a.capped = map[string]bool{}
	}
	a.capped[kind] = true
	a.mu.Unlock()
	a.metrics.Capped.WithLabelValues(kind).Inc()
	if !seen {
		a.log.Warn(msg+" (logged once)", args...)
	}
}

// Shutdown stops accepting new ingest requests and waits for the ones in
// flight (or for ctx).
func (a *Archiver) Shutdown(ctx context.Context) error {
	a.mu.Lock()
	a.closed = true
	a.mu.Unlock()
	a.stopping.Store(true)
	done := make(chan struct{})
	go func() { a.inflight.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return errors.Join(errors.New("archive: shutdown with requests in flight"), ctx.Err())
	}
}
