package catchup

import (
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// resolve resolves ref against the URL of the document it came from.
func resolve(t testing.TB, base, ref string) string {
	t.Helper()
	b, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	r, err := url.Parse(ref)
	if err != nil {
		t.Fatal(err)
	}
	return b.ResolveReference(r).RequestURI()
}

var (
	mpdInitRE  = regexp.MustCompile(`initialization="([^"]+)"`)
	mpdMediaRE = regexp.MustCompile(`media="([^"]+)"`)
	mpdSRE     = regexp.MustCompile(`<S t="([0-9]+)"`)
)

// mpdURLs returns the header and first segment URL of each Representation
// of an MPD, resolved against its URL.
func mpdURLs(t testing.TB, mpdURL, mpd string) []string {
	t.Helper()
	inits, medias, ss := mpdInitRE.FindAllStringSubmatch(mpd, -1), mpdMediaRE.FindAllStringSubmatch(mpd, -1), mpdSRE.FindAllStringSubmatch(mpd, -1)
	if len(inits) == 0 || len(inits) != len(medias) || len(ss) < len(medias) {
		t.Fatalf("MPD without templates:\n%s", mpd)
	}
	var out []string
	for i := range inits {
		out = append(out, resolve(t, mpdURL, html.UnescapeString(inits[i][1])),
			resolve(t, mpdURL, strings.Replace(html.UnescapeString(medias[i][1]), "$Time$", ss[i][1], 1)))
	}
	return out
}

// authServer is a locked catch-up server over realArchive with a clock
// that the test moves.
type authServer struct {
	s      *synth
	srv    *Server
	h      http.Handler
	signer *URLSigner
	clock  atomic.Int64 // unix ms
}

func newAuthServer(t *testing.T, tokens ...string) *authServer {
	s, _ := realArchive(t)
	a := &authServer{s: s, signer: mustSigner(t, "sekrit")}
	a.clock.Store(at(160).UnixMilli())
	a.srv = New(s.store, &Options{Now: a.now, ReadTokens: tokens, URLSigner: a.signer})
	a.h = a.srv.Handler()
	return a
}

func (a *authServer) now() time.Time { return time.UnixMilli(a.clock.Load()) }

func (a *authServer) sign(t testing.TB, u string, ttl time.Duration) string {
	t.Helper()
	signed, err := a.signer.SignURL(u, "", a.now().Add(ttl))
	if err != nil {
		t.Fatal(err)
	}
	return signed
}

func wantStatus(t testing.TB, h http.Handler, u string, status int, contains string, hdr ...string) *http.Response {
	t.Helper()
	r := get(t, h, u, hdr...)
	b := body(t, r)
	if r.StatusCode != status || !strings.Contains(b, contains) {
		t.Errorf("GET %s: %d %q, want %d with %q", u, r.StatusCode, b, status, contains)
	}
	r.Body = io.NopCloser(strings.NewReader(b))
	return r
}

var authWin = "start=" + epochSeconds(at(100.5)) + "&end=" + epochSeconds(at(140))

// TestReadTokens: with read tokens configured, every read needs one:
// none or a wrong one is 401 with a Bearer challenge; a good one reads
// everything, privately cached; CORS preflights need none.
func TestReadTokens(t *testing.T) {
	a := newAuthServer(t, "tok-1", "tok-2")
	h := a.h
	urls := []string{"/catchup/ch1/manifest.mpd?" + authWin, "/catchup/ch1/master.m3u8?" + authWin,
		"/catchup/ch1/hls/a.m3u8?" + authWin, "/api/channels", "/api/channels/ch1", "/api/channels/ch1/coverage",
		"/ch1/index-" + epochSeconds(at(100)) + "-30.mpd"}
	mpd := body(t, wantStatus(t, h, urls[0], http.StatusOK, "", "Authorization", "Bearer tok-2"))
	segs := mpdURLs(t, urls[0], mpd)
	if strings.Contains(mpd, "sig=") {
		t.Errorf("a manifest read with a token carries signatures:\n%s", mpd)
	}
	for _, u := range append(urls, segs...) {
		r := wantStatus(t, h, u, http.StatusUnauthorized, "authorization required")
		if c := r.Header.Get("WWW-Authenticate"); c != `Bearer realm="reapd"` {
			t.Errorf("%s: WWW-Authenticate %q", u, c)
		}
		if r.Header.Get("Access-Control-Allow-Origin") != "*" {
			t.Errorf("%s: a 401 without CORS headers: the page's script cannot read it", u)
		}
		r = wantStatus(t, h, u, http.StatusUnauthorized, "invalid read token", "Authorization", "Bearer tok-3")
		if c := r.Header.Get("WWW-Authenticate"); !strings.Contains(c, `error="invalid_token"`) {
			t.Errorf("%s: WWW-Authenticate %q", u, c)
		}
		wantStatus(t, h, u, http.StatusUnauthorized, "invalid read token", "Authorization", "Basic dG9rLTE6")
		r = wantStatus(t, h, u, http.StatusOK, "", "Authorization", "Bearer tok-1")
		if cc := r.Header.Get("Cache-Control"); strings.Contains(cc, "public") || !strings.Contains(cc, "private") {
			t.Errorf("%s with a token: Cache-Control %q, want private", u, cc)
		}
	}
	req := httptest.NewRequest(http.MethodOptions, urls[0], nil)
	req.Header.Set("Origin", "https://player.example")
	req.Header.Set("Access-Control-Request-Headers", "authorization, range")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusNoContent || !strings.Contains(rec.Header().Get("Access-Control-Allow-Headers"), "Authorization") {
		t.Errorf("preflight: %d %v", rec.Code, rec.Header())
	}
	// Endpoints of other packages behind the same check.
	p := a.srv.Protect(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok")) }))
	wantStatus(t, p, "/api/channels/ch1/conformance", http.StatusUnauthorized, "authorization required")
	wantStatus(t, p, "/api/channels/ch1/conformance", http.StatusOK, "ok", "Authorization", "Bearer tok-1")
}

// TestSignedURLs: a signed manifest URL is let in without a token, and
// the URLs in its manifest — DASH $Time$ templates, HLS media playlists
// and their segments, alias manifests — carry a signature on, until the
// manifest's own expiry; expired or altered URLs are 403.
func TestSignedURLs(t *testing.T) {
	a := newAuthServer(t) // signed URLs only: no tokens
	h := a.h
	const ttl = 10 * time.Minute
	exp := a.now().Add(ttl).Unix()

	mpdURL := a.sign(t, "/catchup/ch1/manifest.mpd?"+authWin, ttl)
	mpd := body(t, mustGet(t, h, mpdURL))
	media := mpdURLs(t, mpdURL, mpd)
	if len(media) != 4 { // init and a segment of tracks a and b
		t.Fatalf("media URLs %v", media)
	}
	for _, u := range media {
		if !strings.Contains(u, "acl=%2Fcatchup%2Fch1%2F") || !strings.Contains(u, "exp="+strconv.FormatInt(exp, 10)) {
			t.Errorf("media URL %s does not carry the signature on", u)
		}
		r := mustGet(t, h, u)
		cc := r.Header.Get("Cache-Control")
		age, _ := strconv.Atoi(strings.TrimPrefix(strings.Split(cc, ",")[1], " max-age="))
		if !strings.HasPrefix(cc, "public, max-age=") || age > int(ttl/time.Second) || age < int(ttl/time.Second)-1 {
			t.Errorf("%s: Cache-Control %q, want public with max-age capped at the expiry", u, cc)
		}
	}

	// HLS: master → media playlists → headers and segments (finalized
	// and staged).
	master := a.sign(t, "/catchup/ch1/master.m3u8?"+authWin, ttl)
	var playlists []string
	for _, line := range strings.Split(body(t, mustGet(t, h, master)), "\n") {
		if m := regexp.MustCompile(`URI="([^"]+)"`).FindStringSubmatch(line); m != nil {
			playlists = append(playlists, resolve(t, master, m[1]))
		} else if line != "" && !strings.HasPrefix(line, "#") {
			playlists = append(playlists, resolve(t, master, line))
		}
	}
	if len(playlists) == 0 {
		t.Fatal("no media playlists")
	}
	for _, pl := range playlists {
		n := 0
		for _, line := range strings.Split(body(t, mustGet(t, h, pl)), "\n") {
			ref := strings.TrimSuffix(strings.TrimPrefix(line, `#EXT-X-MAP:URI="`), `"`)
			if ref == line && (line == "" || strings.HasPrefix(line, "#")) {
				continue
			}
			mustGet(t, h, resolve(t, pl, ref))
			n++
		}
		if n < 20 {
			t.Errorf("%s: %d URIs", pl, n)
		}
	}

	// An alias manifest, signed for its own path: its URLs lead into
	// /catchup/ch1/ and carry a signature on.
	alias := a.sign(t, "/ch1/index-"+epochSeconds(at(100))+"-30.mpd", ttl)
	for _, u := range mpdURLs(t, alias, body(t, mustGet(t, h, alias))) {
		if !strings.HasPrefix(u, "/catchup/ch1/") {
			t.Errorf("alias media URL %s", u)
		}
		mustGet(t, h, u)
	}

	// Altered or misused: 403 with the reason; missing: 401.
	alter := func(u, k, v string) string {
		pu, _ := url.Parse(u)
		q := pu.Query()
		q.Set(k, v)
		pu.RawQuery = q.Encode()
		return pu.RequestURI()
	}
	sig := strings.SplitN(mpdURL, "sig=", 2)[1]
	other := "A"
	if sig[0] == 'A' {
		other = "B"
	}
	for _, c := range []struct{ url, want string }{
		{alter(mpdURL, "sig", other+sig[1:]), "does not match"},
		{alter(mpdURL, "exp", strconv.FormatInt(exp+3600, 10)), "does not match"},
		{strings.Replace(mpdURL, "/manifest.mpd", "/master.m3u8", 1), "does not match"},
		{strings.Replace(media[1], "/catchup/ch1/", "/catchup/ch2/", 1), "not \"/catchup/ch2/"},
		{"/api/channels?" + strings.SplitN(media[1], "?", 2)[1], "not \"/api/channels\""},
		{alter(mpdURL, "acl", "/catchup/"), "does not match"},
	} {
		wantStatus(t, h, c.url, http.StatusForbidden, c.want)
	}
	wantStatus(t, h, "/catchup/ch1/manifest.mpd?"+authWin, http.StatusUnauthorized, "authorization required")
	// A token is no use when none is configured.
	wantStatus(t, h, "/api/channels", http.StatusUnauthorized, "invalid read token", "Authorization", "Bearer x")

	// At the expiry the manifest and every URL in it are 403.
	a.clock.Store(exp * 1000)
	for _, u := range append([]string{mpdURL, master, alias}, media...) {
		wantStatus(t, h, u, http.StatusForbidden, "signed URL expired at ")
	}
	a.clock.Store(exp*1000 - 1)
	mustGet(t, h, media[1])
}

// TestSignAPI: a read token mints signed URLs over the API; a signed URL
// cannot mint another.
func TestSignAPI(t *testing.T) {
	a := newAuthServer(t, "tok-1")
	post := func(body string, hdr ...string) *http.Response {
		req := httptest.NewRequest(http.MethodPost, "/api/sign", strings.NewReader(body))
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		rec := httptest.NewRecorder()
		a.h.ServeHTTP(rec, req)
		return rec.Result()
	}
	tok := []string{"Authorization", "Bearer tok-1"}
	r := post(`{"url": "/catchup/ch1/manifest.mpd?`+authWin+`", "ttl": "10m"}`, tok...)
	b := body(t, r)
	if r.StatusCode != http.StatusOK {
		t.Fatalf("sign: %d %s", r.StatusCode, b)
	}
	m := regexp.MustCompile(`"url":"([^"]+)"`).FindStringSubmatch(strings.ReplaceAll(b, `\u0026`, "&"))
	if m == nil {
		t.Fatalf("sign: %s", b)
	}
	mpd := body(t, mustGet(t, a.h, m[1]))
	mustGet(t, a.h, mpdURLs(t, m[1], mpd)[1])
	if r := post(`{"url": "/catchup/ch1/manifest.mpd", "ttl": "10m"}`); r.StatusCode != http.StatusUnauthorized {
		t.Errorf("sign without a token: %d", r.StatusCode)
	}
	signed := a.sign(t, "/api/sign", time.Minute)
	req := httptest.NewRequest(http.MethodPost, signed, strings.NewReader(`{"url": "/catchup/ch1/manifest.mpd", "ttl": "1h"}`))
	rec := httptest.NewRecorder()
	a.h.ServeHTTP(rec, req)
	if rec.Code != http.StatusForbidden {
		t.Errorf("sign with a signed URL: %d %s", rec.Code, rec.Body)
	}
	for _, bad := range []string{`{"url": "/x", "ttl": "10m", "expires": "0"}`, `{"url": "/x"}`, `{"url": "x", "ttl": "1m"}`,
		`{"url": "/x", "ttl": "-1m"}`, `{"url": "/x", "ttl": "1000000h"}`, `{"url": "/x", "ttl": "1m", "prefix": "/y/"}`, `nope`} {
		if r := post(bad, tok...); r.StatusCode != http.StatusBadRequest {
			t.Errorf("%s: %d %s", bad, r.StatusCode, body(t, r))
		}
	}
}

// TestNoReadAuth: without read tokens or a signer, nothing changes:
// signed-URL parameters are ignored, manifests carry none, tokens are
// not needed and caching stays public.
func TestNoReadAuth(t *testing.T) {
	s, _ := realArchive(t)
	h := s.server(at(160)).Handler()
	u := "/catchup/ch1/manifest.mpd?" + authWin
	plain := body(t, mustGet(t, h, u))
	junk := body(t, wantStatus(t, h, u+"&exp=1&sig=junk&acl=%2F", http.StatusOK, "", "Authorization", "Bearer whatever"))
	if plain != junk || strings.Contains(plain, "sig=") {
		t.Errorf("auth parameters changed an open server's answer")
	}
	for _, seg := range mpdURLs(t, u, plain) {
		if cc := mustGet(t, h, seg).Header.Get("Cache-Control"); cc != immutable {
			t.Errorf("%s: Cache-Control %q", seg, cc)
		}
	}
	req := httptest.NewRequest(http.MethodPost, "/api/sign", strings.NewReader(`{"url": "/x", "ttl": "1m"}`))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusNotFound || !strings.Contains(rec.Body.String(), "not configured") {
		t.Errorf("POST /api/sign on an open server: %d %s", rec.Code, rec.Body)
	}
}
