package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/Eyevinn/dash-mpd/mpd"

	"github.com/reapd/reapd/test/mpdschema"
	"github.com/reapd/reapd/test/staticsrv"
)

// ffmpeg started on an odd second, and at a random sub-second instant, with
// D = 2 s: its segments sit at a constant phase off the REaP epoch grid
// (issue 8, acceptance 2). Nothing may be lost, the coverage has no
// zero-length gap, the archive S-MPD has no Period shorter than a segment
// (ffmpeg's 21 ms of audio priming is not one), and it plays from a
// bucket-like static server in dash.js and shaka, decoding video.
func TestFFmpegOffTheEpochGrid(t *testing.T) {
	needFFmpeg(t)
	phases := []struct {
		name  string
		phase float64 // seconds after an even second
	}{
		{"odd second", 1},
		{"random phase", 0.05 + 1.9*rand.Float64()},
	}
	for _, ph := range phases {
		t.Run(ph.name, func(t *testing.T) {
			t.Parallel()
			runFFmpegOffGrid(t, ph.phase)
		})
	}
}

func runFFmpegOffGrid(t *testing.T, phase float64) {
	dir := t.TempDir()
	p := startReapd(t, "file://"+dir, "--storage-period", "10s", "--finalize-delay", "2s")
	rec := newRecordingProxy(t, p.addr)
	t.Cleanup(p.kill)
	start := float64(time.Now().Unix()/2*2) + phase
	t.Logf("ffmpeg's first frame at %.3f (phase %.3f s off the 2 s grid)", start, phase)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := ffmpegDASH(ctx, start, 16, rec.srv.URL+"/ingest/ch1/manifest.mpd")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg: %v\n%s", err, out)
	}
	rec.settle()
	// ffmpeg does not wait for its last answers: what it got a 200 for
	// must be archived; a request it cut short may be refused.
	s := sentSegments(t, rec.acked())
	if len(s.distinct) < 12 {
		t.Fatalf("only %d media segments acknowledged\n%s", len(s.distinct), tailLogs(p))
	}
	st := openStore(t, "file://"+dir)
	if !poll(60*time.Second, func() bool {
		left, err := stagedLeft(st, "ch1")
		return err == nil && len(left) == 0 && exists(filepath.Join(dir, "ch1", "archive.mpd"))
	}) {
		left, _ := stagedLeft(st, "ch1")
		t.Fatalf("not finalized within 60 s: staged %q\n%s", left, tailLogs(p))
	}
	checkArchived(t, s, archivedWithTimes(t, st, "ch1"))
	checkCoverage(t, p.addr, start)
	raw, err := os.ReadFile(filepath.Join(dir, "ch1", "archive.mpd"))
	if err != nil {
		t.Fatal(err)
	}
	mpdschema.Validate(t, raw)
	checkPeriodsAtLeast(t, raw, 1.9)
	playArchive(t, staticsrv.Start(t, dir).URL+"/ch1/archive.mpd", s, livesimProfile{})
	p.stop(t)
}

// checkCoverage asks the browse API for the channel's coverage: every range
// and gap is longer than zero.
func checkCoverage(t *testing.T, addr string, start float64) {
	t.Helper()
	from := time.Unix(int64(start)-10, 0).UTC().Format(time.RFC3339)
	to := time.Unix(int64(start)+60, 0).UTC().Format(time.RFC3339)
	resp, err := http.Get("http://" + addr + "/api/channels/ch1/coverage?from=" + from + "&to=" + to)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var cov struct {
		Tracks []struct {
			Name   string
			Ranges []struct{ Start, End time.Time }
			Gaps   []struct {
				Start, End time.Time
				Reason     string
			}
		}
	}
	if err := json.NewDecoder(resp.Body).Decode(&cov); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("coverage: %d %v", resp.StatusCode, err)
	}
	if len(cov.Tracks) != 2 {
		t.Errorf("coverage has %d tracks, want 2", len(cov.Tracks))
	}
	for _, tr := range cov.Tracks {
		if len(tr.Ranges) != 1 {
			t.Errorf("track %s: %d ranges, want one contiguous range: %+v", tr.Name, len(tr.Ranges), tr.Ranges)
		}
		for _, g := range tr.Gaps {
			if !g.End.After(g.Start) {
				t.Errorf("track %s: a zero-length gap at %s (%s)", tr.Name, g.Start, g.Reason)
			}
		}
	}
}

// checkPeriodsAtLeast fails for a Period of the static S-MPD shorter than
// min seconds.
func checkPeriodsAtLeast(t *testing.T, raw []byte, min float64) {
	t.Helper()
	m, err := mpd.MPDFromBytes(raw)
	if err != nil {
		t.Fatal(err)
	}
	var starts []float64
	for _, p := range m.Periods {
		if p.Start == nil {
			t.Fatalf("Period %s without start", p.Id)
		}
		starts = append(starts, time.Duration(*p.Start).Seconds())
	}
	end := time.Duration(*m.MediaPresentationDuration).Seconds()
	var short []string
	for i, s := range starts {
		e := end
		if i+1 < len(starts) {
			e = starts[i+1]
		}
		if e-s < min {
			short = append(short, fmt.Sprintf("Period %s: %.3f s", m.Periods[i].Id, e-s))
		}
	}
	if len(short) > 0 {
		t.Errorf("Periods shorter than a segment (%.1f s): %s", min, strings.Join(short, ", "))
	}
}
