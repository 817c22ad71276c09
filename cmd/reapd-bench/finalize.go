package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"time"

	"github.com/reapd/reapd/archive"
	"github.com/reapd/reapd/blobstore"
	"github.com/reapd/reapd/trackfile"
	"github.com/reapd/reapd/trackfile/trackfiletest"
)

// runFinalize is "reapd-bench finalize": the peak memory of finalizing a
// whole storage period (1 hour of a 6 Mbit/s track must finalize under
// 150 MB peak RSS). It stages one period of synthetic segments in a file
// store, finalizes it with a fresh archiver (as after a restart), checks
// the track file, and prints figures.
func runFinalize(args []string) error {
	fs := flag.NewFlagSet("reapd-bench finalize", flag.ExitOnError)
	mbps := fs.Float64("mbps", 6, "track bitrate in Mbit/s")
	period := fs.Duration("period", time.Hour, "storage period to finalize")
	dir := fs.String("dir", "", "store directory (default: a temporary one, removed after)")
	phase := fs.String("phase", "all", "all, or finalize (internal: the measured child process)")
	_ = fs.Parse(args)
	if *phase == "finalize" {
		return finalize(*dir, *period, *mbps)
	}
	if *dir == "" {
		d, err := os.MkdirTemp("", "reapd-bench")
		if err != nil {
			return err
		}
		defer os.RemoveAll(d)
		*dir = d
	}
	ctx := context.Background()
	st, err := blobstore.Open(ctx, "file://"+*dir, nil)
	if err != nil {
		return err
	}
	defer st.Close()

	// 2 s segments of 50 samples; sample size gives the bitrate.
	tr := trackfiletest.Track{ID: 1, Timescale: 48000, SampleDur: 1920, SamplesPerSegment: 50}
	tr.SampleSize = int(*mbps * 1e6 / 8 * 2 / 50)
	const epoch = 1767225600
	n0 := int64(epoch / 2)
	nSegs := int64(period.Seconds() / 2)
	hdr, err := trackfile.ParseHeader(tr.Header())
	if err != nil {
		return err
	}
	if err := st.Create(ctx, trackfile.HeaderKey("bench", "v", hdr.Hash, hdr.Info.Ext), hdr.Raw); err != nil {
		return err
	}
	if err := st.Create(ctx, trackfile.HeaderUseKey("bench", "v", uint64(n0)*tr.SegmentTicks(), hdr.Hash), nil); err != nil {
		return err
	}
	start := time.Now()
	var staged int64
	for i := int64(0); i < nSegs; i++ {
		t := uint64(n0+i) * tr.SegmentTicks()
		seg := tr.Segment(t, uint32(n0+i+1))
		staged += int64(len(seg))
		if err := st.Create(ctx, trackfile.StagedKey("bench", "v", trackfile.StagedName{T: t, D: tr.SegmentTicks(), Ext: hdr.Info.Ext}), seg); err != nil {
			return err
		}
	}
	stageTime := time.Since(start)
	fmt.Printf("finalize: period %s of %.1f Mbit/s: %d segments, %.0f MB staged in %.1fs\n",
		*period, *mbps, nSegs, float64(staged)/1e6, stageTime.Seconds())
	// Finalize in a fresh process (as after a restart), so its peak RSS is
	// the finalizer's alone.
	cmd := exec.Command(os.Args[0], "finalize", "-phase", "finalize", "-dir", *dir, "-period", period.String(),
		"-mbps", fmt.Sprint(*mbps))
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	return cmd.Run()
}

// finalize finalizes the staged period and prints figures.
func finalize(dir string, period time.Duration, mbps float64) error {
	ctx := context.Background()
	st, err := blobstore.Open(ctx, "file://"+dir, nil)
	if err != nil {
		return err
	}
	defer st.Close()
	const epoch = 1767225600
	n0 := int64(epoch / 2)
	nSegs := int64(period.Seconds() / 2)

	a := archive.New(st, &archive.Options{
		Now:      func() time.Time { return time.Unix(epoch, 0).Add(period + time.Minute) },
		Defaults: archive.ChannelConfig{SegmentDuration: trackfile.Rational{Num: 2, Den: 1}, StoragePeriod: period},
	})
	runtime.GC()
	before := peakRSS()
	start := time.Now()
	if err := a.Rescan(ctx); err != nil {
		return err
	}
	a.FinalizeDue(ctx)
	finTime := time.Since(start)
	key := trackfile.TrackFileKey("bench", "v", n0/nSegs, -1, "cmfa")
	attrs, err := st.Stat(ctx, key)
	if err != nil {
		return fmt.Errorf("no track file after finalizing: %w", err)
	}
	left, _ := st.List(ctx, "bench/v/live/")
	if len(left) != 0 {
		return fmt.Errorf("%d staged objects left", len(left))
	}
	peak := peakRSS()
	fmt.Printf("finalize: track file %.0f MB written in %.1fs (%.0f MB/s)\n",
		float64(attrs.Size)/1e6, finTime.Seconds(), float64(attrs.Size)/1e6/finTime.Seconds())
	fmt.Printf("finalize: peak RSS %.1f MB (before finalizing %.1f MB); target < 150 MB: %s\n",
		peak/1e6, before/1e6, map[bool]string{true: "met", false: "NOT MET"}[peak < 150e6])
	return nil
}

// peakRSS returns the process's peak resident set size (VmHWM) in bytes.
func peakRSS() float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "VmHWM:") {
			var kb float64
			fmt.Sscanf(strings.TrimSpace(strings.TrimPrefix(line, "VmHWM:")), "%f", &kb)
			return kb * 1024
		}
	}
	return 0
}
