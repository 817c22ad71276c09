package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"sync"
	"testing"
)

// recordingProxy sits between an encoder and reapd and records the body
// of every request reapd acknowledged with 200, by path: what the encoder
// got confirmed. The upstream exchange runs to its end even when the
// encoder hangs up first (ffmpeg exits without waiting for its last
// answers), so that "recorded" means "acknowledged by reapd".
type recordingProxy struct {
	srv *httptest.Server

	mu     sync.Mutex
	bodies map[string][][]byte // path → acknowledged bodies, in order
}

func newRecordingProxy(t *testing.T, addr string) *recordingProxy {
	t.Helper()
	target := &url.URL{Scheme: "http", Host: addr}
	proxy := httputil.NewSingleHostReverseProxy(target)
	proxy.FlushInterval = -1
	rp := &recordingProxy{bodies: map[string][][]byte{}}
	rp.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var buf bytes.Buffer
		r = r.WithContext(context.WithoutCancel(r.Context()))
		r.Body = struct {
			io.Reader
			io.Closer
		}{io.TeeReader(r.Body, &buf), r.Body}
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		proxy.ServeHTTP(sw, r)
		if sw.status == http.StatusOK && (r.Method == http.MethodPost || r.Method == http.MethodPut) {
			rp.mu.Lock()
			rp.bodies[r.URL.Path] = append(rp.bodies[r.URL.Path], buf.Bytes())
			rp.mu.Unlock()
		}
	}))
	t.Cleanup(rp.srv.Close)
	return rp
}

// settle waits for the requests still in flight.
func (rp *recordingProxy) settle() { rp.srv.Close() }

// acked returns the acknowledged bodies by path.
func (rp *recordingProxy) acked() map[string][][]byte {
	rp.mu.Lock()
	defer rp.mu.Unlock()
	out := make(map[string][][]byte, len(rp.bodies))
	for p, b := range rp.bodies {
		out[p] = append([][]byte(nil), b...)
	}
	return out
}

// statusWriter remembers the status a handler answered with.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (s *statusWriter) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

// Flush passes flushes on (the proxy streams).
func (s *statusWriter) Flush() {
	if f, ok := s.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}
