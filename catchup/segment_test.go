package catchup

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"path"
	"strconv"
	"strings"
	"testing"

	"github.com/reapd/reapd/trackfile"
)

// playlistURIs returns the init and segment paths of a media playlist,
// resolved against its own path.
func playlistURIs(t testing.TB, h http.Handler, u string) (inits, segs []string) {
	t.Helper()
	dir := path.Dir(u[:strings.IndexByte(u, '?')])
	for _, line := range strings.Split(body(t, mustGet(t, h, u)), "\n") {
		switch {
		case strings.HasPrefix(line, `#EXT-X-MAP:URI="`):
			inits = append(inits, path.Join(dir, strings.TrimSuffix(strings.TrimPrefix(line, `#EXT-X-MAP:URI="`), `"`)))
		case line != "" && !strings.HasPrefix(line, "#"):
			segs = append(segs, path.Join(dir, line))
		}
	}
	return inits, segs
}

// expected returns segment n of a real track as the track file holds it.
func (s *synth) expected(t testing.TB, rt *realTrack, n int64) []byte {
	t.Helper()
	norm, _ := s.prepared(rt, s.onGrid(rt, n, n+1)[0])
	return norm
}

func TestSegmentsSameBytesBeforeAndAfterFinalizing(t *testing.T) {
	s, n0 := realArchive(t)
	now := at(160)
	srv := s.server(now)
	h := srv.Handler()
	a := s.newRealTrack("a", audio48)
	b := s.newRealTrack("b", audio96)
	win := "start=" + epochSeconds(at(100.5)) + "&end=" + epochSeconds(at(140))
	type got struct{ body, etag, cache string }
	fetch := func() map[string]got {
		out := map[string]got{}
		for _, rt := range []*realTrack{a, b} {
			inits, segs := playlistURIs(t, h, "/catchup/ch1/hls/"+rt.name+".m3u8?"+win)
			if len(inits) != 1 || len(segs) != 20 {
				t.Fatalf("%s: %d inits, %d segments: %v", rt.name, len(inits), len(segs), segs)
			}
			for i, u := range append(inits, segs...) {
				resp := mustGet(t, h, u)
				g := got{body(t, resp), resp.Header.Get("ETag"), resp.Header.Get("Cache-Control")}
				want := rt.hdr.Raw
				if i > 0 {
					want = s.expected(t, rt, n0+50+int64(i-1))
				}
				if !bytes.Equal([]byte(g.body), want) {
					t.Fatalf("%s: %d bytes, not the %d expected", u, len(g.body), len(want))
				}
				if g.cache != immutable || g.etag == "" {
					t.Errorf("%s: Cache-Control %q, ETag %q", u, g.cache, g.etag)
				}
				out[u] = g
			}
		}
		return out
	}
	before := fetch()

	// Finalize the open period as the archiver does: track files and index
	// first, then delete the staged segments; then the finalize hook.
	k := s.grid.Period(n0 + 60)
	first := s.grid.PeriodFirst(k)
	s.writeIndex(k, "", s.trackFile(a, first, first+15, true, trackfile.EndPartial), s.trackFile(b, first, first+15, true, trackfile.EndPartial))
	objs, _ := s.store.List(s.ctx, "ch1/a/live/")
	more, _ := s.store.List(s.ctx, "ch1/b/live/")
	for _, o := range append(objs, more...) {
		if err := s.store.Delete(s.ctx, o.Key); err != nil {
			t.Fatal(err)
		}
	}
	srv.Invalidate("ch1")
	after := fetch()
	for u, g := range before {
		if after[u] != g {
			t.Errorf("%s changed when its period was finalized: ETag %s → %s", u, g.etag, after[u].etag)
		}
	}
}

