// Package staticsrv serves a directory the way a public bucket behind the
// CORS rule of the README ("Playing the archive straight from the bucket")
// serves its objects, so that tests can play an archive written to a file://
// store with no reapd in the path, as a browser plays it from S3 or GCS.
//
// Like a bucket it answers GET and HEAD with byte ranges (Range, If-Range),
// Content-Length, Last-Modified and an ETag, and sends the CORS headers of
// the rule
//
//	AllowedOrigins ["*"], AllowedMethods ["GET", "HEAD"],
//	AllowedHeaders ["Range"], ExposeHeaders ["Content-Range", "Content-Length", "ETag"]
//
// on every answer to a request with an Origin. A preflight (OPTIONS with
// Access-Control-Request-Method) that the rule allows is answered 200 with
// Access-Control-Allow-Methods/-Headers; one it does not allow is answered
// 403, as S3 does, so that a player asking for more than the rule allows
// fails here as it would against the bucket. Directories are not listed.
package staticsrv

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"
)

// The CORS rule this server imitates.
const (
	AllowMethods  = "GET, HEAD"
	AllowHeaders  = "Range"
	ExposeHeaders = "Content-Range, Content-Length, ETag"
	MaxAgeSeconds = "3600"
)

// contentTypes are the types reapd's objects get in a bucket.
var contentTypes = map[string]string{
	".mpd":  "application/dash+xml",
	".m3u8": "application/vnd.apple.mpegurl",
	".cmfv": "video/mp4",
	".cmfa": "audio/mp4",
	".cmft": "application/mp4",
	".cmfm": "application/mp4",
	".mp4":  "video/mp4",
	".m4s":  "video/iso.segment",
	".json": "application/json",
}

// Handler serves the files under dir.
func Handler(dir string) http.Handler {
	return &server{dir: dir}
}

// Start serves dir on a loopback port until the test ends and returns the
// server (its URL is the base URL of the "bucket").
func Start(t testing.TB, dir string) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(Handler(dir))
	t.Cleanup(srv.Close)
	return srv
}

type server struct{ dir string }

func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	if r.Header.Get("Origin") != "" {
		h.Set("Vary", "Origin, Access-Control-Request-Headers, Access-Control-Request-Method")
	}
	if r.Method == http.MethodOptions {
		s.preflight(w, r)
		return
	}
	if r.Header.Get("Origin") != "" {
		h.Set("Access-Control-Allow-Origin", "*")
		h.Set("Access-Control-Expose-Headers", ExposeHeaders)
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		h.Set("Allow", AllowMethods)
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	name := path.Clean("/" + r.URL.Path)
	f, err := os.Open(filepath.Join(s.dir, filepath.FromSlash(name)))
	if err != nil {
		http.NotFound(w, r)
		return
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || fi.IsDir() {
		http.NotFound(w, r)
		return
	}
	if ct, ok := contentTypes[path.Ext(name)]; ok {
		h.Set("Content-Type", ct)
	}
	// A bucket's ETag is a quoted hash; size and modification time name
	// a write-once object as well.
	h.Set("ETag", fmt.Sprintf(`"%x-%x"`, fi.Size(), fi.ModTime().UnixNano()))
	http.ServeContent(w, r, name, fi.ModTime(), f)
}

// preflight answers an OPTIONS request by the CORS rule.
func (s *server) preflight(w http.ResponseWriter, r *http.Request) {
	method := r.Header.Get("Access-Control-Request-Method")
	if r.Header.Get("Origin") == "" || method == "" {
		http.Error(w, "CORS preflight needs Origin and Access-Control-Request-Method", http.StatusBadRequest)
		return
	}
	if method != http.MethodGet && method != http.MethodHead {
		http.Error(w, "CORSResponse: this CORS request is not allowed (method "+method+")", http.StatusForbidden)
		return
	}
	for _, hdr := range strings.Split(r.Header.Get("Access-Control-Request-Headers"), ",") {
		hdr = strings.TrimSpace(hdr)
		if hdr != "" && !strings.EqualFold(hdr, AllowHeaders) {
			http.Error(w, "CORSResponse: this CORS request is not allowed (header "+hdr+")", http.StatusForbidden)
			return
		}
	}
	h := w.Header()
	h.Set("Access-Control-Allow-Origin", "*")
	h.Set("Access-Control-Allow-Methods", AllowMethods)
	if req := r.Header.Get("Access-Control-Request-Headers"); req != "" {
		h.Set("Access-Control-Allow-Headers", req)
	}
	h.Set("Access-Control-Expose-Headers", ExposeHeaders)
	h.Set("Access-Control-Max-Age", MaxAgeSeconds)
	w.WriteHeader(http.StatusOK)
}
