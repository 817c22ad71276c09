package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/reapd/reapd/archive"
	"github.com/reapd/reapd/blobstore"
	"github.com/reapd/reapd/catchup"
	"github.com/reapd/reapd/retention"
	"github.com/reapd/reapd/web"
)

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
	if need := archive.IngestMemoryFor(f.maxSegment); int64(f.ingestMemory) < need {
		log.Warn("--ingest-memory cannot hold a segment of --max-segment-bytes: such segments will be refused with 503",
			"ingest-memory", f.ingestMemory.String(), "needed", need)
	}
	setMemoryLimit(int64(f.ingestMemory))
	log.Info("go runtime", "gomaxprocs", setProcs(), "cpus", runtimeProcs)
	_, stopPprof, err := startPprof(f.pprof, log)
	if err != nil {
		return err
	}
	defer stopPprof()
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	configured := make([]string, 0, len(opts.Channels))
	for name := range opts.Channels {
		configured = append(configured, name)
	}
	opts.Logger = log
	opts.Metrics = archive.NewMetricsWith(reg, &archive.MetricsOptions{MaxChannels: f.maxMetricChannels,
		MaxTracks: f.maxMetricTracks, Channels: configured})

	store, err := blobstore.Open(ctx, f.store, &blobstore.Options{Observe: storeMetrics(reg)})
	if err != nil {
		return fmt.Errorf("open store: %w", err)
	}
	defer store.Close()
	readTokens, urlSigner, err := readAuth(&f.readAuth, fc)
	if err != nil {
		return err
	}
	cleanCtx, stopCleanup := context.WithCancel(ctx)
	cleaned := startCleanup(cleanCtx, store, log)
	defer func() { stopCleanup(); <-cleaned }()
	cu := catchup.New(store, &catchup.Options{Logger: log.With("component", "catchup"),
		Metrics: catchup.NewMetrics(reg), MaxWindow: f.maxWindow,
		BrowseTTL: f.browseTTL, ReadTokens: readTokens, URLSigner: urlSigner})
	rec, stopRecordings, err := startRecordings(ctx, store, fc, log)
	if err != nil {
		return err
	}
	defer stopRecordings()
	// A finalized period changes what catch-up must read: drop its cache;
	// recordings waiting for it may complete.
	opts.OnFinalize = func(channel string, _ int64) { cu.Invalidate(channel); rec.Notify(channel) }
	arch := archive.New(store, opts)
	ret, err := startRetention(ctx, store, fc, arch, cu, reg, log)
	if err != nil {
		return err
	}
	defer ret.Close(context.WithoutCancel(ctx))
	exp, err := f.export.service(store, cu, log)
	if err != nil {
		return err
	}
	_ = exp.Start(ctx)
	defer exp.Close(context.Background()) //nolint:errcheck // stops its jobs; they resume from the store

	token := f.metricsToken
	if fc.MetricsToken != "" && !set["metrics-token"] {
		token = fc.MetricsToken
	}
	srv, ln, err := newHTTPServer(f, log, reg, httpParts{
		ingest: arch.Handler(), conformance: cu.Protect(arch.ConformanceHandler()), catchup: cu.Handler(),
		holds:      cu.Protect(retention.NewHandler(store, &retention.HandlerOptions{Logger: log.With("component", "holds")})),
		recordings: cu.Protect(rec.Handler()), exports: cu.Protect(exp.Handler()),
		ready: newReadiness(store, f.readyzInterval, log.With("component", "readyz")), metricsToken: token,
		page: web.New(nil),
	})
	if err != nil {
		return err
	}
	log.Info("reapd serving", "listen", ln.Addr().String(), "store", store.URL())
	fmt.Fprintf(stdout, "reapd listening on http://%s (store %s)\n", ln.Addr(), store.URL())

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	arch.Start(ctx)
	defer func() { // on an early return; a no-op after the Close below
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), f.shutdownTimeout)
		defer cancel()
		arch.Close(cctx)
	}()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down: no new requests, finishing the ones in flight")
	sctx, cancel := context.WithTimeout(context.Background(), f.shutdownTimeout)
	defer cancel()
	err = errors.Join(srv.Shutdown(sctx), arch.Close(sctx))
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
		NoAutoCreate: f.noAutoCreate, MaxSegmentBytes: f.maxSegment, ClaimLease: f.claimLease,
		IngestMemory: int64(f.ingestMemory), MaxAhead: f.maxAhead, MaxChannels: f.maxChannels,
		MaxTracks: f.maxTracks, MaxMPDVersions: f.maxMPDVersion, StoreTimeout: f.storeTimeout, ArchiveWindow: f.archiveWindow,
		FinalizeRate: float64(f.finalizeRate), FinalizeSpread: f.finalizeSpread, StoreAttemptTimeout: f.storeAttempt}
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
