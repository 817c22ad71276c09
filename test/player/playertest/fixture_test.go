package playertest

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// fixtureEpoch is where the fixture's media time starts, in epoch seconds,
// like an archived track's (toolchain.md: media time relative to the epoch).
const fixtureEpoch = 1_700_000_000

// fixture is one encode of 76 s of testsrc2 320x180 + a 440 Hz tone as
// H.264/AAC with 2 s GOPs and segments, muxed as
//
//	dash/manifest.mpd   static, SegmentTemplate+SegmentTimeline, PTO = epoch
//	dash/nopto.mpd      the same without presentationTimeOffset (plays nothing)
//	dash/audio-only.mpd manifest.mpd without its video AdaptationSet
//	dash/bad-video.mpd  manifest.mpd whose video codec no browser decodes (VVC):
//	                    players drop the video and play the audio alone
//	hls/index.m3u8     VoD fMP4 with EXT-X-PROGRAM-DATE-TIME
type fixture struct {
	dir string
	pdt time.Time // the first EXT-X-PROGRAM-DATE-TIME of hls/index.m3u8
	err error
}

var (
	fixOnce sync.Once
	fix     fixture
)

// TestMain removes the shared fixture, which outlives any one test.
func TestMain(m *testing.M) {
	code := m.Run()
	if fix.dir != "" {
		os.RemoveAll(fix.dir)
	}
	os.Exit(code)
}

// media generates the fixture once per test binary and serves it with the
// CORS headers reapd's catch-up server must send (see the package doc).
func media(t *testing.T) (base string, f *fixture) {
	t.Helper()
	fixOnce.Do(func() { fix = makeFixture() })
	if fix.err != nil {
		t.Fatalf("fixture: %v", fix.err)
	}
	srv := httptest.NewServer(corsHandler(http.FileServer(http.Dir(fix.dir))))
	t.Cleanup(srv.Close)
	return srv.URL, &fix
}

func corsHandler(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Access-Control-Allow-Origin", "*")
		w.Header().Set("Access-Control-Expose-Headers", "Content-Length, Content-Range, Date, ETag")
		if r.Method == http.MethodOptions {
			w.Header().Set("Access-Control-Allow-Methods", "GET, HEAD, OPTIONS")
			w.Header().Set("Access-Control-Allow-Headers", "Range")
			w.WriteHeader(http.StatusNoContent)
			return
		}
		h.ServeHTTP(w, r)
	})
}

func makeFixture() (f fixture) {
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		f.err = fmt.Errorf("ffmpeg is not installed (run make test-deps): %v", err)
		return f
	}
	if f.dir, f.err = os.MkdirTemp("", "playertest-"); f.err != nil {
		return f
	}
	for _, d := range []string{"dash", "hls"} {
		if f.err = os.Mkdir(filepath.Join(f.dir, d), 0o755); f.err != nil {
			return f
		}
	}
	// The input, shifted onto the epoch like an archive's segments; one
	// keyframe every 2 s so that every segment starts with one.
	in := []string{"-hide_banner", "-loglevel", "error", "-y",
		"-f", "lavfi", "-i", "testsrc2=size=320x180:rate=25:duration=76",
		"-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration=76",
		"-vf", fmt.Sprintf("setpts=PTS+%d/TB", fixtureEpoch), "-af", fmt.Sprintf("asetpts=PTS+%d/TB", fixtureEpoch),
		"-c:v", "libx264", "-preset", "ultrafast", "-g", "50", "-keyint_min", "50", "-sc_threshold", "0",
		"-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "64k"}
	// frag_discont keeps the epoch in tfdt instead of restarting at 0.
	dash := append(append([]string{}, in...), "-f", "dash", "-seg_duration", "2",
		"-use_template", "1", "-use_timeline", "1", "-format_options", "movflags=+frag_discont",
		filepath.Join(f.dir, "dash", "nopto.mpd"))
	hls := append(append([]string{}, in...), "-f", "hls", "-hls_time", "2",
		"-hls_segment_type", "fmp4", "-hls_playlist_type", "vod", "-hls_flags", "program_date_time",
		filepath.Join(f.dir, "hls", "index.m3u8"))
	// Two encodes at once: one per core.
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, args := range [][]string{dash, hls} {
		wg.Go(func() {
			if out, err := exec.Command("ffmpeg", args...).CombinedOutput(); err != nil {
				errs[i] = fmt.Errorf("ffmpeg %s: %v\n%s", args[len(args)-1], err, out)
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			f.err = err
			return f
		}
	}
	if f.err = addPTO(filepath.Join(f.dir, "dash")); f.err != nil {
		return f
	}
	f.pdt, f.err = firstPDT(filepath.Join(f.dir, "hls", "index.m3u8"))
	return f
}

// addPTO writes manifest.mpd: nopto.mpd with presentationTimeOffset set to
// the epoch on every SegmentTemplate, as a catch-up MPD sets it to its start.
func addPTO(dir string) error {
	b, err := os.ReadFile(filepath.Join(dir, "nopto.mpd"))
	if err != nil {
		return err
	}
	re := regexp.MustCompile(`<SegmentTemplate timescale="(\d+)"`)
	n := 0
	out := re.ReplaceAllStringFunc(string(b), func(m string) string {
		n++
		ts, _ := strconv.ParseInt(re.FindStringSubmatch(m)[1], 10, 64)
		return fmt.Sprintf(`%s presentationTimeOffset="%d"`, m, fixtureEpoch*ts)
	})
	if n != 2 {
		return fmt.Errorf("nopto.mpd: %d SegmentTemplates with a timescale, want 2", n)
	}
	if err := os.WriteFile(filepath.Join(dir, "manifest.mpd"), []byte(out), 0o644); err != nil {
		return err
	}
	videoSet := regexp.MustCompile(`(?s)\s*<AdaptationSet[^>]*contentType="video".*?</AdaptationSet>`)
	audioOnly := videoSet.ReplaceAllString(out, "")
	videoCodec := regexp.MustCompile(`codecs="avc1\.[0-9a-fA-F]+"`)
	badVideo := videoCodec.ReplaceAllString(out, `codecs="vvc1.1.L51.CQA.O1+3"`)
	if audioOnly == out || badVideo == out {
		return fmt.Errorf("manifest.mpd: no video AdaptationSet or avc1 codec to change")
	}
	if err := os.WriteFile(filepath.Join(dir, "audio-only.mpd"), []byte(audioOnly), 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "bad-video.mpd"), []byte(badVideo), 0o644)
}

// firstPDT reads the first EXT-X-PROGRAM-DATE-TIME: ffmpeg stamps the wall
// clock at muxing, not the media time, so the test must read it back.
func firstPDT(path string) (time.Time, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return time.Time{}, err
	}
	for line := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "#EXT-X-PROGRAM-DATE-TIME:"); ok {
			return time.Parse("2006-01-02T15:04:05.999999999-0700", v)
		}
	}
	return time.Time{}, fmt.Errorf("%s: no EXT-X-PROGRAM-DATE-TIME", path)
}
