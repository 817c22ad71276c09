package archive

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/reapd/reapd/blobstore"
)

// encAnswerWithin bounds how long an encoder waits for an answer: a
// request that hangs (issue 8, item 1: a header with a conformance finding
// deadlocked its track) fails the test instead of stalling it.
const encAnswerWithin = 60 * time.Second

// encRig is an archiver on its own mem store behind an HTTP server, for the
// encoder tests: like rig, but a request left hanging fails the test at
// once and does not hang its cleanup (httptest.Server.Close waits for every
// outstanding request).
type encRig struct {
	t     *testing.T
	store *blobstore.Store
	a     *Archiver
	srv   *httptest.Server
	hung  atomic.Bool
}

func newEncRig(t *testing.T) *encRig {
	t.Helper()
	st, err := blobstore.Open(context.Background(), "mem://", nil)
	if err != nil {
		t.Fatal(err)
	}
	opts := &Options{Now: func() time.Time { return time.Unix(testEpoch, 0) }}
	if os.Getenv("REAPD_TEST_LOG") != "" {
		opts.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	r := &encRig{t: t, store: st, a: New(st, opts)}
	r.srv = httptest.NewServer(r.a.Handler())
	t.Cleanup(func() {
		if r.hung.Load() {
			r.srv.Listener.Close()
			r.srv.CloseClientConnections() // the hung handler's goroutine is left behind
			return
		}
		r.srv.Close()
		ctx, cancel := context.WithTimeout(context.Background(), encAnswerWithin)
		defer cancel()
		_ = r.a.Shutdown(ctx)
		st.Close()
	})
	return r
}

// post sends body to path with POST and returns the status and the
// response body; a request with no answer within encAnswerWithin fails
// the test.
func (r *encRig) post(path string, body []byte) (int, string) {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), encAnswerWithin)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.srv.URL+path, bytes.NewReader(body))
	if err != nil {
		r.t.Fatal(err)
	}
	resp, err := r.srv.Client().Do(req)
	if err != nil {
		if ctx.Err() != nil {
			r.hung.Store(true)
			r.t.Fatalf("POST %s: no answer within %v", path, encAnswerWithin)
		}
		r.t.Fatalf("POST %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// finalizeAll finalizes every pending period, failing the test when that
// does not end within encAnswerWithin.
func (r *encRig) finalizeAll() error {
	r.t.Helper()
	done := make(chan error, 1)
	go func() { done <- r.a.FinalizeAll(context.Background()) }()
	select {
	case err := <-done:
		return err
	case <-time.After(encAnswerWithin):
		r.hung.Store(true)
		r.t.Fatalf("FinalizeAll did not return within %v", encAnswerWithin)
		return nil
	}
}
