package main

import (
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/reapd/reapd/netguard"
)

// httpParts are the handlers the HTTP server routes to.
type httpParts struct {
	ingest, conformance, catchup http.Handler
	holds                        http.Handler // retention.Handler behind read-side auth
	recordings, exports          http.Handler
	ready, page                  http.Handler
	metricsToken                 string
}

// newHTTPServer builds the server and its listener: routes, the metrics
// token, and the guards against hostile and broken clients (body rate and
// stall, write timeout, idle and header timeouts, connection cap).
func newHTTPServer(f *serveFlags, log *slog.Logger, reg *prometheus.Registry, p httpParts) (*http.Server, net.Listener, error) {
	gm := netguard.NewMetrics(reg)
	mux := http.NewServeMux()
	mux.Handle("/metrics", requireBearer(p.metricsToken, "reapd metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg})))
	mux.Handle("GET /api/channels/{channel}/conformance", p.conformance)
	mux.Handle("/api/holds", p.holds)
	mux.Handle("/api/holds/", p.holds)
	mux.Handle("/api/recordings", p.recordings)
	mux.Handle("/api/recordings/", p.recordings)
	mux.Handle("/api/exports", p.exports)
	mux.Handle("/api/exports/", p.exports)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ok\n") })
	mux.Handle("GET /readyz", p.ready)
	mux.Handle("/", p.catchup)     // catch-up, aliases, browse API
	mux.Handle("GET /{$}", p.page) // the web page and its assets
	mux.Handle("GET /ui/", p.page)
	root := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Ingest paths are validated by the archiver itself, before any
		// path cleaning, so traversal attempts get 400, not a redirect.
		if strings.HasPrefix(r.URL.Path, "/ingest/") {
			p.ingest.ServeHTTP(w, r)
			return
		}
		mux.ServeHTTP(w, r)
	})
	guard := netguard.New(&netguard.Options{
		MinRate: int64(f.bodyMinRate), RateWindow: f.bodyWindow, StallTimeout: f.bodyStall,
		WriteTimeout: f.writeTimeout, IsMedia: isMediaIngest,
		Logger: log.With("component", "netguard"), Metrics: gm,
	})
	ln, err := net.Listen("tcp", f.listen)
	if err != nil {
		return nil, nil, err
	}
	srv := &http.Server{
		Handler:           guard.Handler(root),
		ReadHeaderTimeout: f.readHeaderTimeout,
		IdleTimeout:       f.idleTimeout,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	return srv, netguard.Limit(ln, f.maxConns, gm, log.With("component", "netguard")), nil
}

// isMediaIngest tells the request bodies that are ISOBMFF boxes: ingest of
// CMAF headers and segments (not I-MPDs).
func isMediaIngest(r *http.Request) bool {
	return strings.HasPrefix(r.URL.Path, "/ingest/") && !strings.HasSuffix(r.URL.Path, ".mpd")
}
