package catchup

import (
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/reapd/reapd/blobstore"
	"github.com/reapd/reapd/trackfile"
)

// Server serves catch-up DASH and HLS, the segments they name and the
// browse API, from one store. Create it with New and serve Handler. It
// holds no goroutines: there is nothing to shut down beyond the HTTP
// server that serves Handler.
type Server struct {
	store   *blobstore.Store
	opts    Options
	log     *slog.Logger
	metrics *Metrics

	mu         sync.Mutex
	channels   map[string]*channelIndex
	headerExts map[string]string // "{channel}/{track}/init-{hash}." → extension

	indexes *lru[*trackfile.PeriodIndex]
	headers *lru[*trackfile.Header]
	browse  *browseCache
	clips   clipCache
	auth    *readAuth // nil: the read side is open
	handler http.Handler
}

// New returns a Server reading store.
func New(store *blobstore.Store, opts *Options) *Server {
	o := opts.withDefaults()
	s := &Server{store: store, opts: o, log: o.Logger, metrics: o.Metrics, channels: map[string]*channelIndex{},
		headerExts: map[string]string{}}
	s.indexes = newLRU[*trackfile.PeriodIndex](o.IndexCacheSize, func(n int) { s.metrics.IndexCached.Set(float64(n)) })
	s.headers = newLRU[*trackfile.Header](1024, nil)
	s.browse = newBrowseCache(o.BrowseTTL)
	s.auth = newReadAuth(o)
	s.handler = s.routes()
	return s
}

// Handler returns the HTTP handler of the read side:
//
//	GET /catchup/{channel}/manifest.mpd?start=&end=|duration=[&align=segment]   DASH (start alone: start-over)
//	GET /catchup/{channel}/master.m3u8?…                         HLS multivariant playlist
//	GET /catchup/{channel}/hls/{track}.m3u8?…                    HLS media playlist
//	GET /catchup/{channel}/init/{track}/{hash}.mp4               CMAF header
//	GET /catchup/{channel}/seg/{track}/{hash}/{timescale}/{time}.m4s  media segment
//	GET /catchup/{channel}/clip.mp4?start=&end=[&tracks=a,b][&accurate=1][&format=fmp4][&download=name]  one MP4
//	GET /{channel}/archive-{from}-{duration}.m3u8 (and index-…, .mpd; duration "now": start-over)
//	GET /{channel}/{index|manifest|master|archive}.{mpd|m3u8}?start=&end=   (MediaPackage style)
//	GET /api/channels, /api/channels/{channel}, /api/channels/{channel}/coverage?from=&to=
//	POST /api/sign                                              mint a signed URL (read token only)
//
// GET includes HEAD; every response allows cross-origin reads (players
// run in web pages of other origins). With [Options].ReadTokens or
// [Options].URLSigner set, every request but a CORS preflight needs a read
// token or a valid signed URL (401 without, 403 for a signed URL that is
// expired, altered or for another path).
func (s *Server) Handler() http.Handler { return s.handler }

// Invalidate makes the next request for channel list the store again (for
// the archiver's finalize hook: a new period index is there).
func (s *Server) Invalidate(channel string) {
	s.mu.Lock()
	c := s.channels[channel]
	s.mu.Unlock()
	if c != nil {
		c.invalidate()
	}
	s.browse.invalidate(channel)
}

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	handle := func(pattern, endpoint string, h http.HandlerFunc) {
		mux.Handle(pattern, s.instrument(endpoint, h))
	}
	handle("GET /catchup/{channel}/manifest.mpd", epDASH, s.handleDASH)
	handle("GET /catchup/{channel}/master.m3u8", epHLSMaster, s.handleHLSMaster)
	handle("GET /catchup/{channel}/hls/{file}", epHLSMedia, s.handleHLSMedia)
	handle("GET /catchup/{channel}/init/{track}/{file}", epInit, s.handleInit)
	handle("GET /catchup/{channel}/seg/{track}/{hash}/{timescale}/{file}", epSegment, s.handleSegment)
	handle("GET /catchup/{channel}/clip.mp4", epClip, s.handleClip)
	handle("GET /{channel}/{file}", epAlias, s.handleAlias)
	handle("GET /api/channels", epChannels, s.handleChannels)
	handle("GET /api/channels/{channel}", epChannel, s.handleChannel)
	handle("GET /api/channels/{channel}/coverage", epCoverage, s.handleCoverage)
	handle("POST /api/sign", epSign, s.handleSign)
	mux.HandleFunc("OPTIONS /", s.handlePreflight)
	return mux
}

// Headers a player's script may read from catch-up responses.
const exposedHeaders = "Reapd-Window, Reapd-Window-Clipped, Reapd-Gaps, Content-Length, Content-Range, ETag, Accept-Ranges"

// instrument counts and times requests, adds the CORS headers and applies
// the read side's access control.
func (s *Server) instrument(endpoint string, h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		w.Header().Set("Access-Control-Allow-Origin", "*")
		w.Header().Set("Access-Control-Expose-Headers", exposedHeaders)
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		if r, ok := s.authorize(sw, r); ok {
			h(sw, r)
		}
		s.metrics.Requests.WithLabelValues(endpoint, strconv.Itoa(sw.status)).Inc()
		s.metrics.Duration.WithLabelValues(endpoint).Observe(time.Since(start).Seconds())
		s.metrics.Bytes.WithLabelValues(endpoint).Add(float64(sw.bytes))
	})
}

// handlePreflight answers CORS preflight requests.
func (s *Server) handlePreflight(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Access-Control-Allow-Origin", "*")
	h.Set("Access-Control-Allow-Methods", "GET, HEAD, OPTIONS")
	h.Set("Access-Control-Allow-Headers", "Range, If-None-Match, If-Modified-Since, If-Range, Authorization")
	h.Set("Access-Control-Max-Age", "86400")
	w.WriteHeader(http.StatusNoContent)
}

// statusWriter records the status and body size of a response, and lets
// beforeHeader (when set) adjust the header once, before it is sent.
type statusWriter struct {
	http.ResponseWriter
	status       int
	bytes        int64
	wroteHeader  bool
	beforeHeader func(http.Header)
}

func (w *statusWriter) header() {
	if f := w.beforeHeader; f != nil {
		w.beforeHeader = nil
		f(w.ResponseWriter.Header())
	}
}

func (w *statusWriter) WriteHeader(code int) {
	if !w.wroteHeader {
		w.status, w.wroteHeader = code, true
		w.header()
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(p []byte) (int, error) {
	if !w.wroteHeader {
		w.header()
	}
	w.wroteHeader = true
	n, err := w.ResponseWriter.Write(p)
	w.bytes += int64(n)
	return n, err
}

// ReadFrom passes a file on to the underlying writer (sendfile), counting
// its bytes.
func (w *statusWriter) ReadFrom(r io.Reader) (int64, error) {
	if !w.wroteHeader {
		w.header()
	}
	w.wroteHeader = true
	var n int64
	var err error
	if rf, ok := w.ResponseWriter.(io.ReaderFrom); ok {
		n, err = rf.ReadFrom(r)
	} else {
		n, err = io.Copy(struct{ io.Writer }{w.ResponseWriter}, r)
	}
	w.bytes += n
	return n, err
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
