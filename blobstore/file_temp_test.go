package blobstore_test

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/reapd/reapd/blobstore/blobstoretest"
)

// TestRemoveStaleTemp removes the temporary files a killed writer left
// behind, at any depth, once they are older than the limit, and keeps the
// objects, younger temporary files and the temporary file of a write in
// flight, which then completes.
func TestRemoveStaleTemp(t *testing.T) {
	dir := t.TempDir()
	s := blobstoretest.Open(t, "file://"+dir, nil)
	ctx := t.Context()
	for _, k := range []string{"ch1/v/live/1.cmfv", "ch1/archive.mpd"} {
		if err := s.Create(ctx, k, []byte(k)); err != nil {
			t.Fatal(err)
		}
	}
	// A write in flight: its temporary file exists while it is blocked.
	proceed, writing := make(chan struct{}), make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- s.CreateFrom(ctx, "ch1/v/live/2.cmfv", func(w io.Writer) error {
			if _, err := w.Write([]byte("first half ")); err != nil {
				return err
			}
			close(writing)
			<-proceed
			_, err := w.Write([]byte("second half"))
			return err
		})
	}()
	<-writing
	now := time.Now()
	temps := map[string]time.Duration{ // path → age
		filepath.Join(dir, `.tmp\0001`):                     time.Minute + time.Second,
		filepath.Join(dir, "ch1", "v", "live", `.tmp\0002`): time.Hour,
		filepath.Join(dir, "ch1", `.tmp\0003`):              time.Minute - 5*time.Second,
	}
	for p, age := range temps {
		if err := os.WriteFile(p, []byte("partial"), 0o666); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, now.Add(-age), now.Add(-age)); err != nil {
			t.Fatal(err)
		}
	}
	n, err := s.RemoveStaleTemp(ctx, time.Minute)
	if err != nil || n != 2 {
		t.Fatalf("RemoveStaleTemp = %d, %v; want 2, nil", n, err)
	}
	for p, age := range temps {
		_, err := os.Stat(p)
		if gone := os.IsNotExist(err); gone != (age > time.Minute) {
			t.Errorf("%s (age %v): removed %v", p, age, gone)
		}
	}
	if left := tempFiles(t, dir); len(left) != 2 { // the young one and the write in flight
		t.Errorf("temporary files left: %q, want 2", left)
	}
	close(proceed)
	if err := <-done; err != nil {
		t.Fatalf("the write in flight failed: %v", err)
	}
	if b, err := s.Get(ctx, "ch1/v/live/2.cmfv"); err != nil || string(b) != "first half second half" {
		t.Errorf("object written meanwhile: %q, %v", b, err)
	}
	objs, err := s.List(ctx, "")
	if err != nil || len(objs) != 3 {
		t.Errorf("objects after the clean-up: %v, %v; want 3", keysOf(objs), err)
	}
	// Other stores have no temporary files.
	if n, err := blobstoretest.Open(t, "mem://", nil).RemoveStaleTemp(ctx, 0); n != 0 || err != nil {
		t.Errorf("mem:// RemoveStaleTemp = %d, %v", n, err)
	}
}

// tempFiles lists the temporary files under dir.
func tempFiles(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && strings.HasPrefix(d.Name(), `.tmp\`) {
			out = append(out, p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
