package blobstoretest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// Credentials of the real S3 server ([StartS3]).
const (
	S3AccessKey = "reapd"
	S3SecretKey = "reapd-secret-key"
	S3Region    = "us-east-1"
)

// StartS3 starts a real S3 server for the rest of the test: versitygw
// (built by "make test-deps" into the repository's .bin/) with its posix
// backend in a directory of the test, on a free loopback port, with
// [Bucket] created. A missing binary fails the test.
//
// versitygw is strict where it matters to reapd: it enforces If-None-Match
// on single and multipart uploads and the 5 MiB minimum part size.
func StartS3(t testing.TB) *Server {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "s3")
	if err := os.MkdirAll(filepath.Join(dir, Bucket), 0o755); err != nil {
		t.Fatalf("blobstoretest: %v", err)
	}
	addr := freeAddr(t)
	s := &Server{
		name: "versitygw",
		bin:  repoBin(t, "versitygw"),
		args: []string{"--port", addr, "--quiet", "--region", S3Region, "posix", dir},
		env:  []string{"ROOT_ACCESS_KEY=" + S3AccessKey, "ROOT_SECRET_KEY=" + S3SecretKey},
		addr: addr,
		dir:  dir,
		logs: &logBuffer{},
		// Unsigned requests get 403: the server answers.
		ready: func(addr string) bool { return answers("http://" + addr + "/") },
	}
	startServer(t, s)
	return s
}

// StartGCS starts a real GCS emulator for the rest of the test:
// fake-gcs-server (built by "make test-deps" into the repository's .bin/)
// with its filesystem backend in a directory of the test, on a free
// loopback port, with [Bucket] created. A missing binary fails the test.
func StartGCS(t testing.TB) *Server {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "gcs")
	addr := freeAddr(t)
	s := &Server{
		name: "fake-gcs-server",
		bin:  repoBin(t, "fake-gcs-server"),
		args: []string{"-scheme", "http", "-host", "127.0.0.1", "-port", portOf(addr),
			// Without the public host, XML reads (what gocloud uses) 404.
			"-public-host", addr, "-external-url", "http://" + addr,
			"-backend", "filesystem", "-filesystem-root", dir, "-log-level", "warn"},
		addr:  addr,
		dir:   dir,
		logs:  &logBuffer{},
		ready: func(addr string) bool { return answers("http://" + addr + "/storage/v1/b") },
	}
	startServer(t, s)
	return s
}

// startServer starts s and registers its stop; the bucket is created.
func startServer(t testing.TB, s *Server) {
	t.Helper()
	t.Cleanup(func() {
		s.stop()
		if t.Failed() {
			t.Logf("blobstoretest: %s", s.tail())
		}
	})
	s.Start(t)
	if s.name == "fake-gcs-server" {
		s.NewBucket(t, Bucket)
	}
}

// URL returns the store URL of [Bucket] on the server, self-contained:
// credentials (S3) and endpoint travel in the URL, nothing in the
// environment, so tests may run in parallel.
//
//	s3://reapd:reapd-secret-key@reapd-test?endpoint=http://127.0.0.1:PORT&region=us-east-1&use_path_style=true&disable_https=true
//	gs://reapd-test?endpoint=http://127.0.0.1:PORT
func (s *Server) URL() string { return s.BucketURL(Bucket) }

// BucketURL is [Server.URL] for another bucket (see [Server.NewBucket]).
func (s *Server) BucketURL(bucket string) string {
	if s.name == "versitygw" {
		u := url.URL{Scheme: "s3", User: url.UserPassword(S3AccessKey, S3SecretKey), Host: bucket,
			RawQuery: s3Params(s.Endpoint()).Encode()}
		return u.String()
	}
	u := url.URL{Scheme: "gs", Host: bucket, RawQuery: url.Values{"endpoint": {s.Endpoint()}}.Encode()}
	return u.String()
}

// EnvURL returns the store URL of [Bucket] the way an operator deploys
// reapd: credentials (and for GCS the emulator) in the environment, as the
// README documents, not in the URL.
//
//	s3://reapd-test?endpoint=…&region=us-east-1&use_path_style=true&disable_https=true
//	  with AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY
//	gs://reapd-test with STORAGE_EMULATOR_HOST=127.0.0.1:PORT
//
// Tests that use the environment must not run in parallel (t.Setenv).
func (s *Server) EnvURL() (storeURL string, env []string) {
	if s.name == "versitygw" {
		u := url.URL{Scheme: "s3", Host: Bucket, RawQuery: s3Params(s.Endpoint()).Encode()}
		return u.String(), []string{"AWS_ACCESS_KEY_ID=" + S3AccessKey, "AWS_SECRET_ACCESS_KEY=" + S3SecretKey}
	}
	return "gs://" + Bucket, []string{"STORAGE_EMULATOR_HOST=" + s.addr}
}

func s3Params(endpoint string) url.Values {
	return url.Values{"endpoint": {endpoint}, "region": {S3Region}, "use_path_style": {"true"}, "disable_https": {"true"}}
}

// NewBucket creates another bucket on the running server and returns its
// URL (as [Server.URL]).
func (s *Server) NewBucket(t testing.TB, name string) string {
	t.Helper()
	if s.name == "versitygw" {
		// The posix backend: a bucket is a directory.
		if err := os.Mkdir(filepath.Join(s.dir, name), 0o755); err != nil {
			t.Fatalf("blobstoretest: create bucket %s: %v", name, err)
		}
		return s.BucketURL(name)
	}
	body, _ := json.Marshal(map[string]string{"name": name})
	c := http.Client{Timeout: 10 * time.Second}
	resp, err := c.Post(s.Endpoint()+"/storage/v1/b", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatalf("blobstoretest: create bucket %s: %v", name, err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("blobstoretest: create bucket %s: %s", name, resp.Status)
	}
	return s.BucketURL(name)
}

// String names the server and its address, for logs.
func (s *Server) String() string { return fmt.Sprintf("%s on %s", s.name, s.addr) }
