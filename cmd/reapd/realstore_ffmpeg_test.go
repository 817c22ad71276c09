package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os/exec"
	"regexp"
	"slices"
	"testing"
	"time"

	"github.com/reapd/reapd/blobstore"
	"github.com/reapd/reapd/blobstore/blobstoretest"
)

// Real ffmpeg (DASH ingest, low-latency chunked PUTs) into a reapd process
// that archives to a real S3 or GCS server: every segment reapd
// acknowledged ends up in exactly one storage track file, byte for byte,
// and catch-up serves them all back.

func TestFFmpegToReapdOnS3(t *testing.T) {
	srv := blobstoretest.StartS3(t)
	runFFmpegToStore(t, srv.URL(), nil)
}

// TestFFmpegToReapdOnGCS opens the bucket as an operator would an
// emulator: gs://bucket with STORAGE_EMULATOR_HOST.
func TestFFmpegToReapdOnGCS(t *testing.T) {
	srv := blobstoretest.StartGCS(t)
	u, env := srv.EnvURL()
	runFFmpegToStore(t, u, env)
}

func needFFmpeg(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		t.Fatal("ffmpeg is required: run `make test-deps` (apt-get install ffmpeg)")
	}
}

// chunkPath matches ffmpeg's media segment names; the group is the track.
var chunkPath = regexp.MustCompile(`/chunk-stream(\d+)-\d+\.m4s$`)

func runFFmpegToStore(t *testing.T, store string, env []string) {
	needFFmpeg(t)
	p := startReapdEnv(t, store, env, completeFlags...)
	rec := newRecordingProxy(t, p.addr)
	// Media from the start of a storage period (10 s = 5 segments per
	// track) an hour ago, and one segment more: ffmpeg exits without
	// waiting for its last answers, and its last request is sometimes cut
	// short (connection reset) and refused. The period before it is
	// complete, so it is finalized as soon as ffmpeg is done. In real time
	// (-re), as a live encoder sends: run as fast as it can on a loaded
	// machine, ffmpeg got ahead of a slow store and exited with three of
	// the period's segments unanswered.
	epoch := pastN0() * 2
	n0 := epoch / 2
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := ffmpegDASH(ctx, float64(epoch), 12, rec.srv.URL+"/ingest/ch1/manifest.mpd")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("ffmpeg: %v\n%s", err, out)
	}
	rec.settle()

	sent := map[string][][]byte{} // track → the period's segments, in order
	acked := rec.acked()
	for _, path := range sortedKeys(acked) { // ffmpeg numbers with %05d
		if m := chunkPath.FindStringSubmatch(path); m != nil && len(sent[m[1]]) < 5 {
			sent[m[1]] = append(sent[m[1]], acked[path]...)
		}
	}
	if len(sent["0"]) != 5 || len(sent["1"]) != 5 {
		t.Fatalf("reapd acknowledged %d video and %d audio segments of the period, want 5 each; not acknowledged: %q\nffmpeg:\n%s\n%s",
			len(sent["0"]), len(sent["1"]), rec.notAcked(), out, tailLogs(p))
	}
	st := openStoreEnv(t, store, env)
	finalized := func() bool {
		count, _, _ := indexedSegments(t, st, "ch1")
		for _, track := range []string{"0", "1"} {
			for n := n0; n < n0+5; n++ {
				if count[track][n] == 0 {
					return false
				}
			}
		}
		return true
	}
	if !poll(60*time.Second, finalized) {
		t.Fatalf("the period was not finalized within a minute\n%s", tailLogs(p))
	}
	archived := archivedSegments(t, st, "ch1")
	for track, bodies := range sent {
		got := archived[track]
		if len(got) != len(bodies) {
			t.Errorf("track %s: %d segments acknowledged, %d in track files", track, len(bodies), len(got))
		}
		for i, b := range bodies {
			found := 0
			for _, a := range got {
				if bytes.Equal(a, b) {
					found++
				}
			}
			if found != 1 {
				t.Errorf("track %s: acknowledged segment #%d (%d bytes) is in %d track files, want 1", track, i, len(b), found)
			}
		}
	}
	count, _, files := indexedSegments(t, st, "ch1")
	for track, ns := range count {
		for n, c := range ns {
			if c != 1 {
				t.Errorf("track %s n=%d in %d track files", track, n, c)
			}
		}
		if f := files[track][n0]; f != files[track][n0+4] {
			t.Errorf("track %s: the period is in several files (%s, %s)", track, f, files[track][n0+4])
		}
	}
	checkCatchupWindow(t, p.addr, epoch, sent)
	p.stop(t)
}

// archivedSegments reads every segment of every storage track file of a
// channel back from the store (by the ranges of the period indexes).
func archivedSegments(t *testing.T, st *blobstore.Store, channel string) map[string][][]byte {
	t.Helper()
	ctx := context.Background()
	_, refs, files := indexedSegments(t, st, channel)
	out := map[string][][]byte{}
	for track, byN := range refs {
		for n, ref := range byN {
			r, err := st.NewRangeReader(ctx, files[track][n], ref.Offset, ref.Size)
			if err != nil {
				t.Fatal(err)
			}
			b, err := io.ReadAll(r)
			r.Close()
			if err != nil {
				t.Fatal(err)
			}
			out[track] = append(out[track], b)
		}
	}
	return out
}

// sortedKeys returns the keys of m in order.
func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// tailLogs returns the end of a reapd process's logs.
func tailLogs(p *proc) string {
	l := p.logs.String()
	return l[max(0, len(l)-6000):]
}

// ffmpegDASH is ffmpeg as a live DASH-ingest encoder (toolchain.md): in
// real time (-re), 2 s segments of 0.5 s CMAF chunks with epoch times
// starting at start (seconds, a fraction allowed), for secs seconds, PUT
// to the I-MPD url and the segment names beside it.
func ffmpegDASH(ctx context.Context, start, secs float64, url string) *exec.Cmd {
	return exec.CommandContext(ctx, "ffmpeg", "-hide_banner", "-loglevel", "warning", "-nostdin",
		"-re", "-f", "lavfi", "-i", fmt.Sprintf("testsrc2=size=320x180:rate=25:duration=%g", secs),
		"-re", "-f", "lavfi", "-i", fmt.Sprintf("sine=frequency=440:sample_rate=48000:duration=%g", secs-0.1),
		"-vf", fmt.Sprintf("setpts=PTS+%.6f/TB", start), "-af", fmt.Sprintf("asetpts=PTS+%.6f/TB", start),
		"-c:v", "libx264", "-preset", "ultrafast", "-g", "50", "-keyint_min", "50", "-sc_threshold", "0",
		"-c:a", "aac", "-f", "dash", "-method", "PUT", "-http_persistent", "1", "-seg_duration", "2",
		"-streaming", "1", "-ldash", "1", "-frag_type", "duration", "-frag_duration", "0.5",
		"-format_options", "movflags=+cmaf+frag_discont", "-write_prft", "1", url)
}
