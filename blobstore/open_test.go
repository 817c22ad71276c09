package blobstore_test

import (
	"context"
	"errors"
	"net"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/reapd/reapd/blobstore"
	"github.com/reapd/reapd/blobstore/blobstoretest"
)

func TestOpenBadURL(t *testing.T) {
	dir := t.TempDir()
	for _, u := range []string{
		"", "nope://x", "/abs/path", "mem://?x=1", "mem://?prefix=/a", "mem://?prefix=a//b", "mem://?prefix=..",
		"file://host/x", "file://" + dir + "?no_tmp_dir=1", "file:relative", "s3://", "gs://",
		"gs://b?bogus=1", "gs://b?endpoint=127.0.0.1:1", "s3://b?use_path_style=maybe", "s3://b?bogus=1",
		"s3://key:very-secret@b?bogus=1", "s3://key:very-secret@b\x7f",
	} {
		s, err := blobstore.Open(t.Context(), u, nil)
		if err == nil {
			_ = s.Close()
			t.Errorf("Open(%q): no error", u)
			continue
		}
		if strings.Contains(err.Error(), "very-secret") {
			t.Errorf("Open(%q): error shows the secret: %v", u, err)
		}
	}
}

func TestURLHidesCredentials(t *testing.T) {
	raw := blobstoretest.NewS3(t)
	s := blobstoretest.Open(t, raw+"&prefix=a/b", nil)
	got := s.URL()
	if strings.Contains(got, "reapd-secret") || strings.Contains(got, "@") {
		t.Errorf("URL() = %q shows credentials", got)
	}
	u, err := url.Parse(got)
	if err != nil || u.Scheme != "s3" || u.Host != blobstoretest.Bucket || u.Query().Get("prefix") != "a/b" || u.Query().Get("endpoint") == "" {
		t.Errorf("URL() = %q: want the URL minus credentials", got)
	}
	if s.Prefix() != "a/b/" {
		t.Errorf("Prefix() = %q", s.Prefix())
	}
}

// TestPrefix checks that prefix= roots a store below a prefix of the
// bucket: keys and listings are relative to it.
func TestPrefix(t *testing.T) {
	for name, raw := range map[string]string{"s3": blobstoretest.NewS3(t), "gcs": blobstoretest.NewGCS(t), "file": "file://" + t.TempDir()} {
		t.Run(name, func(t *testing.T) {
			ctx := t.Context()
			sep := "?"
			if strings.Contains(raw, "?") {
				sep = "&"
			}
			whole := blobstoretest.Open(t, raw, nil)
			sub := blobstoretest.Open(t, raw+sep+"prefix=tenant/a", nil)
			if err := sub.Create(ctx, "ch1/1.m4s", []byte("x")); err != nil {
				t.Fatal(err)
			}
			if err := whole.Create(ctx, "tenant/b/other", []byte("y")); err != nil {
				t.Fatal(err)
			}
			if b, err := whole.Get(ctx, "tenant/a/ch1/1.m4s"); err != nil || string(b) != "x" {
				t.Fatalf("object below the prefix: %q, %v", b, err)
			}
			objs, err := sub.List(ctx, "")
			if got := keysOf(objs); err != nil || !slices.Equal(got, []string{"ch1/1.m4s"}) {
				t.Fatalf("List: %q, %v", got, err)
			}
			if dirs, err := sub.ListDirs(ctx, ""); err != nil || !slices.Equal(dirs, []string{"ch1/"}) {
				t.Fatalf("ListDirs: %q, %v", dirs, err)
			}
			if _, err := sub.Get(ctx, "tenant/b/other"); !errors.Is(err, blobstore.ErrNotFound) {
				t.Fatalf("reached outside the prefix: %v", err)
			}
		})
	}
}

// TestGCSEmulatorEnv opens gs://bucket with the emulator named by
// STORAGE_EMULATOR_HOST, as fake-gcs-server documents.
func TestGCSEmulatorEnv(t *testing.T) {
	u, err := url.Parse(blobstoretest.NewGCS(t))
	if err != nil {
		t.Fatal(err)
	}
	ep, err := url.Parse(u.Query().Get("endpoint"))
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("STORAGE_EMULATOR_HOST", ep.Host)
	s := blobstoretest.Open(t, "gs://"+blobstoretest.Bucket, nil)
	ctx := t.Context()
	if err := s.Create(ctx, "a/b", []byte("env")); err != nil {
		t.Fatal(err)
	}
	if err := s.Create(ctx, "a/b", []byte("env")); !errors.Is(err, blobstore.ErrExists) {
		t.Fatalf("second Create: %v", err)
	}
	r, err := s.NewRangeReader(ctx, "a/b", 1, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if b := make([]byte, 2); func() bool { n, _ := r.Read(b); return string(b[:n]) != "n" }() {
		t.Fatal("range read through the emulator")
	}
}

func TestOpenMissingBucket(t *testing.T) {
	for name, raw := range map[string]string{"s3": blobstoretest.NewS3(t), "gcs": blobstoretest.NewGCS(t)} {
		t.Run(name, func(t *testing.T) {
			u := strings.Replace(raw, blobstoretest.Bucket, "no-such-bucket", 1)
			_, err := blobstore.Open(t.Context(), u, nil)
			if !errors.Is(err, blobstore.ErrNotFound) {
				t.Fatalf("Open: %v, want ErrNotFound", err)
			}
		})
	}
}

func TestOpenUnreachable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "http://" + l.Addr().String()
	_ = l.Close()
	for name, u := range map[string]string{
		"s3":  "s3://k:s@b?region=us-east-1&use_path_style=true&endpoint=" + url.QueryEscape(dead),
		"gcs": "gs://b?endpoint=" + url.QueryEscape(dead),
	} {
		t.Run(name, func(t *testing.T) {
			start := time.Now()
			_, err := blobstore.Open(t.Context(), u, &blobstore.Options{MaxAttempts: 1})
			if !errors.Is(err, blobstore.ErrUnavailable) {
				t.Fatalf("Open: %v, want ErrUnavailable", err)
			}
			if d := time.Since(start); d > 20*time.Second {
				t.Errorf("Open took %v", d)
			}
			ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
			defer cancel()
			if _, err := blobstore.Open(ctx, u, nil); !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, blobstore.ErrUnavailable) {
				t.Fatalf("Open with a deadline: %v", err)
			}
		})
	}
}
