package blobstore

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"syscall"
)

// openRange opens a byte range of a file:// object as a file of the file
// system (not through gocloud's fileblob reader), so that a reader of it
// can hand the file itself to an io.Writer that takes files: an HTTP
// response then sends the bytes with sendfile, as a static file server
// does, instead of copying them through a buffer.
func (f *fsRoot) openRange(key string, offset, length int64) (io.ReadCloser, error) {
	file, err := os.Open(f.path(key))
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
			return nil, kinded{kind: ErrNotFound, err: err}
		}
		return nil, err
	}
	info, err := file.Stat()
	if err != nil || info.IsDir() {
		_ = file.Close()
		if err == nil {
			err = kinded{kind: ErrNotFound, err: errors.New("file store: the key is a directory")}
		}
		return nil, err
	}
	size := info.Size()
	offset = min(offset, size)
	if length < 0 || offset+length > size {
		length = size - offset // cut short at the end, as the other stores do
	}
	if _, err := file.Seek(offset, io.SeekStart); err != nil {
		_ = file.Close()
		return nil, err
	}
	return &fileReader{f: file, lr: io.LimitedReader{R: file, N: length}}, nil
}

// fileReader reads a byte range of a file.
type fileReader struct {
	f  *os.File
	lr io.LimitedReader
}

func (r *fileReader) Read(p []byte) (int, error) { return r.lr.Read(p) }

// WriteTo writes the rest of the range to w, as a file range when w can
// take one (an HTTP response: sendfile).
func (r *fileReader) WriteTo(w io.Writer) (int64, error) {
	if rf, ok := w.(io.ReaderFrom); ok {
		return rf.ReadFrom(&r.lr)
	}
	return io.Copy(w, struct{ io.Reader }{&r.lr})
}

func (r *fileReader) Close() error { return r.f.Close() }
