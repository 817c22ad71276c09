package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/reapd/reapd/bench/ingestload"
)

// targetResult is what one target measured under the load.
type targetResult struct {
	Target    string             `json:"target"`
	All       ingestload.Summary `json:"all"`
	Steady    ingestload.Summary `json:"steady"` // after the first 2·D
	Ratio     float64            `json:"ratio_to_sink,omitempty"`
	CPUSec    float64            `json:"cpu_s"`
	PeakRSSMB float64            `json:"peak_rss_mb"`
	IdleRSSMB float64            `json:"idle_rss_mb"` // peak before the load
	ElapsedS  float64            `json:"elapsed_s"`
	Errors    []string           `json:"errors,omitempty"`
	// Finalize is reapd's finalizer during the run (a run with
	// -storage-period, whose periods end while ingest goes on).
	Finalize *finalizeLag `json:"finalize,omitempty"`
}

// record is one run of "reapd-bench ingest" in the results file.
type record struct {
	Label   string          `json:"label"`
	Time    time.Time       `json:"time"`
	Commit  string          `json:"commit,omitempty"`
	Machine machine         `json:"machine"`
	Config  map[string]any  `json:"config"`
	Results []*targetResult `json:"results"`
}

type machine struct {
	CPUs   int    `json:"cpus"`
	Uptime string `json:"uptime"` // load averages at the start
}

func newRecord(f *ingestFlags, m *ingestload.Media) *record {
	up, _ := exec.Command("uptime").Output()
	commit, _ := exec.Command("git", "rev-parse", "--short", "HEAD").Output()
	return &record{
		Label: f.label, Time: time.Now().UTC(), Commit: strings.TrimSpace(string(commit)),
		Machine: machine{CPUs: runtime.NumCPU(), Uptime: strings.TrimSpace(string(up))},
		Config: map[string]any{"channels": f.channels, "mode": f.mode, "duration_s": f.duration.Seconds(),
			"segments": f.segments, "rounds": f.rounds, "store": f.store, "storage_period_s": f.storagePeriod.Seconds(),
			"channel_mb_per_s": m.BytesPerSecond() / 1e6, "segment_duration_s": ingestload.D.Seconds()},
	}
}

func (r *record) add(t *targetResult) {
	for _, o := range r.Results {
		if o.Target == "sink" && o.All.MBps > 0 && t.Target != "sink" {
			t.Ratio = t.All.MBps / o.All.MBps
		}
	}
	r.Results = append(r.Results, t)
}

// print writes the table of the run.
func (r *record) print(w io.Writer) {
	fmt.Fprintf(w, "\n  %-6s %8s %6s %8s %8s %8s %10s %7s %7s %9s %9s\n",
		"target", "MB/s", "×sink", "p50 ms", "p99 ms", "max ms", "steady p99", "failed", "CPU s", "peak RSS", "idle RSS")
	for _, t := range r.Results {
		ratio := "-"
		if t.Ratio > 0 {
			ratio = fmt.Sprintf("%.2f", t.Ratio)
		}
		fmt.Fprintf(w, "  %-6s %8.1f %6s %8.1f %8.1f %8.1f %10.1f %7d %7.1f %6.0f MB %6.0f MB\n",
			t.Target, t.All.MBps, ratio, t.All.P50ms, t.All.P99ms, t.All.MaxMs, t.Steady.P99ms,
			t.All.Failed, t.CPUSec, t.PeakRSSMB, t.IdleRSSMB)
		for _, e := range t.Errors {
			fmt.Fprintf(w, "    %s: %s\n", t.Target, e)
		}
		if t.Finalize != nil {
			fmt.Fprintf(w, "    %s finalizer: %s\n", t.Target, t.Finalize)
		}
	}
	var sink, reapd *targetResult
	for _, t := range r.Results {
		switch t.Target {
		case "sink":
			sink = t
		case "reapd":
			reapd = t
		}
	}
	if sink != nil && reapd != nil {
		for _, c := range r.checks(sink, reapd) {
			verdict := "ok"
			if !c.ok {
				verdict = "MISS"
			}
			fmt.Fprintf(w, "  %-44s %s (target %s) %s\n", c.what, c.got, c.target, verdict)
		}
	}
}

// check is one of issue 13's targets and how this run did.
type check struct {
	what, got, target string
	ok                bool
}

// checks returns the targets that apply to this run: every run the idle
// RSS; a real-time run the tail against the sink's, the maximum, nothing
// refused and the peak RSS (and p99 < 100 ms from 500 channels); a fast
// run the throughput against the sink's.
func (r *record) checks(sink, reapd *targetResult) []check {
	ms := func(v float64) string { return fmt.Sprintf("%.1f ms", v) }
	cs := []check{{"idle RSS", fmt.Sprintf("%.0f MB", reapd.IdleRSSMB), "< 50 MB", reapd.IdleRSSMB < 50}}
	if r.Config["mode"] == string(ingestload.Fast) {
		return append(cs, check{"throughput against the raw sink", fmt.Sprintf("%.2f×", reapd.Ratio), ">= 0.9×", reapd.Ratio >= 0.9})
	}
	bound := 2*sink.All.P99ms + 10
	cs = append(cs,
		check{"p99 against 2 × the sink's p99 + 10 ms", ms(reapd.All.P99ms), "<= " + ms(bound), reapd.All.P99ms <= bound},
		check{"max latency", ms(reapd.All.MaxMs), "< 500 ms", reapd.All.MaxMs < 500},
		check{"refused or failed requests", fmt.Sprint(reapd.All.Failed), "0", reapd.All.Failed == 0},
		check{"peak RSS", fmt.Sprintf("%.0f MB", reapd.PeakRSSMB), "< 300 MB", reapd.PeakRSSMB < 300})
	if p, _ := r.Config["storage_period_s"].(float64); p > 0 && reapd.Finalize != nil {
		// Kept up: every period's track files written before the next
		// period ended, as far as the histogram's buckets tell.
		l := reapd.Finalize
		bound := l.within(p)
		cs = append(cs, check{"finalizer kept up", l.String(), fmt.Sprintf("max ≤ %g s, the bucket of the period", bound),
			l.Periods > 0 && l.MaxS >= 0 && l.MaxS <= bound})
	}
	if n, _ := r.Config["channels"].(int); n >= 500 {
		cs = append(cs, check{"p99 at 500 channels or more", ms(reapd.All.P99ms), "< 100 ms", reapd.All.P99ms < 100})
	}
	return cs
}

// save puts the record into the results file, replacing one of the same
// label.
func (r *record) save(path string) error {
	var all struct {
		Runs []*record `json:"runs"`
	}
	b, err := os.ReadFile(path)
	switch {
	case err == nil:
		if err := json.Unmarshal(b, &all); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
	case !errors.Is(err, os.ErrNotExist):
		return err
	}
	kept := all.Runs[:0]
	for _, o := range all.Runs {
		if o.Label != r.Label {
			kept = append(kept, o)
		}
	}
	all.Runs = append(kept, r)
	out, err := json.MarshalIndent(all, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o777); err != nil {
		return err
	}
	return os.WriteFile(path, append(out, '\n'), 0o666)
}
