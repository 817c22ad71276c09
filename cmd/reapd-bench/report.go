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
			"segments": f.segments, "store": f.store, "storage_period_s": f.storagePeriod.Seconds(),
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
		fmt.Fprintf(w, "  reapd p99 %.1f ms vs bound 2×sink+10 = %.1f ms; max %.0f ms (< 500); peak RSS %.0f MB (< 300); idle %.0f MB (< 50); failed %d\n",
			reapd.All.P99ms, 2*sink.All.P99ms+10, reapd.All.MaxMs, reapd.PeakRSSMB, reapd.IdleRSSMB, reapd.All.Failed)
	}
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
