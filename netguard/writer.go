package netguard

import (
	"io"
	"net/http"
	"time"
)

// writer moves the connection's write deadline to WriteTimeout from now
// at every write of the response (at most every WriteTimeout/8).
type writer struct {
	http.ResponseWriter
	rc      *http.ResponseController
	timeout time.Duration
	now     func() time.Time
	set     time.Time // when the deadline was last moved
}

func (w *writer) extend() {
	now := w.now()
	if now.Sub(w.set) < w.timeout/8 {
		return
	}
	w.set = now
	_ = w.rc.SetWriteDeadline(now.Add(w.timeout))
}

func (w *writer) WriteHeader(code int) {
	w.extend()
	w.ResponseWriter.WriteHeader(code)
}

func (w *writer) Write(p []byte) (int, error) {
	w.extend()
	return w.ResponseWriter.Write(p)
}

// readChunk is how much of a file ReadFrom sends per deadline extension.
const readChunk = 1 << 20

// ReadFrom sends r through the response's own ReadFrom (sendfile for a
// file range), a chunk at a time so that the write deadline moves as the
// client reads, as it does for Write.
func (w *writer) ReadFrom(r io.Reader) (int64, error) {
	rf, ok := w.ResponseWriter.(io.ReaderFrom)
	lr, isRange := r.(*io.LimitedReader)
	if !ok || !isRange {
		return io.Copy(struct{ io.Writer }{w}, r)
	}
	var total int64
	for lr.N > 0 {
		w.extend()
		chunk := &io.LimitedReader{R: lr.R, N: min(lr.N, readChunk)}
		n, err := rf.ReadFrom(chunk)
		total += n
		lr.N -= n
		if err != nil || n == 0 {
			return total, err
		}
	}
	return total, nil
}

// Flush flushes the response (http.Flusher).
func (w *writer) Flush() {
	w.extend()
	_ = w.rc.Flush()
}

// Unwrap lets http.ResponseController reach the connection.
func (w *writer) Unwrap() http.ResponseWriter { return w.ResponseWriter }
