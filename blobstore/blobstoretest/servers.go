package blobstoretest

import (
	"context"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/fsouza/fake-gcs-server/fakestorage"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/reapd/reapd/blobstore"
)

// Bucket is the bucket NewS3 and NewGCS create.
const Bucket = "reapd-test"

// NewS3 starts an in-process S3 server (gofakes3, in memory) for the rest
// of the test, creates [Bucket] and returns the URL of a store on it:
//
//	s3://KEY:SECRET@reapd-test?endpoint=http://127.0.0.1:PORT&use_path_style=true&region=us-east-1&disable_https=true
//
// The credentials travel in the URL, so nothing is set in the environment
// and the caller may use t.Parallel. gofakes3 is lenient (no 5 MiB part
// minimum, no precondition on multipart uploads): fine for unit tests, not
// a substitute for a real S3 server.
func NewS3(t testing.TB) string {
	t.Helper()
	backend := s3mem.New()
	if err := backend.CreateBucket(Bucket); err != nil {
		t.Fatalf("blobstoretest: create S3 bucket: %v", err)
	}
	faker := gofakes3.New(backend, gofakes3.WithLogger(gofakes3.DiscardLog()))
	srv := httptest.NewServer(faker.Server())
	t.Cleanup(srv.Close)
	q := url.Values{
		"endpoint":       {srv.URL},
		"use_path_style": {"true"},
		"region":         {"us-east-1"},
		"disable_https":  {"true"},
	}
	u := url.URL{Scheme: "s3", User: url.UserPassword("reapd", "reapd-secret"), Host: Bucket, RawQuery: q.Encode()}
	return u.String()
}

// NewGCS starts an in-process GCS server (fake-gcs-server's fakestorage, in
// memory) for the rest of the test, creates [Bucket] and returns the URL of
// a store on it:
//
//	gs://reapd-test?endpoint=http://127.0.0.1:PORT
//
// The emulator travels in the URL (no STORAGE_EMULATOR_HOST), so the caller
// may use t.Parallel. To exercise the environment variable instead, set
// STORAGE_EMULATOR_HOST to the endpoint's host:port with t.Setenv and open
// gs://reapd-test.
func NewGCS(t testing.TB) string {
	t.Helper()
	// Listen first: the fake needs its own address to answer XML reads
	// (PublicHost) and resumable uploads (ExternalURL).
	srv := httptest.NewUnstartedServer(nil)
	base := "http://" + srv.Listener.Addr().String()
	fake, err := fakestorage.NewServerWithOptions(fakestorage.Options{
		NoListener:  true,
		Scheme:      "http",
		PublicHost:  "127.0.0.1",
		ExternalURL: base,
	})
	if err != nil {
		srv.Close()
		t.Fatalf("blobstoretest: start GCS server: %v", err)
	}
	fake.CreateBucketWithOpts(fakestorage.CreateBucketOpts{Name: Bucket})
	srv.Config.Handler = fake.HTTPHandler()
	srv.Start()
	t.Cleanup(func() {
		srv.Close()
		fake.Stop()
	})
	u := url.URL{Scheme: "gs", Host: Bucket, RawQuery: url.Values{"endpoint": {base}}.Encode()}
	return u.String()
}

// Open opens url with opts and closes the store when the test ends.
func Open(t testing.TB, url string, opts *blobstore.Options) *blobstore.Store {
	t.Helper()
	s, err := blobstore.Open(context.Background(), url, opts)
	if err != nil {
		t.Fatalf("blobstoretest: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}