func TestSegmentRangeHeadConditional(t *testing.T) {
	s, n0 := realArchive(t)
	h := s.server(at(160)).Handler()
	a := s.newRealTrack("a", audio48)
	for _, tc := range []struct {
		name string
		at   float64 // a segment in a track file, or staged
		n    int64
	}{{"track file", 10, n0 + 5}, {"staged", 130, n0 + 65}} {
		t.Run(tc.name, func(t *testing.T) {
			ts := a.tr.Timescale
			u := "/catchup/ch1/" + segmentPath("a", a.hdr.Hash, ts, s.grid.SegmentStart(tc.n, ts))
			want := s.expected(t, a, tc.n)
			full := mustGet(t, h, u)
			etag := full.Header.Get("ETag")
			if b := body(t, full); b != string(want) {
				t.Fatalf("GET: %d bytes, want %d", len(b), len(want))
			}
			r := get(t, h, u, "Range", "bytes=10-99")
			if r.StatusCode != http.StatusPartialContent || body(t, r) != string(want[10:100]) ||
				r.Header.Get("Content-Range") != "bytes 10-99/"+itoa(len(want)) {
				t.Errorf("Range: %d %q", r.StatusCode, r.Header.Get("Content-Range"))
			}
			r = get(t, h, u, "Range", "bytes=-20")
			if r.StatusCode != http.StatusPartialContent || body(t, r) != string(want[len(want)-20:]) {
				t.Errorf("suffix Range: %d", r.StatusCode)
			}
			req := httptest.NewRequest(http.MethodHead, u, nil)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != http.StatusOK || rec.Body.Len() != 0 || rec.Header().Get("Content-Length") != itoa(len(want)) {
				t.Errorf("HEAD: %d, %d body bytes, Content-Length %s", rec.Code, rec.Body.Len(), rec.Header().Get("Content-Length"))
			}
			r = get(t, h, u, "If-None-Match", etag)
			if r.StatusCode != http.StatusNotModified {
				t.Errorf("If-None-Match: %d", r.StatusCode)
			}
			r = get(t, h, u, "Range", "bytes=0-9", "If-Range", `"other"`)
			if r.StatusCode != http.StatusOK {
				t.Errorf("If-Range with another ETag: %d, want the whole segment", r.StatusCode)
			}
			if ct := full.Header.Get("Content-Type"); ct != "audio/mp4" {
				t.Errorf("Content-Type %q", ct)
			}
			if cors := full.Header.Get("Access-Control-Allow-Origin"); cors != "*" {
				t.Errorf("Access-Control-Allow-Origin %q", cors)
			}
			off := "/catchup/ch1/" + segmentPath("a", a.hdr.Hash, ts, s.grid.SegmentStart(tc.n, ts)+1)
			if r := get(t, h, off); r.StatusCode != http.StatusNotFound || !strings.Contains(body(t, r), "has no segment at") {
				t.Errorf("a time between segments: %d", r.StatusCode)
			}
		})
	}
}

func TestSlateSegmentIsNotImmutable(t *testing.T) {
	s, n0 := realArchive(t)
	a := s.newRealTrack("a", audio48)
	n := n0 + 80
	s.put(s.stagedKey(a, s.onGrid(a, n, n+1)[0], trackfile.VariantSlate), s.segment(a, n))
	h := s.server(at(170)).Handler()
	u := "/catchup/ch1/" + segmentPath("a", a.hdr.Hash, 48000, s.grid.SegmentStart(n, 48000))
	r := mustGet(t, h, u)
	if cc := r.Header.Get("Cache-Control"); cc == immutable || !strings.HasPrefix(r.Header.Get("ETag"), "W/") {
		t.Errorf("slate copy: Cache-Control %q, ETag %q", cc, r.Header.Get("ETag"))
	}
}

func TestManifestConditionalAndHead(t *testing.T) {
	s, _ := realArchive(t)
	h := s.server(at(160)).Handler()
	u := "/catchup/ch1/manifest.mpd?start=" + epochSeconds(at(10)) + "&end=" + epochSeconds(at(50))
	r := mustGet(t, h, u)
	if r.Header.Get("Cache-Control") != "public, max-age=86400" {
		t.Errorf("closed finalized window: Cache-Control %q", r.Header.Get("Cache-Control"))
	}
	if r2 := get(t, h, u, "If-None-Match", r.Header.Get("ETag")); r2.StatusCode != http.StatusNotModified {
		t.Errorf("If-None-Match: %d", r2.StatusCode)
	}
	req := httptest.NewRequest(http.MethodHead, u, nil)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK || rec.Body.Len() != 0 || rec.Header().Get("Content-Length") == "" {
		t.Errorf("HEAD: %d %d", rec.Code, rec.Body.Len())
	}
	// A window reaching staged segments is not cached for long.
	u = "/catchup/ch1/manifest.mpd?start=" + epochSeconds(at(100)) + "&end=" + epochSeconds(at(130))
	if cc := mustGet(t, h, u).Header.Get("Cache-Control"); cc != "public, max-age=2" {
		t.Errorf("window with staged segments: Cache-Control %q", cc)
	}
	// A window beyond the live edge is clipped there, and says so.
	u = "/catchup/ch1/master.m3u8?start=" + epochSeconds(at(100)) + "&end=" + epochSeconds(at(155))
	r = mustGet(t, h, u)
	if c := r.Header.Get("Reapd-Window-Clipped"); c != "end=2026-01-01T00:02:30Z" || r.Header.Get("Cache-Control") != "public, max-age=2" {
		t.Errorf("window past the edge: clipped %q, Cache-Control %q", c, r.Header.Get("Cache-Control"))
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
