package archive

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/reapd/reapd/blobstore"
)

// testEpoch is a grid-aligned wall-clock second (2026-01-01T00:00:00Z).
const testEpoch = 1767225600

// rig is an archiver on a mem store behind a real HTTP server.
type rig struct {
	t     *testing.T
	store *blobstore.Store
	a     *Archiver
	srv   *httptest.Server
}

func newRig(t *testing.T, opts *Options, storeOpts *blobstore.Options) *rig {
	t.Helper()
	return newWrappedRig(t, opts, storeOpts, nil)
}

// newWrappedRig is newRig with a middleware around the ingest handler.
func newWrappedRig(t *testing.T, opts *Options, storeOpts *blobstore.Options, wrap func(http.Handler) http.Handler) *rig {
	t.Helper()
	st, err := blobstore.Open(context.Background(), "mem://", storeOpts)
	if err != nil {
		t.Fatal(err)
	}
	return wrapStoreRig(t, st, opts, wrap)
}

// newStoreRig is newRig on store st, which it closes at the end.
func newStoreRig(t *testing.T, st *blobstore.Store, opts *Options) *rig {
	t.Helper()
	return wrapStoreRig(t, st, opts, nil)
}

func wrapStoreRig(t *testing.T, st *blobstore.Store, opts *Options, wrap func(http.Handler) http.Handler) *rig {
	t.Helper()
	if opts == nil {
		opts = &Options{}
	}
	if opts.Logger == nil && os.Getenv("REAPD_TEST_LOG") != "" {
		opts.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	if opts.Now == nil {
		opts.Now = func() time.Time { return time.Unix(testEpoch, 0) }
	}
	a := New(st, opts)
	h := a.Handler()
	if wrap != nil {
		h = wrap(h)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(func() {
		srv.Close()
		_ = a.Shutdown(context.Background())
		st.Close()
	})
	return &rig{t: t, store: st, a: a, srv: srv}
}

// send sends body to path with method, returning status and response body.
func (r *rig) send(method, p string, body []byte, hdr ...string) (int, string) {
	r.t.Helper()
	return r.sendReader(method, p, bytes.NewReader(body), hdr...)
}

func (r *rig) sendReader(method, p string, body io.Reader, hdr ...string) (int, string) {
	r.t.Helper()
	req, err := http.NewRequest(method, r.srv.URL+p, body)
	if err != nil {
		r.t.Fatal(err)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := r.srv.Client().Do(req)
	if err != nil {
		r.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// mustSend fails the test unless the request answers 200.
func (r *rig) mustSend(method, p string, body []byte) {
	r.t.Helper()
	if code, msg := r.send(method, p, body); code != http.StatusOK {
		r.t.Fatalf("%s %s: %d %s", method, p, code, msg)
	}
}

// staged returns the staged objects of a track: base name → bytes.
func (r *rig) staged(channel, track string) map[string][]byte {
	r.t.Helper()
	ctx := context.Background()
	objs, err := r.store.List(ctx, fmt.Sprintf("%s/%s/live/", channel, track))
	if err != nil {
		r.t.Fatal(err)
	}
	out := map[string][]byte{}
	for _, o := range objs {
		if strings.HasSuffix(o.Key, ".hdr") {
			continue
		}
		b, err := r.store.Get(ctx, o.Key)
		if err != nil {
			r.t.Fatal(err)
		}
		out[path.Base(o.Key)] = b
	}
	return out
}

// keys returns every key in the store.
func (r *rig) keys() []string {
	objs, err := r.store.List(context.Background(), "")
	if err != nil {
		r.t.Fatal(err)
	}
	var ks []string
	for _, o := range objs {
		ks = append(ks, o.Key)
	}
	return ks
}

func (r *rig) count(channel, track, result string) float64 {
	return testutil.ToFloat64(r.a.metrics.Segments.WithLabelValues(channel, track, result))
}

// ioPipeChunks returns a reader fed by write in chunks of size n, so an
// HTTP client sends it with chunked transfer coding.
func ioPipeChunks(body []byte, n int) (io.Reader, func()) {
	pr, pw := io.Pipe()
	return pr, func() {
		for len(body) > 0 {
			k := min(n, len(body))
			if _, err := pw.Write(body[:k]); err != nil {
				return
			}
			body = body[k:]
		}
		pw.Close()
	}
}
