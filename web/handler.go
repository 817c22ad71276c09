package web

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"net/http"
	"path"
	"sort"
	"strings"
	"sync"
	"time"
)

// Handler serves the page and its assets; create it with [New].
type Handler struct {
	version  string // content hash of all assets: the /ui/{version}/ prefix
	index    []byte // index.html with the version filled in
	indexTag string
	files    map[string]*asset // by path under assets/
}

// asset is one embedded file, its gzip form made on first use.
type asset struct {
	body, gz []byte
	ctype    string
	etag     string
	once     sync.Once
}

// contentTypes by extension: explicit, so they do not depend on the
// machine's MIME tables.
var contentTypes = map[string]string{
	".html": "text/html; charset=utf-8",
	".js":   "text/javascript; charset=utf-8",
	".css":  "text/css; charset=utf-8",
	".svg":  "image/svg+xml",
	".txt":  "text/plain; charset=utf-8",
	".md":   "text/plain; charset=utf-8",
	".map":  "application/json",
}

// Options tune a [Handler]; nil means the defaults (there are none yet).
type Options struct{}

// New returns the handler of the embedded page.
func New(_ *Options) *Handler {
	h := &Handler{files: map[string]*asset{}}
	sum := sha256.New()
	var names []string
	err := fs.WalkDir(assetFS, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		names = append(names, p)
		return nil
	})
	if err != nil {
		panic("web: embedded assets: " + err.Error()) // cannot happen: embed checked them at build time
	}
	sort.Strings(names)
	for _, p := range names {
		b, _ := fs.ReadFile(assetFS, p)
		fh := sha256.Sum256(b)
		ctype := contentTypes[path.Ext(p)]
		if ctype == "" {
			ctype = "application/octet-stream"
		}
		h.files[p] = &asset{body: b, ctype: ctype, etag: `"` + hex.EncodeToString(fh[:8]) + `"`}
		sum.Write([]byte(p))
		sum.Write(fh[:])
	}
	h.version = hex.EncodeToString(sum.Sum(nil)[:6])
	h.index = bytes.ReplaceAll(h.files["index.html"].body, []byte("{{version}}"), []byte(h.version))
	ih := sha256.Sum256(h.index)
	h.indexTag = `"` + hex.EncodeToString(ih[:8]) + `"`
	return h
}

// Version is the content hash that names this build's assets
// (/ui/{Version}/app.js).
func (h *Handler) Version() string { return h.version }

// ServeHTTP serves GET / (the page, never cached without revalidation)
// and GET /ui/{version}/{file} (the assets, immutable under the current
// version; an older version's URL gets the current file, uncached).
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	hd := w.Header()
	hd.Set("X-Content-Type-Options", "nosniff")
	if r.URL.Path == "/" || r.URL.Path == "/index.html" {
		hd.Set("Content-Type", contentTypes[".html"])
		hd.Set("Cache-Control", "no-cache")
		hd.Set("Content-Security-Policy", csp)
		hd.Set("Referrer-Policy", "same-origin")
		hd.Set("ETag", h.indexTag)
		http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(h.index))
		return
	}
	rest, ok := strings.CutPrefix(r.URL.Path, "/ui/")
	version, name, ok2 := strings.Cut(rest, "/")
	a := h.files[name]
	if !ok || !ok2 || a == nil || name == "index.html" {
		http.NotFound(w, r)
		return
	}
	hd.Set("Content-Type", a.ctype)
	hd.Set("ETag", a.etag)
	hd.Set("Vary", "Accept-Encoding")
	if version == h.version {
		hd.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		hd.Set("Cache-Control", "no-cache")
	}
	body := a.body
	if len(body) > 1024 && acceptsGzip(r) && r.Header.Get("Range") == "" {
		a.once.Do(func() { a.gz = gzipped(a.body) })
		body = a.gz
		hd.Set("Content-Encoding", "gzip")
	}
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(body))
}

// csp keeps the page to its own origin: scripts and styles from /ui/,
// media through MSE (blob:), API and segment requests to reapd.
const csp = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; " +
	"media-src 'self' blob:; img-src 'self' data: blob:; connect-src 'self'; worker-src 'self' blob:; " +
	"object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"

func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		enc, q, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(enc), "gzip") && strings.ReplaceAll(q, " ", "") != "q=0" {
			return true
		}
	}
	return false
}

func gzipped(b []byte) []byte {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	zw.Write(b)
	zw.Close()
	return buf.Bytes()
}
