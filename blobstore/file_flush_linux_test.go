package blobstore

import (
	"bytes"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

// syncCall is one sync_file_range call, with the file's size at the time.
type syncCall struct {
	off, n int64
	flags  int
	size   int64
}

// TestFlushingWriterBoundsDirtyBytes checks the writeback policy of large
// objects: each whole chunk is handed to writeback once, in order, and
// waited for when the next one is; at no time are more than two chunks
// written and not waited for, even through a write of several chunks; and
// the bytes reach the file unchanged.
func TestFlushingWriterBoundsDirtyBytes(t *testing.T) {
	// A 20 s video track file (about 7.5 MB) must be flushed on the way,
	// not only at its publishing fsync.
	if flushChunk > 2<<20 {
		t.Fatalf("flushChunk = %d: a short period's track file is never flushed early", flushChunk)
	}
	f, err := os.Create(filepath.Join(t.TempDir(), "obj"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var calls []syncCall
	orig := syncFileRange
	t.Cleanup(func() { syncFileRange = orig })
	syncFileRange = func(fd int, off, n int64, flags int) error {
		fi, err := f.Stat()
		if err != nil {
			t.Fatal(err)
		}
		calls = append(calls, syncCall{off, n, flags, fi.Size()})
		return orig(fd, off, n, flags)
	}

	rng := rand.New(rand.NewPCG(1, 2))
	want := make([]byte, 5*flushChunk+flushChunk/2)
	for i := range want {
		want[i] = byte(rng.Uint32())
	}
	w := newFlushingWriter(f)
	rest := want
	for _, size := range []int{100, 32 << 10, 3*flushChunk + 7, flushChunk - 1, 1} {
		n, err := w.Write(rest[:size])
		if n != size || err != nil {
			t.Fatalf("Write(%d) = %d, %v", size, n, err)
		}
		rest = rest[size:]
	}
	if _, err := w.Write(rest); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(f.Name())
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("file holds %d bytes, not the %d written", len(got), len(want))
	}

	const wait = unix.SYNC_FILE_RANGE_WAIT_BEFORE | unix.SYNC_FILE_RANGE_WRITE | unix.SYNC_FILE_RANGE_WAIT_AFTER
	var started, waited int64 // chunks
	for _, c := range calls {
		if c.n != flushChunk || c.off%flushChunk != 0 {
			t.Fatalf("sync_file_range(%d, %d): not one whole chunk", c.off, c.n)
		}
		switch c.flags {
		case unix.SYNC_FILE_RANGE_WRITE:
			if c.off != started*flushChunk {
				t.Fatalf("writeback of chunk at %d started out of order (want chunk %d)", c.off, started)
			}
			if c.size < c.off+flushChunk {
				t.Fatalf("writeback of chunk at %d started before it was written (file %d bytes)", c.off, c.size)
			}
			started++
		case wait:
			if c.off != waited*flushChunk || waited+2 != started {
				t.Fatalf("waited for chunk at %d after %d chunks started, %d waited", c.off, started, waited)
			}
			waited++
		default:
			t.Fatalf("sync_file_range flags %#x", c.flags)
		}
		if dirty := c.size - waited*flushChunk; dirty > 2*flushChunk {
			t.Fatalf("%d bytes written and not waited for (more than two chunks)", dirty)
		}
	}
	if whole := int64(len(want)) / flushChunk; started != whole || waited != whole-1 {
		t.Fatalf("%d chunks started and %d waited for, want %d and %d", started, waited, whole, whole-1)
	}
}
