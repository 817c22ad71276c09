package blobstore

import (
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// flushChunk is how much of a large object a file store writes before it
// starts writing it back to the disk.
const flushChunk = 8 << 20

// flushingWriter writes to a temporary file and, every flushChunk bytes,
// starts the writeback of that chunk and waits for the one before it
// (sync_file_range). A large object (a storage track file of an hour)
// then never has more than two chunks dirty, so the fsync that publishes
// it is short, and the small fsyncs of ingest that queue behind it on the
// same disk wait for megabytes, not for the whole file.
type flushingWriter struct {
	f        *os.File
	off      int64 // bytes written
	lastSync int64 // start of the chunk not yet handed to writeback
}

func newFlushingWriter(f *os.File) io.Writer { return &flushingWriter{f: f} }

func (w *flushingWriter) Write(p []byte) (int, error) {
	n, err := w.f.Write(p)
	w.off += int64(n)
	for err == nil && w.off-w.lastSync >= flushChunk {
		fd := int(w.f.Fd())
		// Start writing this chunk back; wait for the previous one.
		_ = unix.SyncFileRange(fd, w.lastSync, flushChunk, unix.SYNC_FILE_RANGE_WRITE)
		if w.lastSync >= flushChunk {
			_ = unix.SyncFileRange(fd, w.lastSync-flushChunk, flushChunk,
				unix.SYNC_FILE_RANGE_WAIT_BEFORE|unix.SYNC_FILE_RANGE_WRITE|unix.SYNC_FILE_RANGE_WAIT_AFTER)
		}
		w.lastSync += flushChunk
	}
	return n, err
}
