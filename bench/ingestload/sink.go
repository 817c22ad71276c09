package ingestload

import (
	"crypto/rand"
	"encoding/hex"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// Sink is the raw-sink baseline: it writes every PUT or POST body under
// Dir at the request path, as the file store writes an object — a
// temporary file in the target's directory, fsync, link to the name,
// remove the temporary name — and answers 200 (409 when the name exists).
// It parses nothing and keeps no state: the floor of what an archiver on
// the same disk can do.
type Sink struct {
	Dir  string
	dirs sync.Map // directories made
	pool sync.Pool
}

// ServeHTTP implements http.Handler.
func (s *Sink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rel, ok := sinkPath(w, r)
	if !ok {
		return
	}
	target := filepath.Join(s.Dir, filepath.FromSlash(rel))
	if err := s.write(target, r.Body); err != nil {
		if os.IsExist(err) {
			http.Error(w, err.Error(), http.StatusConflict)
			return
		}
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.WriteHeader(http.StatusOK)
}

// sinkPath returns the path a sink writes a request's body to (relative,
// with slashes), or answers the request with an error.
func sinkPath(w http.ResponseWriter, r *http.Request) (string, bool) {
	if r.Method != http.MethodPut && r.Method != http.MethodPost {
		http.Error(w, "PUT or POST", http.StatusMethodNotAllowed)
		return "", false
	}
	rel := strings.TrimPrefix(r.URL.Path, "/")
	if rel == "" || strings.Contains(rel, "..") {
		http.Error(w, "bad path", http.StatusBadRequest)
		return "", false
	}
	return rel, true
}

func (s *Sink) write(target string, body io.Reader) error {
	dir := filepath.Dir(target)
	if _, ok := s.dirs.Load(dir); !ok {
		if err := os.MkdirAll(dir, 0o777); err != nil {
			return err
		}
		s.dirs.Store(dir, true)
	}
	var rnd [8]byte
	_, _ = rand.Read(rnd[:])
	tmp := filepath.Join(dir, `.tmp\`+hex.EncodeToString(rnd[:]))
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o666)
	if err != nil {
		return err
	}
	defer os.Remove(tmp)
	bp, _ := s.pool.Get().(*[]byte)
	if bp == nil {
		b := make([]byte, 256<<10)
		bp = &b
	}
	_, err = io.CopyBuffer(struct{ io.Writer }{f}, body, *bp)
	s.pool.Put(bp)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	return os.Link(tmp, target)
}
