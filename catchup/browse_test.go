package catchup

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/reapd/reapd/trackfile"
)

func TestBrowseAPI(t *testing.T) {
	s := newSynth(t, "mem://", grid2s)
	v := map[string]trackfile.TrackInfo{"video": videoInfo}
	a := map[string]trackfile.TrackInfo{"audio": audioInfo}
	s.indexOnly(s.n(0), s.n(40), trackfile.EndGap, v, avHash)
	s.indexOnly(s.n(50), s.n(120), trackfile.EndComplete, v, avHash)
	s.indexOnly(s.n(0), s.n(30), trackfile.EndMiss, a, avHash)
	s.indexOnly(s.n(32), s.n(120), trackfile.EndComplete, a, avHash)
	h := s.server(at(600)).Handler()

	var list struct {
		Channels []channelJSON
	}
	decode(t, h, "/api/channels", &list)
	if len(list.Channels) != 1 || list.Channels[0].Name != "ch1" || !list.Channels[0].First.Equal(at(0)) ||
		!list.Channels[0].Last.Equal(at(120)) {
		t.Errorf("channels: %+v", list)
	}

	var ch channelJSON
	decode(t, h, "/api/channels/ch1", &ch)
	if ch.SegmentDuration != "2" || ch.PeriodSegments != 30 || len(ch.Tracks) != 2 ||
		ch.Tracks[1].Name != "video" || ch.Tracks[1].Codecs != "avc1.64001f" || ch.Tracks[1].Width != 1280 ||
		!ch.Tracks[1].First.Equal(at(0)) || !ch.Tracks[1].Last.Equal(at(120)) {
		t.Errorf("channel: %+v", ch)
	}

	var cov coverageJSON
	decode(t, h, "/api/channels/ch1/coverage?from="+epochSeconds(at(0))+"&to="+epochSeconds(at(100)), &cov)
	want := map[string]struct {
		reason string
		at     float64
	}{"audio": {"miss", 30}, "video": {"gap", 40}}
	for _, tc := range cov.Tracks {
		if len(tc.Gaps) != 1 || len(tc.Ranges) != 2 {
			t.Errorf("%s: %d ranges, %d gaps", tc.Name, len(tc.Ranges), len(tc.Gaps))
			continue
		}
		g := tc.Gaps[0]
		if w := want[tc.Name]; g.Reason != w.reason || g.Start.Sub(at(w.at)).Abs() > 25*time.Millisecond {
			t.Errorf("%s gap %s at %v, want %s at %v", tc.Name, g.Reason, g.Start, w.reason, at(w.at))
		}
		if tc.Bytes != tc.Ranges[0].Bytes+tc.Ranges[1].Bytes || tc.Bytes <= 0 {
			t.Errorf("%s: bytes %d", tc.Name, tc.Bytes)
		}
	}
	if len(cov.Tracks) != 2 {
		t.Errorf("coverage of %d tracks", len(cov.Tracks))
	}
}

func decode(t *testing.T, h http.Handler, url string, v any) {
	t.Helper()
	r := mustGet(t, h, url)
	if ct := r.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("%s: Content-Type %q", url, ct)
	}
	if err := json.Unmarshal([]byte(body(t, r)), v); err != nil {
		t.Fatalf("%s: %v", url, err)
	}
}

func TestAliases(t *testing.T) {
	s := newSynth(t, "mem://", grid2s)
	s.indexOnly(s.n(0), s.n(120), trackfile.EndComplete, av, avHash)
	h := s.server(at(110)).Handler()
	from := epochSeconds(at(10))
	for _, c := range []struct{ url, want string }{
		{"/ch1/archive-" + from + "-60.m3u8", `URI="../catchup/ch1/hls/audio.m3u8?start=1767225610&end=1767225670"`},
		{"/ch1/index-" + from + "-60.mpd", `media="../catchup/ch1/seg/video/aaaaaaaaaaaa/90000/$Time$.m4s"`},
		{"/ch1/index-" + from + "-now.mpd", `type="dynamic"`},
		{"/ch1/timeshift_abs-" + from + ".m3u8", `hls/video.m3u8?start=1767225610` + "\n"},
		{"/ch1/index.m3u8?start=2026-01-01T00:00:10Z&end=2026-01-01T00:01:10Z", `../catchup/ch1/hls/video.m3u8?start=1767225610&end=1767225670`},
		{"/ch1/manifest.mpd?start=" + from + "&duration=60", `mediaPresentationDuration="PT1M"`},
	} {
		if b := body(t, mustGet(t, h, c.url)); !strings.Contains(b, c.want) {
			t.Errorf("%s: no %q in\n%s", c.url, c.want, b)
		}
	}
}

func TestCORSAndMetrics(t *testing.T) {
	s := newSynth(t, "mem://", grid2s)
	s.indexOnly(s.n(0), s.n(60), trackfile.EndComplete, av, avHash)
	reg := prometheus.NewRegistry()
	m := NewMetrics(reg)
	srv := New(s.store, &Options{Metrics: m, Now: func() time.Time { return at(100) }})
	h := srv.Handler()
	req := httptest.NewRequest(http.MethodOptions, "/catchup/ch1/manifest.mpd", nil)
	req.Header.Set("Origin", "https://player.example")
	req.Header.Set("Access-Control-Request-Headers", "range")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusNoContent || rec.Header().Get("Access-Control-Allow-Origin") != "*" ||
		!strings.Contains(rec.Header().Get("Access-Control-Allow-Headers"), "Range") {
		t.Errorf("preflight: %d %v", rec.Code, rec.Header())
	}
	mustGet(t, h, "/catchup/ch1/manifest.mpd?start="+epochSeconds(at(0))+"&duration=10")
	get(t, h, "/catchup/ch1/manifest.mpd?start=x")
	if n := testutil.ToFloat64(m.Requests.WithLabelValues(epDASH, "200")); n != 1 {
		t.Errorf("200 counter %v", n)
	}
	if n := testutil.ToFloat64(m.Requests.WithLabelValues(epDASH, "400")); n != 1 {
		t.Errorf("400 counter %v", n)
	}
	if n, err := testutil.GatherAndCount(reg, "reapd_catchup_request_seconds"); err != nil || n != 1 {
		t.Errorf("latency histogram: %d series, %v", n, err)
	}
}
