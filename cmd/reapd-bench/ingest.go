package main

import (
	"cmp"
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
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
	rounds        int
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
	fs.IntVar(&f.rounds, "rounds", 0, "rounds of the sink and reapd (the sink first in odd rounds, second in even ones); each target's figures are those of its median round by MB/s (0: 3 for a fast run, 1 for a real-time one)")
	_ = fs.Parse(args)
	if f.rounds <= 0 {
		f.rounds = 1
		if f.mode == string(ingestload.Fast) {
			f.rounds = 3
		}
	}
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
	// A fast run is over in seconds and the file system's state (the
	// inodes the last run freed, the page cache) moves its figures by
	// a third from one run to the next: rounds alternate the targets and
	// each keeps its median round.
	var sinks, reapds []*targetResult
	for round := range f.rounds {
		runSink := func() error {
			settle(f.dir)
			r, err := measure(ctx, "sink", m, cfg, false, func() (*target, func(), error) {
				return startSink(ctx, f.store, f.gw, filepath.Join(f.dir, fmt.Sprintf("sink-%d", round)))
			})
			if err == nil {
				sinks = append(sinks, r)
			}
			return err
		}
		runReapd := func() error {
			rf := f
			rf.dir = filepath.Join(f.dir, fmt.Sprintf("round-%d", round))
			if err := os.MkdirAll(rf.dir, 0o777); err != nil {
				return err
			}
			settle(f.dir)
			r, err := measure(ctx, "reapd", m, cfg, f.storagePeriod > 0, func() (*target, func(), error) { return startReapdFor(ctx, &rf) })
			if err == nil {
				reapds = append(reapds, r)
			}
			return err
		}
		order := roundOrder(round, f.sink, runSink, runReapd)
		for _, run := range order {
			if err := run(); err != nil {
				return err
			}
		}
		if f.rounds > 1 {
			fmt.Printf("ingest: round %d: %s\n", round+1, roundLine(sinks, reapds[len(reapds)-1]))
		}
	}
	if len(sinks) > 0 {
		rec.add(medianRound(sinks))
	}
	rec.add(medianRound(reapds))
	rec.print(os.Stdout)
	if f.out != "" {
		if err := rec.save(f.out); err != nil {
			return err
		}
		fmt.Printf("ingest: results in %s (label %s)\n", f.out, f.label)
	}
	return nil
}

// roundOrder returns the runs of round (counted from 0; the output counts
// from 1): the sink (when it runs) first in rounds 0, 2, … and second in
// rounds 1, 3, …, so that neither target always
// meets the file system and memory the other one left.
func roundOrder[F any](round int, withSink bool, sink, reapd F) []F {
	switch {
	case !withSink:
		return []F{reapd}
	case round%2 == 1:
		return []F{reapd, sink}
	default:
		return []F{sink, reapd}
	}
}

// medianRound returns the round of the median MB/s (the lower middle one
// of an even count).
func medianRound(rs []*targetResult) *targetResult {
	s := slices.Clone(rs)
	slices.SortFunc(s, func(a, b *targetResult) int { return cmp.Compare(a.All.MBps, b.All.MBps) })
	return s[(len(s)-1)/2]
}

// roundLine describes a round: the sink's MB/s (when it ran) and reapd's.
func roundLine(sinks []*targetResult, r *targetResult) string {
	if len(sinks) == 0 {
		return fmt.Sprintf("reapd %.1f MB/s", r.All.MBps)
	}
	sk := sinks[len(sinks)-1]
	return fmt.Sprintf("sink %.1f MB/s, reapd %.1f MB/s (%.2f×)", sk.All.MBps, r.All.MBps, r.All.MBps/sk.All.MBps)
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

// settle readies the machine for the next target: nothing dirty on the
// disks (else the one that runs second waits for the writeback of the
// first one's gigabytes) and none of the earlier targets' files under dir
// in the page cache (else it reclaims their pages as it writes).
func settle(dir string) {
	syscall.Sync()
	if _, err := evictPageCache(dir); err != nil {
		fmt.Printf("ingest: the page cache of %s was not dropped: %v\n", dir, err)
	}
}

// measure starts a target, runs the load against it and reads its
// figures; withPeriod, for reapd, also its finalizer's lag.
func measure(ctx context.Context, name string, m *ingestload.Media, cfg ingestload.Config, withPeriod bool,
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
	var lag *finalizeLag
	if name == "reapd" && withPeriod {
		if lag, err = readFinalizeLag(t.url); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
	}
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
		Finalize:  lag,
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
