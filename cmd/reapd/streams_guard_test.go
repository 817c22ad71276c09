package main

import (
	"context"
	"fmt"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestLongStreamsPOSTOutlivesTheBodyWindow: real ffmpeg sends two
// long-running CMAF ingest POSTs (Streams() form, one per track) in real
// time for 20 s — ten times the body-rate window, four times the store
// timeout — the audio one in sparse 2 s fragments: reapd cuts neither, and
// archives a segment per 2 s of each.
func TestLongStreamsPOSTOutlivesTheBodyWindow(t *testing.T) {
	needFFmpeg(t)
	const secs = 20
	dir := t.TempDir()
	p := startReapd(t, "file://"+dir, "--segment-duration", "2s", "--storage-period", "10s",
		"--finalize-delay", "3h", "--body-rate-window", "2s", "--body-stall-timeout", "5s", "--store-timeout", "5s")
	epoch := pastN0() * 2
	mov := "empty_moov+separate_moof+default_base_moof+cmaf+frag_discont"
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var wg sync.WaitGroup
	outs := make([]string, 2)
	errs := make([]error, 2)
	for i, args := range [][]string{
		{"-re", "-f", "lavfi", "-i", fmt.Sprintf("testsrc2=size=320x180:rate=25:duration=%d", secs),
			"-vf", fmt.Sprintf("setpts=PTS+%d/TB", epoch), "-c:v", "libx264", "-preset", "ultrafast",
			"-g", "50", "-keyint_min", "50", "-sc_threshold", "0", "-movflags", mov, "-write_prft", "wallclock",
			"-f", "mp4", "http://" + p.addr + "/ingest/ch1/Streams(video.cmfv)"},
		{"-re", "-f", "lavfi", "-i", fmt.Sprintf("sine=frequency=440:sample_rate=48000:duration=%d", secs),
			"-af", fmt.Sprintf("asetpts=PTS+%d/TB", epoch), "-c:a", "aac", "-b:a", "32k", "-movflags", mov,
			"-frag_duration", "2000000", "-write_prft", "wallclock",
			"-f", "mp4", "http://" + p.addr + "/ingest/ch1/Streams(audio.cmfa)"},
	} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out, err := exec.CommandContext(ctx, "ffmpeg", append([]string{"-hide_banner", "-loglevel", "warning", "-nostdin"}, args...)...).CombinedOutput()
			outs[i], errs[i] = string(out), err
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("ffmpeg %d: %v\n%s", i, err, outs[i])
		}
	}
	if logs := p.logs.String(); strings.Contains(logs, "request body cut") {
		t.Fatalf("reapd cut a Streams() POST that kept sending\n%s", tailLogs(p))
	}
	st := openStore(t, "file://"+dir)
	archived := func(track string) int {
		count, _, _ := indexedSegments(t, st, "ch1") // first: the finalizer moves staged segments
		return len(count[track]) + len(stagedBodies(t, st, "ch1", track))
	}
	for _, track := range []string{"video", "audio"} {
		if !poll(10*time.Second, func() bool { return archived(track) >= secs/2-1 }) {
			t.Errorf("%s: %d segments archived of %d s, want at least %d\n%s", track, archived(track), secs, secs/2-1, tailLogs(p))
		}
	}
	p.stop(t)
}
