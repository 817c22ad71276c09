package blobstore_test

import (
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/reapd/reapd/blobstore"
	"github.com/reapd/reapd/blobstore/blobstoretest"
)

// TestAbortedStreamsLeaveNothingOnRealServers aborts many streamed creates
// after a megabyte against the real servers: none may leave an object.
// The GCS client streams while it is written and used to complete the
// upload when Close raced ahead of its cancellation (one abort in three);
// the conformance suite aborts only a few times per run.
func TestAbortedStreamsLeaveNothingOnRealServers(t *testing.T) {
	for _, start := range []func(testing.TB) *blobstoretest.Server{blobstoretest.StartGCS, blobstoretest.StartS3} {
		srv := start(t)
		t.Run(srv.String(), func(t *testing.T) {
			s := blobstoretest.Open(t, srv.URL(), nil)
			errAbort := errors.New("abort")
			for i := range 202 {
				// 64 KiB (one request on GCS), and more than a GCS chunk
				// (a resumable session).
				size := 64 << 10
				if i >= 200 {
					size = 9 << 20
				}
				data := make([]byte, size)
				key := fmt.Sprintf("abort/%d.m4s", i)
				err := s.CreateFrom(t.Context(), key, func(w io.Writer) error {
					if _, err := w.Write(data); err != nil {
						return err
					}
					return errAbort
				})
				if !errors.Is(err, errAbort) {
					t.Fatalf("%s: got %v, want the writer's error", key, err)
				}
				if _, err := s.Stat(t.Context(), key); !errors.Is(err, blobstore.ErrNotFound) {
					t.Fatalf("%s: aborted upload left an object (Stat: %v)", key, err)
				}
			}
		})
	}
}
