package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/reapd/reapd/archive"
	"github.com/reapd/reapd/blobstore"
	"github.com/reapd/reapd/catchup"
)

// serveFlags are the flags of "reapd serve".
type serveFlags struct {
	listen, store, config       string
	sts, segDur                 string
	storagePeriod, finalize     time.Duration
	noAutoCreate                bool
	maxSegment                  int64
	logLevel, logFormat         string
	shutdownTimeout, claimLease time.Duration
	maxWindow                   time.Duration
	readAuth                    readAuthFlags
	browseTTL                   time.Duration
}

func parseServeFlags(args []string, stderr io.Writer) (*serveFlags, *flag.FlagSet, error) {
	f := &serveFlags{}
	fs := flag.NewFlagSet("reapd serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&f.listen, "listen", "127.0.0.1:8080", "HTTP listen address for ingest, catch-up, API, /metrics")
	fs.StringVar(&f.store, "store", "file://./data", "object store URL: file://DIR, s3://BUCKET?…, gs://BUCKET, mem://")
	fs.StringVar(&f.config, "config", "", "optional YAML configuration file (channels, credentials, defaults)")
	fs.StringVar(&f.sts, "sts", "", "default STS for channels: seconds added to input times, or 'auto'")
	fs.StringVar(&f.segDur, "segment-duration", "", "default segment duration D (e.g. 2s, 1.92, 2002/1000); default from I-MPD or inferred")
	fs.DurationVar(&f.storagePeriod, "storage-period", 0, "default storage period S (a multiple of D); default 1h when possible")
	fs.DurationVar(&f.finalize, "finalize-delay", 0, "grace delay after a period's end before finalizing it; default 3·D")
	fs.BoolVar(&f.noAutoCreate, "no-auto-create", false, "reject ingest for channels not in the config file (403)")
	fs.Int64Var(&f.maxSegment, "max-segment-bytes", 64<<20, "largest accepted CMAF header or segment (413 above)")
	fs.StringVar(&f.logLevel, "log-level", "info", "log level: debug, info, warn, error")
	fs.StringVar(&f.logFormat, "log-format", "text", "log format: text or json")
	fs.DurationVar(&f.claimLease, "claim-lease", 2*time.Minute, "how long another archiver's claim on a period it finalizes is respected (shared buckets)")
	fs.DurationVar(&f.maxWindow, "catchup-max-window", 24*time.Hour, "longest catch-up window a manifest may cover (400 above)")
	fs.DurationVar(&f.shutdownTimeout, "shutdown-timeout", 30*time.Second, "how long SIGTERM waits for requests in flight")
	fs.DurationVar(&f.browseTTL, "browse-cache-ttl", 5*time.Second, "how stale GET /api/channels may be (one refresh per TTL serves every client)")
	f.readAuth.register(fs)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: reapd serve [flags]\n\nReceives DASH-IF live ingest under /ingest/{channel}/, archives it, and serves\ncatch-up (/catchup/{channel}/manifest.mpd|master.m3u8?start=&end=), the browse\nAPI (/api/channels…), /metrics, /healthz and /readyz.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return nil, fs, err
	}
	if fs.NArg() > 0 {
		return nil, fs, fmt.Errorf("serve: unexpected arguments %q", fs.Args())
	}
	return f, fs, nil
}

func newLogger(w io.Writer, level, format string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level: %w", err)
	}
	o := &slog.HandlerOptions{Level: lv}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, o)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, o)), nil
	}
	return nil, fmt.Errorf("--log-format: want text or json, not %q", format)
}

