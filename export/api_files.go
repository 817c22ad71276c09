package export

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/reapd/reapd/blobstore"
)

// handleFile serves GET /api/exports/{id}/files/{path...}: a file of a job
// whose package went to reapd's own store, with Range (http.ServeContent
// over range reads of the store), so that a web page can link to it.
func (s *Service) handleFile(w http.ResponseWriter, r *http.Request) {
	id, name := r.PathValue("id"), r.PathValue("path")
	if _, err := parseJobID(id); err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := blobstore.CheckKey(name); err != nil {
		s.writeError(w, r, fmt.Errorf("%w: path: %v", ErrBadRequest, err))
		return
	}
	key := jobDir(id) + filesDir + name
	a, err := s.store.Stat(r.Context(), key)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", contentType(name))
	h.Set("Access-Control-Allow-Origin", "*")
	h.Set("Access-Control-Expose-Headers", "Content-Length, Content-Range")
	h.Set("Cache-Control", "public, max-age=31536000, immutable")       // write-once objects
	h.Set("ETag", fmt.Sprintf(`"%x-%x"`, a.Size, a.ModTime.UnixNano())) // for If-Range
	if strings.HasSuffix(name, ".mp4") {
		h.Set("Content-Disposition", `attachment; filename="`+id+`.mp4"`)
	}
	f := &storeFile{ctx: r.Context(), store: s.store, key: key, size: a.Size}
	defer f.Seek(0, io.SeekStart) //nolint:errcheck // closes the open reader
	http.ServeContent(w, r, "", a.ModTime, f)
}

// storeFile is an io.ReadSeeker over an object, reading from the store
// from where it was last sought.
type storeFile struct {
	ctx   context.Context
	store *blobstore.Store
	key   string
	size  int64
	off   int64
	rc    io.ReadCloser
}

func (f *storeFile) Read(p []byte) (int, error) {
	if f.off >= f.size {
		return 0, io.EOF
	}
	if f.rc == nil {
		rc, err := f.store.NewRangeReader(f.ctx, f.key, f.off, -1)
		if err != nil {
			return 0, err
		}
		f.rc = rc
	}
	n, err := f.rc.Read(p)
	f.off += int64(n)
	if errors.Is(err, io.EOF) {
		f.rc.Close()
		f.rc = nil
		if n > 0 {
			err = nil
		}
	}
	return n, err
}

func (f *storeFile) Seek(offset int64, whence int) (int64, error) {
	switch whence {
	case io.SeekCurrent:
		offset += f.off
	case io.SeekEnd:
		offset += f.size
	}
	if offset < 0 {
		return 0, errors.New("export: negative seek")
	}
	if f.rc != nil {
		f.rc.Close()
		f.rc = nil
	}
	f.off = offset
	return offset, nil
}
