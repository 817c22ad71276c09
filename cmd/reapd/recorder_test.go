package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/reapd/reapd/test/statuswriter"
)

// recordingProxy sits between an encoder and reapd and records the body
// of every request reapd acknowledged with 200, by path: what the encoder
// got confirmed. The upstream exchange runs to its end even when the
// encoder hangs up first (ffmpeg exits without waiting for its last
// answers), so that "recorded" means "acknowledged by reapd".
type recordingProxy struct {
	srv *httptest.Server

	mu      sync.Mutex
	bodies  map[string][][]byte // path → acknowledged bodies, in order
	refused []string            // "METHOD path: status (bytes)" of the other answers
	conns   map[net.Conn]http.ConnState
	flying  map[*http.Request]time.Time // requests not answered yet, since when
}

func newRecordingProxy(t *testing.T, addr string) *recordingProxy {
	t.Helper()
	target := &url.URL{Scheme: "http", Host: addr}
	proxy := httputil.NewSingleHostReverseProxy(target)
	proxy.FlushInterval = -1
	rp := &recordingProxy{bodies: map[string][][]byte{}, conns: map[net.Conn]http.ConnState{}, flying: map[*http.Request]time.Time{}}
	rp.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var buf bytes.Buffer
		r = r.WithContext(context.WithoutCancel(r.Context()))
		r.Body = struct {
			io.Reader
			io.Closer
		}{io.TeeReader(r.Body, &buf), r.Body}
		sw := statuswriter.New(w)
		rp.mu.Lock()
		rp.flying[r] = time.Now()
		rp.mu.Unlock()
		// Deferred: when the encoder has hung up, the proxy fails to copy
		// reapd's answer to it and panics (http.ErrAbortHandler), after
		// reapd answered.
		defer func() { rp.record(r, sw.Status, buf.Bytes()) }()
		proxy.ServeHTTP(sw, r)
	}))
	rp.srv.Config.ConnState = func(c net.Conn, st http.ConnState) {
		rp.mu.Lock()
		defer rp.mu.Unlock()
		rp.conns[c] = st
		if st == http.StateClosed || st == http.StateHijacked {
			delete(rp.conns, c)
		}
	}
	rp.srv.Start()
	t.Cleanup(rp.srv.Close)
	return rp
}

// record notes a POST or PUT and reapd's answer to it.
func (rp *recordingProxy) record(r *http.Request, status int, body []byte) {
	rp.mu.Lock()
	defer rp.mu.Unlock()
	delete(rp.flying, r)
	if r.Method != http.MethodPost && r.Method != http.MethodPut {
		return
	}
	if status == http.StatusOK {
		rp.bodies[r.URL.Path] = append(rp.bodies[r.URL.Path], body)
	} else {
		rp.refused = append(rp.refused, fmt.Sprintf("%s %s: %d (%d bytes)", r.Method, r.URL.Path, status, len(body)))
	}
}

// settle waits for the requests still in flight, then closes the proxy.
// An encoder that exits right after writing its last request leaves it in
// the socket; httptest's Close would drop a connection whose request was
// not read yet, so settle first waits (up to 10 s) until every connection
// is idle.
func (rp *recordingProxy) settle() {
	end := time.Now().Add(10 * time.Second)
	for time.Now().Before(end) {
		rp.mu.Lock()
		busy := 0
		for _, st := range rp.conns {
			if st == http.StateNew || st == http.StateActive {
				busy++
			}
		}
		rp.mu.Unlock()
		if busy == 0 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	rp.srv.Close()
}

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

// notAcked lists the requests reapd did not answer with 200.
func (rp *recordingProxy) notAcked() []string {
	rp.mu.Lock()
	defer rp.mu.Unlock()
	return append([]string(nil), rp.refused...)
}

// inFlight lists the requests reapd has not answered yet, oldest first:
// "METHOD path (for 12.3s)".
func (rp *recordingProxy) inFlight() []string {
	rp.mu.Lock()
	defer rp.mu.Unlock()
	type req struct {
		what  string
		since time.Time
	}
	var reqs []req
	for r, since := range rp.flying {
		reqs = append(reqs, req{r.Method + " " + r.URL.Path, since})
	}
	slices.SortFunc(reqs, func(a, b req) int { return a.since.Compare(b.since) })
	out := make([]string, len(reqs))
	for i, r := range reqs {
		out[i] = fmt.Sprintf("%s (for %v)", r.what, time.Since(r.since).Round(100*time.Millisecond))
	}
	return out
}
