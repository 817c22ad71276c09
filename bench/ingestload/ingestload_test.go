package ingestload

import (
	"context"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/reapd/reapd/archive"
	"github.com/reapd/reapd/blobstore"
	"github.com/reapd/reapd/trackfile"
)

// media makes (or reads the cached) bench media; the test needs ffmpeg.
func media(t *testing.T) *Media {
	t.Helper()
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		t.Skip("ffmpeg not installed (make test-deps)")
	}
	m, err := MakeMedia(context.Background(), filepath.Join(os.TempDir(), "reapd-bench-media-v1"))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestRunStagesEverySegment pushes two channels in fast mode into an
// in-process archiver and checks that every request was answered 200 and
// every segment was staged under the slot it was sent for, with the
// media time the rewritten tfdt gives.
func TestRunStagesEverySegment(t *testing.T) {
	m := media(t)
	ctx := context.Background()
	st, err := blobstore.Open(ctx, "mem://", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	a := archive.New(st, &archive.Options{Defaults: archive.ChannelConfig{
		SegmentDuration: trackfile.Rational{Num: 2, Den: 1}}})
	srv := httptest.NewServer(a.Handler())
	defer srv.Close()

	const segs = cycleSegments + 2 // across a cycle's end
	start := time.Now().Add(-time.Hour).Truncate(time.Hour)
	res, err := Run(ctx, m, Config{URL: srv.URL + "/ingest", Channels: 2, Mode: Fast, Segments: segs, Start: start})
	if err != nil {
		t.Fatal(err)
	}
	sum := Summarize(res.Samples, time.Time{})
	if sum.Requests != 2*3*segs || sum.Failed != 0 {
		t.Fatalf("%d requests, %d failed (want %d, 0): %v", sum.Requests, sum.Failed, 2*3*segs, res.Errors)
	}
	for _, tr := range m.Tracks {
		objs, err := st.List(ctx, trackfile.StagedPrefix("ch1", tr.Name))
		if err != nil {
			t.Fatal(err)
		}
		var times []uint64
		for _, o := range objs {
			if !strings.HasSuffix(o.Key, "."+tr.Ext) {
				continue
			}
			staged := trackfile.ParseStagedTrack([]string{o.Key}).Segments("")
			if len(staged) == 1 {
				times = append(times, staged[0].T)
			}
		}
		if len(times) != segs {
			t.Fatalf("%s: %d segments staged, want %d: %v", tr.Name, len(times), segs, objs)
		}
		ticks := uint64(D.Seconds()) * uint64(tr.Timescale)
		first := uint64(start.Unix()) / uint64(D.Seconds())
		for i, at := range times {
			// audio segments start within one AAC frame of their slot
			if n := at / ticks; n != first+uint64(i) || at-n*ticks > 1024 {
				t.Errorf("%s segment %d at %d: slot %d (+%d ticks), want slot %d", tr.Name, i, at, n, at-n*ticks, first+uint64(i))
			}
		}
	}
}
