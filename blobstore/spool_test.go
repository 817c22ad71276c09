package blobstore_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/reapd/reapd/blobstore"
)

// TestSpool: a spooled object written in parts is created whole under its
// key, once; a spool that is closed without a create leaves nothing, and
// neither does one after its create (no temporary file stays).
func TestSpool(t *testing.T) {
	dir := t.TempDir()
	st, err := blobstore.Open(t.Context(), "file://"+dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if !st.Spools() {
		t.Fatal("a file store does not spool")
	}
	ctx := t.Context()
	want := bytes.Repeat([]byte("0123456789abcdef"), 1<<16) // 1 MiB, in parts
	spool := func() *blobstore.Spool {
		p, err := st.NewSpool("ch/v/live/")
		if err != nil {
			t.Fatal(err)
		}
		for off := 0; off < len(want); off += 100_000 {
			if _, err := p.Write(want[off:min(off+100_000, len(want))]); err != nil {
				t.Fatal(err)
			}
		}
		if p.Size() != int64(len(want)) {
			t.Fatalf("Size = %d, want %d", p.Size(), len(want))
		}
		return p
	}
	p := spool()
	if err := p.Create(ctx, "ch/v/live/0-2.cmfv"); err != nil {
		t.Fatal(err)
	}
	if err := p.Create(ctx, "ch/v/live/0-2.cmfv"); !errors.Is(err, blobstore.ErrExists) {
		t.Fatalf("second create of the same key: %v, want ErrExists", err)
	}
	p.Close()
	got, err := st.Get(ctx, "ch/v/live/0-2.cmfv")
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("Get: %d bytes, %v; want the %d spooled", len(got), err, len(want))
	}
	q := spool()
	if err := q.Create(ctx, "ch/v/live/0-2.cmfv"); !errors.Is(err, blobstore.ErrExists) {
		t.Fatalf("another spool to an existing key: %v, want ErrExists", err)
	}
	if err := q.Create(ctx, "ch/a/live/0-2.cmfa"); !errors.Is(err, blobstore.ErrInvalidKey) {
		t.Fatalf("create outside the spool's directory: %v, want ErrInvalidKey", err)
	}
	q.Close()
	spool().Close()
	names, _ := filepath.Glob(filepath.Join(dir, "ch", "v", "live", "*"))
	if len(names) != 1 || filepath.Base(names[0]) != "0-2.cmfv" {
		t.Fatalf("files left in the directory: %v, want only the object", names)
	}
	if _, err := q.Write([]byte("x")); !errors.Is(err, os.ErrClosed) {
		t.Fatalf("write after close: %v", err)
	}
}

// TestSpoolFault: a create that fails (a store fault) can be made again,
// and a fault is what the caller sees.
func TestSpoolFault(t *testing.T) {
	fail := true
	st, err := blobstore.Open(t.Context(), "file://"+t.TempDir(), &blobstore.Options{MaxAttempts: 1,
		Fault: func(op blobstore.Op, key string) error {
			if fail && op == blobstore.OpCreate && strings.HasSuffix(key, ".cmfv") {
				return blobstore.ErrUnavailable
			}
			return nil
		}})
	p := newSpool(t, st, err)
	p.Write([]byte("segment"))
	if err := p.Create(t.Context(), "ch/v/live/0-2.cmfv"); !errors.Is(err, blobstore.ErrUnavailable) {
		t.Fatalf("create under a fault: %v, want ErrUnavailable", err)
	}
	fail = false
	if err := p.Create(t.Context(), "ch/v/live/0-2.cmfv"); err != nil {
		t.Fatal(err)
	}
	if got, err := st.Get(t.Context(), "ch/v/live/0-2.cmfv"); err != nil || string(got) != "segment" {
		t.Fatalf("Get = %q, %v", got, err)
	}
}

// TestSpoolAppendHangs: an Append that does not return (a disk that hangs)
// fails with ErrUnavailable within its attempt deadline; the spool is then
// of no use (later appends and the create fail too), and an Append that
// returns adds its bytes.
func TestSpoolAppendHangs(t *testing.T) {
	var hang atomic.Bool
	release := make(chan struct{})
	defer close(release)
	st, err := blobstore.Open(t.Context(), "file://"+t.TempDir(), &blobstore.Options{
		AttemptTimeout: 200 * time.Millisecond,
		Fault: func(op blobstore.Op, key string) error {
			if op == blobstore.OpCreate && key == "ch/v/live/" && hang.Load() {
				<-release
			}
			return nil
		}})
	p := newSpool(t, st, err)
	ctx := t.Context()
	if err := p.Append(ctx, []byte("first")); err != nil || p.Size() != 5 {
		t.Fatalf("Append: %v, size %d", err, p.Size())
	}
	hang.Store(true)
	start := time.Now()
	if err := p.Append(ctx, []byte("second")); !errors.Is(err, blobstore.ErrUnavailable) {
		t.Fatalf("Append on a hanging disk: %v, want ErrUnavailable", err)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Fatalf("Append on a hanging disk returned after %v, want about its 200 ms deadline", took)
	}
	hang.Store(false)
	if err := p.Append(ctx, []byte("third")); !errors.Is(err, blobstore.ErrUnavailable) {
		t.Errorf("Append after a hang: %v, want the spool failed", err)
	}
	if err := p.Create(ctx, "ch/v/live/0-2.cmfv"); !errors.Is(err, blobstore.ErrUnavailable) {
		t.Errorf("Create after a hang: %v, want the spool failed", err)
	}
	if _, err := st.Stat(ctx, "ch/v/live/0-2.cmfv"); !errors.Is(err, blobstore.ErrNotFound) {
		t.Errorf("a failed spool was created: %v", err)
	}
}

// newSpool returns a spool in ch/v/live/ of st, the store that open
// returned with err; both are closed at the end of the test.
func newSpool(t *testing.T, st *blobstore.Store, err error) *blobstore.Spool {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	p, err := st.NewSpool("ch/v/live/")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}
