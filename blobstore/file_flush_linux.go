package blobstore

import (
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// flushChunk is how much of a large object a file store writes before it
// starts writing it back to the disk. It is small next to a storage track
// file (a 20 s video track file is about 7.5 MB, an hour's 1.35 GB): at
// 8 MiB, the track files of short periods were never flushed early, and
// the whole file was dirty when its publishing fsync came.
const flushChunk = 1 << 20

// syncFileRange is sync_file_range(2); a variable for the tests.
var syncFileRange = unix.SyncFileRange

// flushingWriter writes to a temporary file and, at every flushChunk
// boundary, starts the writeback of the chunk just written and waits for
// the one before it (sync_file_range). A large object (a storage track
// file) then never has more than two chunks unwritten, so the fsync that
// publishes it is short, and the small fsyncs of ingest that share the
// journal commit with it on the same disk wait for a chunk or two, not
// for the whole file. A write that crosses a boundary is cut there.
type flushingWriter struct {
	f        *os.File
	off      int64 // bytes written
	lastSync int64 // start of the chunk not yet handed to writeback
}

func newFlushingWriter(f *os.File) io.Writer { return &flushingWriter{f: f} }

func (w *flushingWriter) Write(p []byte) (int, error) {
	written := 0
	for len(p) > 0 {
		part := p[:min(int64(len(p)), w.lastSync+flushChunk-w.off)]
		n, err := w.f.Write(part)
		w.off += int64(n)
		written += n
		if err != nil {
			return written, err
		}
		p = p[n:]
		if w.off == w.lastSync+flushChunk {
			w.flush()
		}
	}
	return written, nil
}

// flush hands the chunk just completed to writeback and waits for the one
// before it. Errors are left to the fsync that publishes the file.
func (w *flushingWriter) flush() {
	fd := int(w.f.Fd())
	_ = syncFileRange(fd, w.lastSync, flushChunk, unix.SYNC_FILE_RANGE_WRITE)
	if w.lastSync >= flushChunk {
		_ = syncFileRange(fd, w.lastSync-flushChunk, flushChunk,
			unix.SYNC_FILE_RANGE_WAIT_BEFORE|unix.SYNC_FILE_RANGE_WRITE|unix.SYNC_FILE_RANGE_WAIT_AFTER)
	}
	w.lastSync += flushChunk
}
