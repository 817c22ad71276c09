package catchup_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"math"
	"net/http"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/Eyevinn/dash-mpd/mpd"
	"github.com/Eyevinn/hls-m3u8/m3u8"
)

// TestEndToEndFFmpeg pushes real ffmpeg output through the archiver and
// reads it back through catch-up (house style 7): acceptance 2 (ffmpeg
// copies a window from DASH and from HLS), 3 (a window across a gap: two
// Periods, a discontinuity), 4 (start-over reaches staged segments, whose
// bytes do not change when their period is finalized).
func TestEndToEndFFmpeg(t *testing.T) {
	a := newLiveArchive(t)
	t.Run("clip.mp4", func(t *testing.T) { testClip(t, a) })

	t.Run("dash and hls copy a 90 s window starting mid-segment", func(t *testing.T) {
		win := Window(5.3, 95.3)
		// Whole segments: [4 s, 96 s) for [5.3 s, 95.3 s), i.e. one segment
		// more than the window; AAC segments start and end up to a frame
		// (21.3 ms) off the grid, and the file's duration includes them.
		for _, u := range []string{"/catchup/ch1/manifest.mpd?" + win, "/catchup/ch1/master.m3u8?" + win} {
			if d := copyDuration(t, a.URL(u)); math.Abs(d-90) > 2+aacFrame {
				t.Errorf("%s: ffmpeg copied %.3f s, want 90 s within one segment", u, d)
			}
		}
		resp := fetch(t, a.URL("/catchup/ch1/manifest.mpd?"+win))
		if got := resp.Header.Get("Reapd-Window"); got != "start=2026-01-01T00:00:05.3Z; end=2026-01-01T00:01:35.3Z" {
			t.Errorf("Reapd-Window %q", got)
		}
		m, err := mpd.MPDFromBytes(readAll(t, resp))
		if err != nil {
			t.Fatal(err)
		}
		for _, as := range m.Periods[0].AdaptationSets {
			st := as.Representations[0].SegmentTemplate
			if pto := float64(*st.PresentationTimeOffset) / float64(*st.Timescale); math.Abs(pto-float64(at(5.3).UnixMilli())/1000) > 0.001 {
				t.Errorf("%s: presentationTimeOffset %.3f s, want the asked start", as.ContentType, pto)
			}
		}
	})

	t.Run("flussonic alias", func(t *testing.T) {
		u := a.URL("/ch1/archive-" + strconv.Itoa(e2eEpoch+10) + "-60.m3u8")
		d := copyDuration(t, u)
		if math.Abs(d-60) > 2+aacFrame {
			t.Errorf("%s: ffmpeg copied %.3f s, want 60", u, d)
		}
	})

	t.Run("a window across the gap: two periods, a discontinuity", func(t *testing.T) {
		win := Window(90, 120)
		m, err := mpd.MPDFromBytes(readAll(t, fetch(t, a.URL("/catchup/ch1/manifest.mpd?"+win))))
		if err != nil {
			t.Fatal(err)
		}
		if len(m.Periods) != 2 || secondsOf(m.Periods[1].Start) != 10 || secondsOf(m.MediaPresentationDuration) != 20 {
			t.Errorf("want two Periods (10 s, then 10 s after the gap), got %d, second at %v, total %v",
				len(m.Periods), m.Periods[len(m.Periods)-1].Start, m.MediaPresentationDuration)
		}
		for _, track := range []string{"0", "1"} {
			body := string(readAll(t, fetch(t, a.URL("/catchup/ch1/hls/"+track+".m3u8?"+win))))
			if n := strings.Count(body, "#EXT-X-DISCONTINUITY\n"); n != 1 {
				t.Errorf("track %s: %d discontinuities, want 1", track, n)
			}
			if !strings.Contains(body, "#EXT-X-PROGRAM-DATE-TIME:2026-01-01T00:01:50") {
				t.Errorf("track %s: no program date time after the gap", track)
			}
		}
		d := copyDuration(t, a.URL("/catchup/ch1/master.m3u8?"+win))
		if d < 18 || d > 32 {
			t.Errorf("ffmpeg copied %.3f s across the gap", d)
		}
		var cov struct {
			Tracks []struct {
				Name string
				Gaps []struct{ Reason string }
			}
		}
		if err := json.Unmarshal(readAll(t, fetch(t, a.URL("/api/channels/ch1/coverage?from="+strconv.Itoa(e2eEpoch)+"&to="+strconv.Itoa(e2eEpoch+200)))), &cov); err != nil {
			t.Fatal(err)
		}
		if len(cov.Tracks) != 2 || len(cov.Tracks[0].Gaps) != 1 || cov.Tracks[0].Gaps[0].Reason != "gap" {
			t.Errorf("coverage: %+v", cov)
		}
	})

	t.Run("a closed window of the open period, from staged segments", func(t *testing.T) {
		if objs, _ := a.Store.List(context.Background(), "ch1/0/live/"); len(objs) == 0 {
			t.Fatal("nothing staged: the last period should still be open")
		}
		d := copyDuration(t, a.URL("/catchup/ch1/manifest.mpd?"+Window(125, 165)))
		if math.Abs(d-40) > 2+aacFrame {
			t.Errorf("ffmpeg copied %.3f s, want 40", d)
		}
	})

	t.Run("start-over reaches the staged segments, which keep their bytes when finalized", func(t *testing.T) {
		win := Window(115, -1)
		resp := fetch(t, a.URL("/catchup/ch1/manifest.mpd?"+win))
		m, err := mpd.MPDFromBytes(readAll(t, resp))
		if err != nil {
			t.Fatal(err)
		}
		if m.GetType() != "dynamic" || !strings.HasSuffix(resp.Header.Get("Reapd-Window"), "end=2026-01-01T00:02:50Z") {
			t.Errorf("start-over MPD type %s, window %q", m.GetType(), resp.Header.Get("Reapd-Window"))
		}
		pl := string(readAll(t, fetch(t, a.URL("/catchup/ch1/hls/0.m3u8?"+win))))
		var segs []string
		for _, line := range strings.Split(pl, "\n") {
			if strings.HasSuffix(line, ".m4s") {
				segs = append(segs, path.Join("/catchup/ch1/hls", line))
			}
		}
		if len(segs) != 28 || !strings.Contains(pl, "#EXT-X-PLAYLIST-TYPE:EVENT") || strings.Contains(pl, "ENDLIST") {
			t.Fatalf("start-over playlist with %d segments (want 28: 115 s to 170 s):\n%s", len(segs), pl)
		}
		last := segs[len(segs)-1]
		before := fetch(t, a.URL(last))
		bb := readAll(t, before)
		if err := a.Arch.FinalizeAll(context.Background()); err != nil { // OnFinalize invalidates catch-up's index
			t.Fatal(err)
		}
		if objs, _ := a.Store.List(context.Background(), "ch1/0/live/"); len(objs) != 0 {
			t.Fatalf("still staged after FinalizeAll: %d objects", len(objs))
		}
		after := fetch(t, a.URL(last))
		if ab := readAll(t, after); !bytes.Equal(ab, bb) || after.Header.Get("ETag") != before.Header.Get("ETag") {
			t.Errorf("%s: %d bytes (ETag %s) staged, %d bytes (ETag %s) finalized", last, len(bb),
				before.Header.Get("ETag"), len(ab), after.Header.Get("ETag"))
		}
		p, _, err := m3u8.DecodeFrom(bytes.NewReader([]byte(pl)), true)
		if err != nil {
			t.Fatalf("playlist does not parse: %v", err)
		}
		if mp, ok := p.(*m3u8.MediaPlaylist); !ok || mp.MediaType != m3u8.EVENT {
			t.Errorf("decoded %T", p)
		}
	})
}

// aacFrame is the duration of an AAC frame at 48 kHz.
const aacFrame = 1024.0 / 48000

// copyDuration copies a catch-up URL with ffmpeg -c copy and returns the
// duration of the result.
func copyDuration(t *testing.T, url string) float64 {
	t.Helper()
	out := filepath.Join(t.TempDir(), "out.mp4")
	runFFmpeg(t, "-i", url, "-c", "copy", "-y", out)
	s := runFFmpeg(t, "ffprobe", "-show_entries", "format=duration", "-of", "csv=p=0", out)
	d, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil {
		t.Fatalf("ffprobe duration %q: %v", s, err)
	}
	t.Logf("ffmpeg -i %s -c copy: %.3f s", url, d)
	return d
}

func fetch(t *testing.T, url string) *http.Response {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("GET %s: %d %s", url, resp.StatusCode, b)
	}
	return resp
}

func readAll(t *testing.T, resp *http.Response) []byte {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// secondsOf returns an mpd.Duration in seconds.
func secondsOf(d *mpd.Duration) float64 {
	if d == nil {
		return 0
	}
	return float64(*d) / 1e9
}
