package blobstore_test

import (
	"errors"
	"testing"
	"time"

	"github.com/reapd/reapd/blobstore"
	"github.com/reapd/reapd/blobstore/blobstoretest"
)

// outageMaxFail bounds how long an operation on a stopped server may take
// to fail. The archiver answers an encoder 503 only once it did: a
// stopped S3 server used to cost 6 s per operation (the AWS SDK's retries
// and backoff inside each of the Store's attempts).
const outageMaxFail = 2500 * time.Millisecond

// TestStoppedRealServerFailsFastAndRecovers stops each real server: every
// kind of operation fails with ErrUnavailable, quickly; started again on
// the same port and data, the same Store works, with the same objects,
// and write-once still holds.
func TestStoppedRealServerFailsFastAndRecovers(t *testing.T) {
	for _, start := range []func(testing.TB) *blobstoretest.Server{blobstoretest.StartS3, blobstoretest.StartGCS} {
		srv := start(t)
		t.Run(srv.String(), func(t *testing.T) {
			s := blobstoretest.Open(t, srv.URL(), nil)
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
				{"Stat", func() error { _, err := s.Stat(ctx, "k/a.m4s"); return err }},
				{"Create", func() error { return s.Create(ctx, "k/b.m4s", []byte("b")) }},
				{"Put", func() error { return s.Put(ctx, "k/c.mpd", []byte("c")) }},
				{"List", func() error { _, err := s.List(ctx, "k/"); return err }},
				{"Delete", func() error { return s.Delete(ctx, "k/a.m4s") }},
			} {
				began := time.Now()
				err := op.fn()
				if took := time.Since(began); took > outageMaxFail {
					t.Errorf("%s on a stopped server took %v to fail, want at most %v", op.name, took, outageMaxFail)
				}
				if !errors.Is(err, blobstore.ErrUnavailable) {
					t.Errorf("%s on a stopped server: got %v, want ErrUnavailable", op.name, err)
				}
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
