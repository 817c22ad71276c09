package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"time"

	"github.com/reapd/reapd/bench/ingestload"
)

// ingestFlags are the flags of "reapd-bench ingest".
type ingestFlags struct {
	channels      int
	duration      time.Duration
	segments      int
	mode          string
	store         string
	storagePeriod time.Duration
	reapd, gw     string
	dir, media    string
	out, label    string
	sink          bool
	pprof         string
	reapdArgs     string
}

// runIngest is "reapd-bench ingest": the same load into the raw sink and
// into reapd, one after the other on the same disk, then a table and a
// record in the results file.
func runIngest(args []string) error {
	var f ingestFlags
	fs := flag.NewFlagSet("reapd-bench ingest", flag.ExitOnError)
	fs.IntVar(&f.channels, "channels", 300, "channels, each a video and two audio tracks on a keep-alive connection each")
	fs.DurationVar(&f.duration, "duration", 62*time.Second, "how long a real-time run sends")
	fs.IntVar(&f.segments, "segments", 30, "segments per track of a fast run")
	fs.StringVar(&f.mode, "mode", "realtime", "realtime (each segment at the end of its slot, channels staggered over D) or fast (back to back)")
	fs.StringVar(&f.store, "store", "file", "reapd's store: file (a directory) or s3 (versitygw on a directory)")
	fs.DurationVar(&f.storagePeriod, "storage-period", 0, "reapd --storage-period (e.g. 20s: every channel's period finalizes during the run); 0: reapd's default")
	fs.StringVar(&f.reapd, "reapd", "", "reapd binary (default: reapd next to this binary)")
	fs.StringVar(&f.gw, "versitygw", ".bin/versitygw", "versitygw binary for -store s3")
	fs.StringVar(&f.dir, "dir", "", "work directory for the stores (default: a temporary one, removed after)")
	fs.StringVar(&f.media, "media", "", "cache directory of the encoded media (default: under the temp dir)")
	fs.StringVar(&f.out, "out", "bench/results.json", "results file: this run's record replaces the one of the same label")
	fs.StringVar(&f.label, "label", "", "name of this run in the results file (default from mode, channels, store, period)")
	fs.BoolVar(&f.sink, "sink", true, "also run the raw sink baseline")
	fs.StringVar(&f.pprof, "pprof", "", "reapd --pprof address (profile the run with go tool pprof)")
	fs.StringVar(&f.reapdArgs, "reapd-args", "", "more reapd serve flags, space-separated")
	_ = fs.Parse(args)
	if f.label == "" {
		f.label = fmt.Sprintf("%s-%dch-%s", f.mode, f.channels, f.store)
		if f.storagePeriod > 0 {
			f.label += "-period" + f.storagePeriod.String()
		}
	}
	if f.reapd == "" {
		self, err := os.Executable()
		if err != nil {
			return err
		}
		f.reapd = filepath.Join(filepath.Dir(self), "reapd")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	m, err := ingestload.MakeMedia(ctx, f.media)
	if err != nil {
		return err
	}
	if f.dir == "" {
		d, err := os.MkdirTemp("", "reapd-bench-ingest")
		if err != nil {
			return err
		}
		defer os.RemoveAll(d)
		f.dir = d
	}
	if err := os.MkdirAll(f.dir, 0o777); err != nil {
		return err
	}
	cfg := ingestload.Config{Channels: f.channels, Mode: ingestload.Mode(f.mode), Duration: f.duration, Segments: f.segments}
	rec := newRecord(&f, m)
	fmt.Printf("ingest: %s: %d channels × 3 tracks, %.2f MB/s of media per channel, %s\n",
		f.label, f.channels, m.BytesPerSecond()/1e6, describeLoad(cfg))
	fmt.Printf("ingest: machine: %s\n", rec.Machine.Uptime)
	if f.sink {
		r, err := measure(ctx, "sink", m, cfg, func() (*target, func(), error) {
			t, err := startSink(ctx, filepath.Join(f.dir, "sink"))
			return t, func() {}, err
		})
		if err != nil {
			return err
		}
		rec.add(r)
	}
	r, err := measure(ctx, "reapd", m, cfg, func() (*target, func(), error) { return startReapdFor(ctx, &f) })
	if err != nil {
		return err
	}
	rec.add(r)
	rec.print(os.Stdout)
	if f.out != "" {
		if err := rec.save(f.out); err != nil {
			return err
		}
		fmt.Printf("ingest: results in %s (label %s)\n", f.out, f.label)
	}
	return nil
}

func describeLoad(cfg ingestload.Config) string {
	if cfg.Mode == ingestload.Fast {
		return fmt.Sprintf("fast: %d segments per track back to back", cfg.Segments)
	}
	return fmt.Sprintf("real time for %s", cfg.Duration)
}

// startReapdFor starts reapd on the store f asks for (and the S3 server
// under it); the func stops what was started besides reapd.
func startReapdFor(ctx context.Context, f *ingestFlags) (*target, func(), error) {
	var extra []string
	if f.storagePeriod > 0 {
		extra = append(extra, "--storage-period", f.storagePeriod.String())
	}
	if f.pprof != "" {
		extra = append(extra, "--pprof", f.pprof)
	}
	extra = append(extra, strings.Fields(f.reapdArgs)...)
	logPath := filepath.Join(f.dir, "reapd.log")
	switch f.store {
	case "file":
		t, err := startReapd(ctx, f.reapd, "file://"+filepath.Join(f.dir, "reapd"), logPath, nil, extra)
		return t, func() {}, err
	case "s3":
		gw, url, env, err := startVersity(ctx, f.gw, filepath.Join(f.dir, "s3"))
		if err != nil {
			return nil, nil, err
		}
		t, err := startReapd(ctx, f.reapd, url, logPath, env, extra)
		if err != nil {
			gw.stop()
			return nil, nil, err
		}
		return t, gw.stop, nil
	}
	return nil, nil, fmt.Errorf("-store %q: want file or s3", f.store)
}

// measure starts a target, runs the load against it and reads its
// figures.
func measure(ctx context.Context, name string, m *ingestload.Media, cfg ingestload.Config,
	startFn func() (*target, func(), error)) (*targetResult, error) {
	t, stopMore, err := startFn()
	if err != nil {
		return nil, err
	}
	defer stopMore()
	defer t.stop()
	_, idle, _ := t.proc.RSS() // peak so far: start-up, no load
	cpu0, _ := t.proc.CPUSeconds()
	cfg.URL = t.url
	if name != "sink" {
		cfg.URL += "/ingest"
	}
	begin := time.Now()
	res, err := ingestload.Run(ctx, m, cfg)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	cpu1, _ := t.proc.CPUSeconds()
	_, peak, _ := t.proc.RSS()
	// Steady state: after the first two segments of every track (new
	// connections, channels created, headers stored).
	steadyFrom := begin.Add(2 * ingestload.D)
	if cfg.Mode == ingestload.Realtime {
		steadyFrom = firstSent(res.Samples).Add(2 * ingestload.D)
	}
	r := &targetResult{
		Target:    name,
		All:       ingestload.Summarize(res.Samples, time.Time{}),
		Steady:    ingestload.Summarize(res.Samples, steadyFrom),
		CPUSec:    cpu1 - cpu0,
		PeakRSSMB: peak / 1e6,
		IdleRSSMB: idle / 1e6,
		ElapsedS:  res.Elapsed.Seconds(),
		Errors:    res.Errors,
	}
	return r, nil
}

func firstSent(ss []ingestload.Sample) time.Time {
	var t time.Time
	for _, s := range ss {
		if t.IsZero() || s.Sent.Before(t) {
			t = s.Sent
		}
	}
	return t
}
