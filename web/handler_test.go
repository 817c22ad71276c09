package web

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

func get(t *testing.T, h http.Handler, path string, hdr ...string) *http.Response {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Result()
}

// TestPageAndAssets: the page is never cached unrevalidated and names its
// assets under the build's version; those are served with their content
// types and cached as immutable; other versions are not cached; unknown
// files are 404.
func TestPageAndAssets(t *testing.T) {
	h := New(nil)
	res := get(t, h, "/")
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "text/html; charset=utf-8" ||
		res.Header.Get("Cache-Control") != "no-cache" || res.Header.Get("Content-Security-Policy") == "" {
		t.Fatalf("GET /: %d %v", res.StatusCode, res.Header)
	}
	refs := regexp.MustCompile(`(?:src|href)="(/ui/[^"]+)"`).FindAllStringSubmatch(string(body), -1)
	if len(refs) < 3 || strings.Contains(string(body), "{{version}}") {
		t.Fatalf("page names %d assets: %s", len(refs), body)
	}
	types := map[string]string{".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8", ".svg": "image/svg+xml"}
	for _, m := range refs {
		u := m[1]
		if !strings.HasPrefix(u, "/ui/"+h.Version()+"/") {
			t.Errorf("%s is not under the version %s", u, h.Version())
		}
		r := get(t, h, u)
		if r.StatusCode != 200 || r.Header.Get("Cache-Control") != "public, max-age=31536000, immutable" ||
			r.Header.Get("Content-Type") != types[u[strings.LastIndex(u, "."):]] {
			t.Errorf("GET %s: %d %v", u, r.StatusCode, r.Header)
		}
	}
	if r := get(t, h, "/ui/0000/main.js"); r.StatusCode != 200 || r.Header.Get("Cache-Control") != "no-cache" {
		t.Errorf("an old version's asset: %d %q", r.StatusCode, r.Header.Get("Cache-Control"))
	}
	for _, p := range []string{"/ui/" + h.Version() + "/nope.js", "/ui/" + h.Version() + "/index.html", "/ui/main.js", "/ui/"} {
		if r := get(t, h, p); r.StatusCode != 404 {
			t.Errorf("GET %s: %d, want 404", p, r.StatusCode)
		}
	}
	// The player, gzipped when the browser takes it, identical unzipped.
	u := "/ui/" + h.Version() + "/vendor/dash.mediaplayer.min.js"
	plain, _ := io.ReadAll(get(t, h, u).Body)
	r := get(t, h, u, "Accept-Encoding", "gzip, br")
	if r.Header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("no gzip: %v", r.Header)
	}
	zr, err := gzip.NewReader(r.Body)
	if err != nil {
		t.Fatal(err)
	}
	unz, _ := io.ReadAll(zr)
	if !bytes.Equal(unz, plain) || len(plain) < 100000 {
		t.Errorf("gzipped player unzips to %d bytes, plain %d", len(unz), len(plain))
	}
	// Revalidation of the page.
	if r := get(t, h, "/", "If-None-Match", res.Header.Get("ETag")); r.StatusCode != http.StatusNotModified {
		t.Errorf("revalidated page: %d", r.StatusCode)
	}
	req := httptest.NewRequest(http.MethodPost, "/", nil)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST /: %d", rec.Code)
	}
}
