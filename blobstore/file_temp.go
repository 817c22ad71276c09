package blobstore

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// tempPrefix starts the name of every temporary file of a file:// store.
const tempPrefix = `.tmp\`

// RemoveStaleTemp removes the temporary files that writes to a file://
// store left behind when the process died mid-write (SIGKILL, power loss),
// if they were last modified more than olderThan ago, and returns how many
// it removed. A temporary file that is still being written is modified at
// every write, so olderThan (a minute is plenty) keeps the writes in flight
// of this or another process on the same directory safe. Other stores have
// no temporary objects: RemoveStaleTemp returns 0, nil.
//
// It walks the whole directory tree; run it in the background at start-up.
// Files it cannot remove are skipped; the first such error is returned with
// the count.
func (s *Store) RemoveStaleTemp(ctx context.Context, olderThan time.Duration) (int, error) {
	if s.fs == nil {
		return 0, nil
	}
	cutoff := time.Now().Add(-olderThan)
	removed := 0
	var first error
	note := func(err error) {
		if first == nil && !errors.Is(err, fs.ErrNotExist) {
			first = err
		}
	}
	err := filepath.WalkDir(s.fs.dir, func(path string, d fs.DirEntry, err error) error {
		if cerr := ctx.Err(); cerr != nil {
			return cerr
		}
		if err != nil {
			note(err)
			if d != nil && d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if d.IsDir() || !strings.HasPrefix(d.Name(), tempPrefix) || !d.Type().IsRegular() {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			note(err)
			return nil
		}
		if !info.ModTime().Before(cutoff) {
			return nil
		}
		if err := os.Remove(path); err != nil {
			note(err)
			return nil
		}
		removed++
		return nil
	})
	if err != nil {
		return removed, &Error{Op: OpDelete, Key: tempPrefix + "*", Err: err}
	}
	if first != nil {
		return removed, classify(ctx, OpDelete, tempPrefix+"*", first)
	}
	return removed, nil
}
