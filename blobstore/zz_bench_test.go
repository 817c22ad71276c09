package blobstore_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fsouza/fake-gcs-server/fakestorage"
	"github.com/reapd/reapd/blobstore/blobstoretest"
)

type rec struct {
	http.ResponseWriter
	code int
}

func (r *rec) WriteHeader(c int) { r.code = c; r.ResponseWriter.WriteHeader(c) }

func TestZZGCS(t *testing.T) {
	srv := httptest.NewUnstartedServer(nil)
	base := "http://" + srv.Listener.Addr().String()
	fake, _ := fakestorage.NewServerWithOptions(fakestorage.Options{NoListener: true, Scheme: "http", PublicHost: "127.0.0.1", ExternalURL: base})
	fake.CreateBucketWithOpts(fakestorage.CreateBucketOpts{Name: "b"})
	var slow, n, busy atomic.Int64
	h := fake.HTTPHandler()
	srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rw := &rec{ResponseWriter: w, code: 200}
		h.ServeHTTP(rw, r)
		n.Add(1)
		d := time.Since(start)
		busy.Add(int64(d))
		if d > 200*time.Millisecond || rw.code >= 300 {
			slow.Add(1)
			if slow.Load() < 20 {
				t.Logf("%s %s %d %v", r.Method, r.URL.Path, rw.code, d)
			}
		}
	})
	srv.Start()
	defer srv.Close()
	u := url.URL{Scheme: "gs", Host: "b", RawQuery: url.Values{"endpoint": {base}}.Encode()}
	s := blobstoretest.Open(t, u.String(), nil)
	start := time.Now()
	var wg sync.WaitGroup
	var worst atomic.Int64
	for w := range 4 {
		wg.Go(func() {
			for i := range 100 {
				st := time.Now()
				if err := s.Create(t.Context(), fmt.Sprintf("c/%d/%d", w, i), []byte("x")); err != nil {
					t.Error(err)
				}
				if d := int64(time.Since(st)); d > worst.Load() {
					worst.Store(d)
				}
			}
		})
	}
	wg.Wait()
	t.Logf("creates %v, requests %d, slow %d, server busy %v, worst client %v", time.Since(start), n.Load(), slow.Load(), time.Duration(busy.Load()), time.Duration(worst.Load()))
}
