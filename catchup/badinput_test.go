package catchup

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/reapd/reapd/trackfile"
)

// TestBadInput is acceptance 6: bad query input, unknown channels, tracks
// and segments get a 400 or 404 with a message that says what is wrong,
// never a 5xx.
func TestBadInput(t *testing.T) {
	s := newSynth(t, "mem://", grid2s)
	s.indexOnly(s.n(0), s.n(40), trackfile.EndGap, av, avHash)
	s.indexOnly(s.n(60), s.n(120), trackfile.EndComplete, av, avHash)
	h := s.server(at(3600)).Handler()
	w := func(a, b float64) string { return "start=" + epochSeconds(at(a)) + "&end=" + epochSeconds(at(b)) }
	for _, c := range []struct {
		method, url string
		status      int
		msg         string
	}{
		{"GET", "/catchup/ch1/manifest.mpd", 400, "start: required"},
		{"GET", "/catchup/ch1/manifest.mpd?start=noon&end=1767225700", 400, "neither RFC 3339 nor epoch seconds"},
		{"GET", "/catchup/ch1/manifest.mpd?start=1767225700&end=1767225600", 400, "is not after start"},
		{"GET", "/catchup/ch1/master.m3u8?start=1767225600&duration=25h", 400, "longer than the maximum of 24h0m0s"},
		{"GET", "/catchup/ch1/manifest.mpd?start=1767225600&end=1767225700&duration=5", 400, "not both"},
		{"GET", "/catchup/ch1/manifest.mpd?start=2030-01-01T00:00:00Z&duration=60", 400, "in the future"},
		{"GET", "/catchup/ch1/manifest.mpd?start=2025-12-01T00:00:00Z", 400, "start-over from 2025-12-01T00:00:00Z is longer ago"},
		{"GET", "/catchup/nope/manifest.mpd?" + w(0, 10), 404, `unknown channel "nope"`},
		{"GET", "/catchup/-x/manifest.mpd?" + w(0, 10), 400, "bad name"},
		{"GET", "/catchup/index/master.m3u8?" + w(0, 10), 400, "reserved"},
		{"GET", "/catchup/ch1/manifest.mpd?" + w(42, 48), 404, "lies in a gap of the archive (which holds 2026-01-01T00:00:00Z to 2026-01-01T00:02:00Z)"},
		{"GET", "/catchup/ch1/manifest.mpd?" + w(-100, -10), 404, "ends before the archive starts at 2026-01-01T00:00:00Z"},
		{"GET", "/catchup/ch1/master.m3u8?" + w(200, 300), 404, "the archive ends at 2026-01-01T00:02:00Z"},
		{"GET", "/catchup/ch1/hls/subs.m3u8?" + w(0, 10), 404, `no track "subs"`},
		{"GET", "/catchup/ch1/hls/video.txt?" + w(0, 10), 404, "want {track}.m3u8"},
		{"GET", "/catchup/ch1/hls/video.m3u8?start=x", 400, "start:"},
		{"GET", "/catchup/ch1/seg/video/aaaaaaaaaaaa/90000/12.m4s", 404, "no CMAF header"}, // index-only archive
		{"GET", "/catchup/ch1/seg/video/aaaaaaaaaaaa/90000/x.m4s", 404, "want {timescale}/{time}.m4s"},
		{"GET", "/catchup/ch1/seg/video/aaaaaaaaaaaa/0/12.m4s", 404, "want {timescale}/{time}.m4s"},
		{"GET", "/catchup/ch1/seg/video/nothex/90000/12.m4s", 404, "not a header hash"},
		{"GET", "/catchup/ch1/seg/video/gap/90000/12.m4s", 404, "not a header hash"},
		{"GET", "/catchup/ch1/seg/nope/aaaaaaaaaaaa/90000/12.m4s", 404, "no CMAF header"},
		{"GET", "/catchup/ch1/init/video/aaaaaaaaaaaa.mp4", 404, "no CMAF header"}, // index-only archive: no header objects
		{"GET", "/catchup/ch1/init/video/aaaaaaaaaaaa.cmfv", 404, "want {hash}.mp4"},
		{"GET", "/catchup/nope/init/video/aaaaaaaaaaaa.mp4", 404, "no CMAF header"},
		{"GET", "/ch1/archive-1767225600-0.m3u8", 400, "is not after start"},
		{"GET", "/ch1/archive-1767225600-90000.m3u8", 400, "longer than the maximum"},
		{"GET", "/ch1/index-1767225600-x.mpd", 404, "no such path"},
		{"GET", "/ch1/index.mpd?start=bad", 400, "start:"},
		{"GET", "/ch1/other.mpd?" + w(0, 10), 404, "no such path"},
		{"GET", "/ch1/timeshift_abs-99999999999.m3u8", 400, "in the future"},
		{"GET", "/nope/archive-1767225600-60.m3u8", 404, "unknown channel"},
		{"GET", "/api/channels/nope", 404, "unknown channel"},
		{"GET", "/api/channels/ch1/coverage?from=x", 400, "from:"},
		{"GET", "/api/channels/ch1/coverage?from=1767225700&to=1767225600", 400, "is not after from"},
		{"GET", "/api/channels/ch1/coverage?from=1700000000&to=1767225600", 400, "longer than the maximum"},
		{"POST", "/catchup/ch1/manifest.mpd?" + w(0, 10), 405, ""},
	} {
		req := httptest.NewRequest(c.method, c.url, nil)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		b := rec.Body.String()
		if rec.Code != c.status || !strings.Contains(b, c.msg) {
			t.Errorf("%s %s: %d %q, want %d with %q", c.method, c.url, rec.Code, strings.TrimSpace(b), c.status, c.msg)
		}
		if rec.Code >= 500 {
			t.Errorf("%s %s: server error for client input", c.method, c.url)
		}
		if rec.Code >= 400 && rec.Code != http.StatusMethodNotAllowed && rec.Header().Get("Cache-Control") != "no-store" {
			t.Errorf("%s %s: error response cacheable: %q", c.method, c.url, rec.Header().Get("Cache-Control"))
		}
	}
}
