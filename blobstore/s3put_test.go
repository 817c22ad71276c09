package blobstore_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"runtime"
	"testing"

	"github.com/reapd/reapd/blobstore"
	"github.com/reapd/reapd/blobstore/blobstoretest"
)

// TestS3CreateDoesNotCopyTheObject: creating an object held in memory on
// a real S3 server allocates less than the object (gocloud's writer
// allocated about twelve times its size, in a copy the ingest budget does
// not count), and lands under the store's prefix.
func TestS3CreateDoesNotCopyTheObject(t *testing.T) {
	srv := blobstoretest.StartS3(t)
	st := blobstoretest.Open(t, srv.URL()+"&prefix=root/sub", nil)
	ctx := context.Background()
	data := bytes.Repeat([]byte("segment "), 1<<17) // 1 MiB
	if err := st.Create(ctx, "warm/up", data); err != nil {
		t.Fatal(err)
	}
	const n = 10
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for i := range n {
		if err := st.Create(ctx, fmt.Sprintf("ch/a/%d", i), data); err != nil {
			t.Fatal(err)
		}
	}
	runtime.ReadMemStats(&after)
	if per := (after.TotalAlloc - before.TotalAlloc) / n; per >= uint64(len(data)) {
		t.Errorf("a %d-byte Create allocated %d bytes: the object was copied", len(data), per)
	}
	root := blobstoretest.Open(t, srv.URL(), nil)
	if got, err := root.Get(ctx, "root/sub/ch/a/3"); err != nil || !bytes.Equal(got, data) {
		t.Errorf("object not under the store's prefix: %v", err)
	}
	if err := st.Put(ctx, "ch/a/3", []byte("replaced")); err != nil {
		t.Fatal(err)
	}
	if got, err := root.Get(ctx, "root/sub/ch/a/3"); err != nil || string(got) != "replaced" {
		t.Errorf("Put under the prefix: %q %v", got, err)
	}
	if err := st.Create(ctx, "ch/a/3", data); !errors.Is(err, blobstore.ErrExists) {
		t.Errorf("Create of an existing object: %v, want ErrExists", err)
	}
}
