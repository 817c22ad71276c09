package catchup_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/reapd/reapd/archive"
	"github.com/reapd/reapd/blobstore"
	"github.com/reapd/reapd/catchup"
	"github.com/reapd/reapd/trackfile"
)

// liveArchive is real ffmpeg output (DASH ingest, epoch times) archived by
// the archiver into a mem store, finalized as far as the clock says, and
// served by a catch-up Server over a real HTTP server: what end-to-end
// tests — and the browser player harness — read back.
//
// The content is Seconds of 320x180 25 fps video and 48 kHz AAC starting
// at Epoch (2026-01-01T00:00:00Z), in 2 s segments and 60 s storage
// periods. Ingest of the segments in [GapFrom, GapTo) is dropped, so the
// archive has a gap there. The clock stands Seconds+2 s after Epoch: every
// period that ended before it is finalized, the last one is still open
// (its segments only staged).
type liveArchive struct {
	Store   *blobstore.Store
	Arch    *archive.Archiver
	Catchup *catchup.Server
	Server  *httptest.Server // serves catch-up (Catchup.Handler())
	clock   atomic.Int64     // unix ms
}

const (
	e2eEpoch   = 1767225600 // 2026-01-01T00:00:00Z: on the 60 s period grid
	e2eSeconds = 170
	e2eGapFrom = 100 // seconds after e2eEpoch; a whole number of segments
	e2eGapTo   = 110
)

func (a *liveArchive) now() time.Time { return time.UnixMilli(a.clock.Load()) }

// at returns the instant seconds after e2eEpoch.
func at(seconds float64) time.Time {
	return time.UnixMilli(e2eEpoch*1000 + int64(seconds*1000)).UTC()
}

// URL returns the catch-up server's URL for path (and query).
func (a *liveArchive) URL(path string) string { return a.Server.URL + path }

// Window returns "start=…&end=…" (end < 0: start-over) in epoch seconds.
func Window(start, end float64) string {
	q := "start=" + strconv.FormatFloat(float64(e2eEpoch)+start, 'f', 3, 64)
	if end >= 0 {
		q += "&end=" + strconv.FormatFloat(float64(e2eEpoch)+end, 'f', 3, 64)
	}
	return q
}

func needFFmpeg(t testing.TB) {
	t.Helper()
	for _, tool := range []string{"ffmpeg", "ffprobe"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is required: run `make test-deps` (apt-get install ffmpeg)", tool)
		}
	}
}

func testLogger() *slog.Logger {
	if os.Getenv("REAPD_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return nil
}

// gapChunk matches ffmpeg's segment names ("chunk-stream0-00051.m4s":
// segment K covers [(K−1)·2 s, K·2 s)).
var gapChunk = regexp.MustCompile(`/chunk-stream[0-9]+-([0-9]+)\.m4s$`)

// newLiveArchive runs ffmpeg into an archiver and serves catch-up.
func newLiveArchive(t testing.TB) *liveArchive {
	t.Helper()
	needFFmpeg(t)
	st, err := blobstore.Open(context.Background(), "mem://", nil)
	if err != nil {
		t.Fatal(err)
	}
	a := &liveArchive{Store: st}
	a.clock.Store((e2eEpoch + e2eSeconds + 2) * 1000)
	a.Catchup = catchup.New(st, &catchup.Options{Now: a.now, Logger: testLogger()})
	a.Arch = archive.New(st, &archive.Options{Now: a.now, Logger: testLogger(), Defaults: archive.ChannelConfig{
		SegmentDuration: trackfile.Rational{Num: 2, Den: 1}, StoragePeriod: 60 * time.Second},
		OnFinalize: func(channel string, _ int64) { a.Catchup.Invalidate(channel) }}) // as cmd wires them
	ingest := a.Arch.Handler()
	drop := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if m := gapChunk.FindStringSubmatch(r.URL.Path); m != nil {
			k, _ := strconv.Atoi(m[1])
			if start := (k - 1) * 2; start >= e2eGapFrom && start < e2eGapTo {
				_, _ = io.Copy(io.Discard, r.Body) // an outage on the way: never arrives
				return
			}
		}
		ingest.ServeHTTP(w, r)
	})
	in := httptest.NewServer(drop)
	a.Server = httptest.NewServer(a.Catchup.Handler())
	t.Cleanup(func() {
		a.Server.Close()
		in.Close()
		_ = a.Arch.Shutdown(context.Background())
		st.Close()
	})

	runFFmpeg(t, "-f", "lavfi", "-i", fmt.Sprintf("testsrc2=size=320x180:rate=25:duration=%d", e2eSeconds),
		"-f", "lavfi", "-i", fmt.Sprintf("sine=frequency=440:sample_rate=48000:duration=%d", e2eSeconds),
		"-vf", fmt.Sprintf("setpts=PTS+%d/TB", e2eEpoch), "-af", fmt.Sprintf("asetpts=PTS+%d/TB", e2eEpoch),
		"-c:v", "libx264", "-preset", "ultrafast", "-g", "50", "-keyint_min", "50", "-sc_threshold", "0",
		"-c:a", "aac", "-f", "dash", "-method", "PUT", "-http_persistent", "1", "-seg_duration", "2",
		"-streaming", "1", "-ldash", "1", "-frag_type", "duration", "-frag_duration", "0.5",
		"-format_options", "movflags=+cmaf+frag_discont", "-write_prft", "1", in.URL+"/ingest/ch1/manifest.mpd")
	in.Close() // waits for the requests ffmpeg left in flight
	a.Arch.FinalizeDue(context.Background())
	return a
}

// runFFmpeg runs ffmpeg (or ffprobe with args[0] == "ffprobe") and returns
// its output.
func runFFmpeg(t testing.TB, args ...string) string {
	t.Helper()
	tool := "ffmpeg"
	if len(args) > 0 && args[0] == "ffprobe" {
		tool, args = "ffprobe", args[1:]
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, tool, append([]string{"-hide_banner", "-loglevel", "error"}, args...)...)
	if tool == "ffmpeg" {
		cmd.Args = append(cmd.Args[:1], append([]string{"-nostdin"}, cmd.Args[1:]...)...)
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %v: %v\n%s", tool, args, err, out)
	}
	return string(out)
}
