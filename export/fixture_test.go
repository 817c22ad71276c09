package export_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"regexp"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/reapd/reapd/archive"
	"github.com/reapd/reapd/blobstore"
	"github.com/reapd/reapd/trackfile"
)

// The fixture archive: fixSeconds of ffmpeg output (320x180 25 fps video,
// 48 kHz AAC, 2 s segments) from fixEpoch, in 20 s storage periods, with
// the segments of [fixGapFrom, fixGapTo) never arriving, archived by an
// in-process archiver into a mem store and finalized.
const (
	fixEpoch   = 1767225600 // 2026-01-01T00:00:00Z
	fixSeconds = 50
	fixGapFrom = 30
	fixGapTo   = 34
)

var chunkRE = regexp.MustCompile(`/chunk-stream[0-9]+-([0-9]+)\.m4s$`)

var (
	fixOnce  sync.Once
	fixStore *blobstore.Store
	fixErr   error
)

// fixture returns the shared fixture archive (built once per test binary).
func fixture(t testing.TB) *blobstore.Store {
	t.Helper()
	fixOnce.Do(func() { fixStore, fixErr = buildFixture() })
	if fixErr != nil {
		t.Fatal(fixErr)
	}
	return fixStore
}

func buildFixture() (*blobstore.Store, error) {
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		return nil, fmt.Errorf("ffmpeg is required: run `make test-deps`")
	}
	st, err := blobstore.Open(context.Background(), "mem://", nil)
	if err != nil {
		return nil, err
	}
	now := func() time.Time { return time.Unix(fixEpoch+fixSeconds+60, 0) }
	arch := archive.New(st, &archive.Options{Now: now, Defaults: archive.ChannelConfig{
		SegmentDuration: trackfile.Rational{Num: 2, Den: 1}, StoragePeriod: 20 * time.Second}})
	ingest := arch.Handler()
	in := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if m := chunkRE.FindStringSubmatch(r.URL.Path); m != nil {
			k, _ := strconv.Atoi(m[1])
			if start := (k - 1) * 2; start >= fixGapFrom && start < fixGapTo {
				_, _ = io.Copy(io.Discard, r.Body)
				return
			}
		}
		ingest.ServeHTTP(w, r)
	}))
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error",
		"-f", "lavfi", "-i", fmt.Sprintf("testsrc2=size=320x180:rate=25:duration=%d", fixSeconds),
		"-f", "lavfi", "-i", fmt.Sprintf("sine=frequency=440:sample_rate=48000:duration=%d", fixSeconds),
		"-vf", fmt.Sprintf("setpts=PTS+%d/TB", fixEpoch), "-af", fmt.Sprintf("asetpts=PTS+%d/TB", fixEpoch),
		"-c:v", "libx264", "-preset", "ultrafast", "-g", "50", "-keyint_min", "50", "-sc_threshold", "0",
		"-c:a", "aac", "-f", "dash", "-method", "PUT", "-http_persistent", "1", "-seg_duration", "2",
		"-streaming", "1", "-ldash", "1", "-frag_type", "duration", "-frag_duration", "0.5",
		"-format_options", "movflags=+cmaf+frag_discont", "-write_prft", "1", in.URL+"/ingest/ch1/manifest.mpd")
	out, err := cmd.CombinedOutput()
	in.Close()
	if err != nil {
		return nil, fmt.Errorf("ffmpeg: %v\n%s", err, out)
	}
	arch.FinalizeDue(context.Background())
	if err := arch.Shutdown(context.Background()); err != nil {
		return nil, err
	}
	return st, nil
}

// at returns the instant seconds after fixEpoch.
func at(seconds float64) time.Time {
	return time.UnixMilli(fixEpoch*1000 + int64(seconds*1000)).UTC()
}
