package blobstore_test

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/reapd/reapd/blobstore"
	"github.com/reapd/reapd/blobstore/blobstoretest"
)

// lossyS3 returns the URL of an S3 store behind a proxy that, while lose is
// set, lets a PUT through to the server but answers 501 to the client: the
// write happened, its answer was lost. (A status the AWS SDK does not retry
// by itself, so that the Store's retry is the one exercised.)
func lossyS3(t *testing.T, lose *atomic.Bool) string {
	u, err := url.Parse(blobstoretest.NewS3(t))
	if err != nil {
		t.Fatal(err)
	}
	target, err := url.Parse(u.Query().Get("endpoint"))
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(target)
	proxy.ModifyResponse = func(r *http.Response) error {
		if r.Request.Method == http.MethodPut && r.StatusCode == http.StatusOK && lose.CompareAndSwap(true, false) {
			_ = r.Body.Close()
			body := "<Error><Code>NotImplemented</Code><Message>lost</Message></Error>"
			r.StatusCode, r.Status = http.StatusNotImplemented, "501 Not Implemented"
			r.Body, r.ContentLength = io.NopCloser(strings.NewReader(body)), int64(len(body))
			r.Header.Del("Content-Length")
		}
		return nil
	}
	srv := httptest.NewServer(proxy)
	t.Cleanup(srv.Close)
	q := u.Query()
	q.Set("endpoint", srv.URL)
	u.RawQuery = q.Encode()
	return u.String()
}

// TestCreateAfterLostAnswer shows the documented behaviour of a retried
// conditional create whose first attempt succeeded: Create answers
// ErrExists, CreateOrMatch nil.
func TestCreateAfterLostAnswer(t *testing.T) {
	var lose atomic.Bool
	s := blobstoretest.Open(t, lossyS3(t, &lose), &blobstore.Options{RetryDelay: time.Millisecond})
	ctx := t.Context()
	data := []byte("segment bytes")

	lose.Store(true)
	if err := s.Create(ctx, "a.m4s", data); !errors.Is(err, blobstore.ErrExists) {
		t.Fatalf("Create after a lost answer: %v, want ErrExists", err)
	}
	if lose.Load() {
		t.Fatal("the proxy lost no answer")
	}
	if b, err := s.Get(ctx, "a.m4s"); err != nil || string(b) != string(data) {
		t.Fatalf("Get: %q, %v", b, err)
	}

	lose.Store(true)
	if err := s.CreateOrMatch(ctx, "b.m4s", data); err != nil {
		t.Fatalf("CreateOrMatch after a lost answer: %v", err)
	}
	if err := s.CreateOrMatch(ctx, "b.m4s", []byte("other bytes")); !errors.Is(err, blobstore.ErrExists) {
		t.Fatalf("CreateOrMatch with other bytes: %v, want ErrExists", err)
	}
}
