package blobstoretest

import (
	"errors"
	"testing"
	"time"

	"github.com/reapd/reapd/blobstore"
)

// TestServerStopStart checks the outage controls of both real servers:
// while stopped the store fails fast with ErrUnavailable; started again
// on the same port it has the same objects, and write-once still holds.
func TestServerStopStart(t *testing.T) {
	for _, start := range []func(testing.TB) *Server{StartS3, StartGCS} {
		srv := start(t)
		t.Run(srv.name, func(t *testing.T) {
			s := Open(t, srv.URL(), nil)
			ctx := t.Context()
			if err := s.Create(ctx, "k/a.m4s", []byte("a")); err != nil {
				t.Fatal(err)
			}
			srv.Stop(t)
			for _, op := range []struct {
				name string
				fn   func() error
			}{
				{"Get", func() error { _, err := s.Get(ctx, "k/a.m4s"); return err }},
				{"Create", func() error { return s.Create(ctx, "k/b.m4s", []byte("b")) }},
				{"List", func() error { _, err := s.List(ctx, "k/"); return err }},
			} {
				began := time.Now()
				err := op.fn()
				took := time.Since(began)
				if !errors.Is(err, blobstore.ErrUnavailable) {
					t.Errorf("%s while stopped: got %v, want ErrUnavailable", op.name, err)
				}
				t.Logf("%s while stopped failed in %v", op.name, took)
			}
			srv.Start(t)
			if b, err := s.Get(ctx, "k/a.m4s"); err != nil || string(b) != "a" {
				t.Fatalf("Get after restart: %q, %v", b, err)
			}
			if err := s.Create(ctx, "k/a.m4s", []byte("x")); !errors.Is(err, blobstore.ErrExists) {
				t.Fatalf("Create of an existing key after restart: %v, want ErrExists", err)
			}
			if err := s.Create(ctx, "k/b.m4s", []byte("b")); err != nil {
				t.Fatalf("Create after restart: %v", err)
			}
		})
	}
}
