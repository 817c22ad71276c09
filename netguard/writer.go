package netguard

import (
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

// Flush flushes the response (http.Flusher).
func (w *writer) Flush() {
	w.extend()
	_ = w.rc.Flush()
}

// Unwrap lets http.ResponseController reach the connection.
func (w *writer) Unwrap() http.ResponseWriter { return w.ResponseWriter }
