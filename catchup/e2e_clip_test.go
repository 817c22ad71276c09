package catchup_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/reapd/reapd/trackfile/trackfiletest"
)

// testClip is issue 11's acceptance 1 on the ffmpeg-fed archive: a 60 s
// clip.mp4 is progressive (moov before mdat) with both tracks, lasts the
// window within a GOP (within a frame with accurate=1, on the first and
// last presented frames), decodes without an error, answers a Range with
// exactly those bytes of the whole, keeps a gap in its timeline, and
// format=fmp4 decodes too.
func testClip(t *testing.T, a *liveArchive) {
	clipURL := func(start, end float64, extra string) string {
		return a.URL("/catchup/ch1/clip.mp4?" + Window(start, end) + extra)
	}
	save := func(t *testing.T, url string) (string, []byte, *http.Response) {
		t.Helper()
		resp := fetch(t, url)
		b := readAll(t, resp)
		if cl := resp.Header.Get("Content-Length"); cl != strconv.Itoa(len(b)) {
			t.Fatalf("Content-Length %q, body of %d bytes", cl, len(b))
		}
		if resp.Header.Get("ETag") == "" || resp.Header.Get("Accept-Ranges") != "bytes" {
			t.Errorf("ETag %q, Accept-Ranges %q", resp.Header.Get("ETag"), resp.Header.Get("Accept-Ranges"))
		}
		f := filepath.Join(t.TempDir(), "clip.mp4")
		if err := os.WriteFile(f, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return f, b, resp
	}
	decodes := func(t *testing.T, f string) {
		t.Helper()
		if out := runFFmpeg(t, "-v", "error", "-i", f, "-f", "null", "-"); strings.TrimSpace(out) != "" {
			t.Errorf("ffmpeg decoding %s: %s", filepath.Base(f), out)
		}
	}

	t.Run("a 60 s clip cut at key frames", func(t *testing.T) {
		f, b, resp := save(t, clipURL(20.5, 80.5, ""))
		if m, d := trackfiletest.BoxOffset(b, "moov"), trackfiletest.BoxOffset(b, "mdat"); m > d {
			t.Errorf("moov at %d after mdat at %d: not progressive", m, d)
		}
		pr := probe(t, f)
		if len(pr.Streams) != 2 || pr.codecs() != "h264,aac" {
			t.Errorf("streams %s, want h264 and aac", pr.codecs())
		}
		// The key frame at 20 s starts it, the frame before 80.5 s ends it.
		if d := pr.duration(); math.Abs(d-60) > 2 {
			t.Errorf("duration %.3f s, want 60 s within one GOP (2 s)", d)
		}
		if got := resp.Header.Get("Reapd-Window"); got != "start=2026-01-01T00:00:20Z; end=2026-01-01T00:01:20.52Z" {
			t.Errorf("Reapd-Window %q", got)
		}
		decodes(t, f)

		// A range in the middle: exactly those bytes of the whole.
		lo, hi := len(b)/3, 2*len(b)/3
		req, _ := http.NewRequest(http.MethodGet, clipURL(20.5, 80.5, ""), nil)
		req.Header.Set("Range", fmt.Sprintf("bytes=%d-%d", lo, hi))
		rr, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		part := readAll(t, rr)
		if rr.StatusCode != http.StatusPartialContent || !bytes.Equal(part, b[lo:hi+1]) {
			t.Errorf("Range bytes=%d-%d: %d, %d bytes, equal to the whole's: %v", lo, hi, rr.StatusCode, len(part), bytes.Equal(part, b[lo:hi+1]))
		}
		if cr := rr.Header.Get("Content-Range"); cr != fmt.Sprintf("bytes %d-%d/%d", lo, hi, len(b)) {
			t.Errorf("Content-Range %q", cr)
		}
		for _, c := range []struct {
			hdr, val string
			status   int
		}{
			{"Range", fmt.Sprintf("bytes=%d-", len(b)), http.StatusRequestedRangeNotSatisfiable},
			{"Range", "bytes=-100", http.StatusPartialContent},
			{"If-None-Match", resp.Header.Get("ETag"), http.StatusNotModified},
		} {
			req.Header = http.Header{c.hdr: {c.val}}
			rr, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			got := readAll(t, rr)
			if rr.StatusCode != c.status || c.status == http.StatusPartialContent && !bytes.Equal(got, b[len(b)-100:]) {
				t.Errorf("%s: %s: %d, want %d", c.hdr, c.val, rr.StatusCode, c.status)
			}
		}
	})

	t.Run("accurate=1 presents the window within a frame", func(t *testing.T) {
		f, b, resp := save(t, clipURL(20.5, 80.5, "&accurate=1&download=news"))
		if cd := resp.Header.Get("Content-Disposition"); cd != "attachment; filename=news.mp4" {
			t.Errorf("Content-Disposition %q", cd)
		}
		if m, d := trackfiletest.BoxOffset(b, "moov"), trackfiletest.BoxOffset(b, "mdat"); m > d {
			t.Errorf("moov at %d after mdat at %d", m, d)
		}
		if d := probe(t, f).duration(); math.Abs(d-60) > 0.04 {
			t.Errorf("duration %.3f s, want 60 s within one frame", d)
		}
		first, last, n := presentedFrames(t, f)
		if math.Abs(first) > 0.04 || math.Abs(last-60) > 0.04 || n < 1499 || n > 1501 {
			t.Errorf("%d frames presented from %.3f s to %.3f s, want 1500 from 0 to 60 s within one frame (40 ms)", n, first, last)
		}
		decodes(t, f)
	})

	t.Run("a gap stays in the timeline", func(t *testing.T) {
		f, _, resp := save(t, clipURL(90, 120, ""))
		// The tracks' gaps merged (AAC segments are a few ms off the grid).
		if got := resp.Header.Get("Reapd-Gaps"); !strings.HasPrefix(got, "2026-01-01T00:01:40Z/2026-01-01T00:01:50") || strings.Contains(got, ",") {
			t.Errorf("Reapd-Gaps %q, want the one gap at [100 s, 110 s)", got)
		}
		// Video packets: to 10 s, none in the gap, on again at 20 s (110 s).
		var pts []float64
		for _, l := range strings.Fields(runFFmpeg(t, "ffprobe", "-select_streams", "v", "-show_entries", "packet=pts_time", "-of", "csv=p=0", f)) {
			v, err := strconv.ParseFloat(strings.Trim(l, ","), 64)
			if err == nil {
				pts = append(pts, v)
			}
		}
		var before, after int
		for _, p := range pts {
			switch {
			case p < 10:
				before++
			case p >= 20-0.001:
				after++
			default:
				t.Fatalf("a video packet at %.3f s, inside the gap", p)
			}
		}
		if before != 250 || after != 250 {
			t.Errorf("%d packets before the gap and %d after, want 250 and 250", before, after)
		}
		decodes(t, f)
	})

	t.Run("format=fmp4 of staged and finalized segments decodes", func(t *testing.T) {
		f, b, _ := save(t, clipURL(115, 145, "&format=fmp4"))
		if trackfiletest.BoxOffset(b, "moov") > trackfiletest.BoxOffset(b, "moof") {
			t.Error("moov after the first moof")
		}
		pr := probe(t, f)
		if len(pr.Streams) != 2 {
			t.Errorf("streams %s", pr.codecs())
		}
		// tfdt kept: the file starts at the epoch time of its first fragment.
		if st := pr.startTime(); math.Abs(st-float64(at(114).Unix())) > 0.1 {
			t.Errorf("start time %.3f s, want the first segment's (114 s after the epoch)", st)
		}
		if d, st := pr.duration(), pr.startTime(); math.Abs(d-st-30) > 2 {
			t.Errorf("media from %.3f s to %.3f s, want 30 s within a segment", st, d)
		}
		decodes(t, f)
	})
}

// probeResult is what ffprobe says of a file.
type probeResult struct {
	Streams []struct {
		CodecName string `json:"codec_name"`
	} `json:"streams"`
	Format struct {
		Duration  string `json:"duration"`
		StartTime string `json:"start_time"`
	} `json:"format"`
}

func probe(t *testing.T, f string) probeResult {
	t.Helper()
	var pr probeResult
	if err := json.Unmarshal([]byte(runFFmpeg(t, "ffprobe", "-show_streams", "-show_format", "-of", "json", f)), &pr); err != nil {
		t.Fatal(err)
	}
	return pr
}

func (pr probeResult) codecs() string {
	var c []string
	for _, s := range pr.Streams {
		c = append(c, s.CodecName)
	}
	return strings.Join(c, ",")
}

func (pr probeResult) startTime() float64 {
	st, _ := strconv.ParseFloat(pr.Format.StartTime, 64)
	return st
}

func (pr probeResult) duration() float64 {
	d, _ := strconv.ParseFloat(pr.Format.Duration, 64)
	return d
}

// presentedFrames returns the presentation time of the first decoded video
// frame, the end of the last and their number (edit list applied, as
// ffmpeg presents them).
func presentedFrames(t *testing.T, f string) (first, lastEnd float64, n int) {
	t.Helper()
	out := runFFmpeg(t, "ffprobe", "-select_streams", "v", "-show_entries", "frame=pts_time,pkt_duration_time", "-of", "csv=p=0", f)
	first, lastEnd = math.Inf(1), math.Inf(-1)
	for _, l := range strings.Fields(out) {
		parts := strings.Split(strings.Trim(l, ","), ",")
		pts, err := strconv.ParseFloat(parts[0], 64)
		if err != nil {
			continue
		}
		dur := 0.04
		if len(parts) > 1 {
			if d, err := strconv.ParseFloat(parts[1], 64); err == nil {
				dur = d
			}
		}
		first, lastEnd = min(first, pts), max(lastEnd, pts+dur)
		n++
	}
	return first, lastEnd, n
}
