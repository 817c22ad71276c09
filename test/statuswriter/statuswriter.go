// Package statuswriter is a test helper: an http.ResponseWriter that
// remembers the status its handler answered with, for test servers that
// record or log what a handler did (the bodies answered 200, a request
// log).
package statuswriter

import "net/http"

// Writer wraps an http.ResponseWriter and remembers its status. It passes
// flushes on (a streaming proxy) and unwraps, so that
// http.ResponseController reaches the connection.
type Writer struct {
	http.ResponseWriter
	// Status is the status answered: 200 until WriteHeader says other.
	Status int
}

// New wraps w.
func New(w http.ResponseWriter) *Writer {
	return &Writer{ResponseWriter: w, Status: http.StatusOK}
}

// WriteHeader remembers code and sends it on.
func (w *Writer) WriteHeader(code int) {
	w.Status = code
	w.ResponseWriter.WriteHeader(code)
}

// Flush flushes the wrapped writer when it can.
func (w *Writer) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap returns the wrapped writer (for http.ResponseController).
func (w *Writer) Unwrap() http.ResponseWriter { return w.ResponseWriter }
