//go:build !linux

package blobstore

import (
	"io"
	"os"
)

// newFlushingWriter is the file itself outside Linux (no sync_file_range).
func newFlushingWriter(f *os.File) io.Writer { return struct{ io.Writer }{f} }