// serve runs the server until ctx is done, then shuts down gracefully.
func serve(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	f, fs, err := parseServeFlags(args, stderr)
	if err != nil {
		return err
	}
	log, err := newLogger(stderr, f.logLevel, f.logFormat)
	if err != nil {
		return err
	}
	fc, err := loadConfig(f.config)
	if err != nil {
		return err
	}
	set := map[string]bool{}
	fs.Visit(func(fl *flag.Flag) { set[fl.Name] = true })
	if fc.Listen != "" && !set["listen"] {
		f.listen = fc.Listen
	}
	if fc.Store != "" && !set["store"] {
		f.store = fc.Store
	}
	opts, err := archiveOptions(f, fc)
	if err != nil {
		return err
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	opts.Logger, opts.Metrics = log, archive.NewMetrics(reg)

	store, err := blobstore.Open(ctx, f.store, nil)
	if err != nil {
		return fmt.Errorf("open store: %w", err)
	}
	defer store.Close()
	readTokens, urlSigner, err := readAuth(&f.readAuth, fc)
	if err != nil {
		return err
	}
	cu := catchup.New(store, &catchup.Options{Logger: log.With("component", "catchup"),
		Metrics: catchup.NewMetrics(reg), MaxWindow: f.maxWindow,
		BrowseTTL: f.browseTTL, ReadTokens: readTokens, URLSigner: urlSigner})
	// A finalized period changes what catch-up must read: drop its cache.
	opts.OnFinalize = func(channel string, _ int64) { cu.Invalidate(channel) }
	arch := archive.New(store, opts)

	ln, err := net.Listen("tcp", f.listen)
	if err != nil {
		return err
	}
	ingest := arch.Handler()
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}))
	mux.Handle("GET /api/channels/{channel}/conformance", cu.Protect(arch.ConformanceHandler()))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ok\n") })
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		if _, err := store.List(r.Context(), "readyz/"); err != nil {
			http.Error(w, "store: "+err.Error(), http.StatusServiceUnavailable)
			return
		}
		io.WriteString(w, "ok\n")
	})
	mux.Handle("/", cu.Handler()) // catch-up, aliases, browse API
	root := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Ingest paths are validated by the archiver itself, before any
		// path cleaning, so traversal attempts get 400, not a redirect.
		if strings.HasPrefix(r.URL.Path, "/ingest/") {
			ingest.ServeHTTP(w, r)
			return
		}
		mux.ServeHTTP(w, r)
	})
	srv := &http.Server{Handler: root, ReadHeaderTimeout: 10 * time.Second, ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	log.Info("reapd serving", "listen", ln.Addr().String(), "store", store.URL())
	fmt.Fprintf(stdout, "reapd listening on http://%s (store %s)\n", ln.Addr(), store.URL())

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	// The finalizer resumes from the store, then finalizes periods as
	// they complete or time out.
	finCtx, stopFinalizer := context.WithCancel(context.WithoutCancel(ctx))
	finDone := make(chan struct{})
	go func() { defer close(finDone); _ = arch.Run(finCtx) }()
	defer func() { stopFinalizer(); <-finDone }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down: no new requests, finishing the ones in flight")
	sctx, cancel := context.WithTimeout(context.Background(), f.shutdownTimeout)
	defer cancel()
	err = errors.Join(srv.Shutdown(sctx), arch.Shutdown(sctx))
	stopFinalizer()
	<-finDone
	arch.FinalizeDue(sctx) // what is due now is flushed; the rest waits in the store
	if e := <-errc; e != nil && !errors.Is(e, http.ErrServerClosed) {
		err = errors.Join(err, e)
	}
	log.Info("stopped", "err", err)
	return err
}

// archiveOptions builds the archiver's options from flags and the file.
func archiveOptions(f *serveFlags, fc *fileConfig) (*archive.Options, error) {
	base, err := fc.Defaults.toArchive(archive.ChannelConfig{})
	if err != nil {
		return nil, fmt.Errorf("config defaults: %w", err)
	}
	flagDefaults := channelConfig{STS: f.sts, SegmentDuration: f.segDur}
	if f.storagePeriod > 0 {
		flagDefaults.StoragePeriod = f.storagePeriod.String()
	}
	if f.finalize > 0 {
		flagDefaults.FinalizeDelay = f.finalize.String()
	}
	if base, err = flagDefaults.toArchive(base); err != nil {
		return nil, fmt.Errorf("flags: %w", err)
	}
	opts := &archive.Options{Defaults: base, Channels: map[string]archive.ChannelConfig{},
		NoAutoCreate: f.noAutoCreate, MaxSegmentBytes: f.maxSegment, ClaimLease: f.claimLease}
	if fc.AutoCreate != nil && !*fc.AutoCreate {
		opts.NoAutoCreate = true
	}
	for name, cc := range fc.Channels {
		if opts.Channels[name], err = cc.toArchive(base); err != nil {
			return nil, fmt.Errorf("config channel %s: %w", name, err)
		}
	}
	return opts, nil
}
