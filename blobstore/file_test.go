package blobstore_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/reapd/reapd/blobstore"
	"github.com/reapd/reapd/blobstore/blobstoretest"
)

const (
	helperDirEnv = "REAPD_BLOBSTORE_HELPER_DIR"
	helperIDEnv  = "REAPD_BLOBSTORE_HELPER_ID"
	raceKeys     = 400
)

// processContent is what process id writes under key i: distinct per
// process and key; every tenth is big, the others small, so that the
// processes' commits coincide.
func processContent(id string, i int) []byte {
	n := 2
	if i%10 == 9 {
		n = 20000
	}
	return bytes.Repeat([]byte(fmt.Sprintf("%s:%d;", id, i)), n)
}

// TestFileCreateAcrossProcesses races several processes creating the same
// keys in one file:// store: every key has exactly one winner, the others
// get ErrExists, and nobody reads a partial object.
func TestFileCreateAcrossProcesses(t *testing.T) {
	dir := t.TempDir()
	const procs = 4
	cmds := make([]*exec.Cmd, procs)
	outs := make([]*bytes.Buffer, procs)
	for p := range procs {
		cmd := exec.Command(os.Args[0], "-test.run=^TestFileHelperProcess$", "-test.count=1")
		cmd.Env = append(os.Environ(), helperDirEnv+"="+dir, fmt.Sprintf("%s=p%d", helperIDEnv, p))
		outs[p] = new(bytes.Buffer)
		cmd.Stdout, cmd.Stderr = outs[p], outs[p]
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds[p] = cmd
	}
	// Start them together: each waits for this file.
	if err := os.WriteFile(filepath.Join(dir, "go"), nil, 0o666); err != nil {
		t.Fatal(err)
	}
	wins := make(map[int][]string)
	for p, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			t.Fatalf("process %d: %v\n%s", p, err, outs[p])
		}
		for line := range strings.Lines(outs[p].String()) {
			var i int
			if _, err := fmt.Sscanf(line, "won %d", &i); err == nil {
				wins[i] = append(wins[i], fmt.Sprintf("p%d", p))
			}
		}
	}
	s := blobstoretest.Open(t, "file://"+dir, nil)
	for i := range raceKeys {
		if len(wins[i]) != 1 {
			t.Fatalf("key %d: winners %v, want exactly one", i, wins[i])
		}
		got, err := s.Get(t.Context(), fmt.Sprintf("race/%d.m4s", i))
		if err != nil || !bytes.Equal(got, processContent(wins[i][0], i)) {
			t.Fatalf("key %d: content is not the winner's (%v)", i, err)
		}
	}
	if err := os.Remove(filepath.Join(dir, "go")); err != nil {
		t.Fatal(err)
	}
	wantOnlyObjects(t, dir)
}

// TestFileHelperProcess is one of TestFileCreateAcrossProcesses's racers.
func TestFileHelperProcess(t *testing.T) {
	dir := os.Getenv(helperDirEnv)
	if dir == "" {
		t.Skip("helper process for TestFileCreateAcrossProcesses")
	}
	id := os.Getenv(helperIDEnv)
	s := blobstoretest.Open(t, "file://"+dir, nil)
	ctx := context.Background()
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(100 * time.Microsecond) {
		if _, err := os.Stat(filepath.Join(dir, "go")); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no start signal")
		}
	}
	for i := range raceKeys {
		key := fmt.Sprintf("race/%d.m4s", i)
		err := s.Create(ctx, key, processContent(id, i))
		switch {
		case err == nil:
			fmt.Printf("won %d\n", i)
		case !errors.Is(err, blobstore.ErrExists):
			t.Fatalf("Create %s: %v", key, err)
		}
		got, err := s.Get(ctx, key)
		if err != nil {
			t.Fatalf("Get %s: %v", key, err)
		}
		if !bytes.HasSuffix(got, []byte(fmt.Sprintf(":%d;", i))) || len(got) != len(processContent(id, i)) {
			t.Fatalf("Get %s: %d bytes, not a complete object", key, len(got))
		}
	}
}

// wantOnlyObjects checks that dir holds nothing but object files: no
// fileblob sidecars, no temporary files.
func wantOnlyObjects(t *testing.T, dir string) {
	t.Helper()
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if name := d.Name(); strings.HasSuffix(name, ".attrs") || strings.Contains(name, `\`) || strings.HasSuffix(name, ".tmp") {
			t.Errorf("stray file %s", path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestFileLayout checks that objects are plain files at their key's path,
// that files put there by others are objects, and that temporary files
// left by a crash are not.
func TestFileLayout(t *testing.T) {
	dir := t.TempDir()
	s := blobstoretest.Open(t, "file://"+dir+"?prefix=archive", nil)
	ctx := t.Context()
	if err := s.Create(ctx, "ch1/v/1.m4s", []byte("segment")); err != nil {
		t.Fatal(err)
	}
	if err := s.Put(ctx, "ch1/live.mpd", []byte("<MPD/>")); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "archive", "ch1", "v", "1.m4s")); err != nil || string(b) != "segment" {
		t.Fatalf("object file: %q, %v", b, err)
	}
	wantOnlyObjects(t, dir)

	// Placed by hand (or by fileblob): an object.
	if err := os.WriteFile(filepath.Join(dir, "archive", "ch1", "v", "0.m4s"), []byte("older"), 0o666); err != nil {
		t.Fatal(err)
	}
	// Left by a crashed writer: no object, not even a directory.
	if err := os.MkdirAll(filepath.Join(dir, "archive", "ch2"), 0o777); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{`archive/ch1/v/.tmp\0123456789abcdef`, `archive/ch2/.tmp\fedcba9876543210`, "archive/ch1/v/2.m4s.attrs"} {
		if err := os.WriteFile(filepath.Join(dir, filepath.FromSlash(p)), []byte("partial"), 0o666); err != nil {
			t.Fatal(err)
		}
	}
	objs, err := s.List(ctx, "")
	if got, want := keysOf(objs), []string{"ch1/live.mpd", "ch1/v/0.m4s", "ch1/v/1.m4s"}; err != nil || !slices.Equal(got, want) {
		t.Fatalf("List: %q, %v; want %q", got, err, want)
	}
	if dirs, err := s.ListDirs(ctx, ""); err != nil || !slices.Equal(dirs, []string{"ch1/"}) {
		t.Fatalf("ListDirs: %q, %v; want [ch1/]", dirs, err)
	}
	if b, err := s.Get(ctx, "ch1/v/0.m4s"); err != nil || string(b) != "older" {
		t.Fatalf("Get of a file placed by hand: %q, %v", b, err)
	}
}

// TestFileKeyConflicts covers what a file system cannot store: an object
// and a "directory" of the same name, names fileblob reserves, overlong
// names.
func TestFileKeyConflicts(t *testing.T) {
	s := blobstoretest.Open(t, "file://"+t.TempDir(), nil)
	ctx := t.Context()
	for _, k := range []string{"a", "x/y"} {
		if err := s.Create(ctx, k, []byte(k)); err != nil {
			t.Fatal(err)
		}
	}
	// Fault counts the attempts: a layout conflict is not retried.
	attempts := 0
	s = s.WithOptions(&blobstore.Options{Fault: func(blobstore.Op, string) error { attempts++; return nil }})
	for _, tc := range []struct {
		key  string
		call func(string) error
		want error
	}{
		// What is stored is in the way: a store fault (503 upstream), not
		// a bad key.
		{"a/b", func(k string) error { return s.Create(ctx, k, nil) }, blobstore.ErrUnavailable},
		{"a/b/c", func(k string) error { return s.Put(ctx, k, nil) }, blobstore.ErrUnavailable},
		{"x", func(k string) error { return s.Create(ctx, k, nil) }, blobstore.ErrUnavailable},
		{"x", func(k string) error { return s.Put(ctx, k, nil) }, blobstore.ErrUnavailable},
		{"seg.attrs", func(k string) error { return s.Create(ctx, k, nil) }, blobstore.ErrInvalidKey},
		{"a__0x41__", func(k string) error { return s.Create(ctx, k, nil) }, blobstore.ErrInvalidKey},
		{"n/" + strings.Repeat("n", 300), func(k string) error { return s.Create(ctx, k, nil) }, blobstore.ErrInvalidKey},
		{"n/" + strings.Repeat("n", 300), func(k string) error { _, err := s.Get(ctx, k); return err }, blobstore.ErrInvalidKey},
	} {
		attempts = 0
		if err := tc.call(tc.key); !errors.Is(err, tc.want) {
			t.Errorf("%.20q: got %v, want %v", tc.key, err, tc.want)
		}
		if attempts > 1 {
			t.Errorf("%.20q: %d attempts, want no retry", tc.key, attempts)
		}
	}
	if _, err := s.Get(ctx, "a/b"); !errors.Is(err, blobstore.ErrNotFound) {
		t.Errorf("Get below an object: %v, want ErrNotFound", err)
	}
	if _, err := s.Stat(ctx, "x"); !errors.Is(err, blobstore.ErrNotFound) {
		t.Errorf("Stat of a directory: %v, want ErrNotFound", err)
	}
	if err := s.Delete(ctx, "x"); err != nil {
		t.Errorf("Delete of a directory: %v", err)
	}
	if b, err := s.Get(ctx, "x/y"); err != nil || string(b) != "x/y" {
		t.Errorf("x/y after Delete x: %q, %v", b, err)
	}
	// The same keys are fine where no file system is involved.
	m := blobstoretest.Open(t, "mem://", nil)
	for _, k := range []string{"a", "a/b", "seg.attrs", "a__0x41__"} {
		if err := m.Create(ctx, k, nil); err != nil {
			t.Errorf("mem:// Create %q: %v", k, err)
		}
	}
}

// TestFileRelativeURL opens file://./rel/dir relative to the working
// directory.
func TestFileRelativeURL(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	s := blobstoretest.Open(t, "file://./rel/store", nil)
	if err := s.Create(t.Context(), "k", []byte("v")); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "rel", "store", "k")); err != nil || string(b) != "v" {
		t.Fatalf("object file: %q, %v", b, err)
	}
	if s.URL() != "file://./rel/store" {
		t.Errorf("URL() = %q", s.URL())
	}
}

func keysOf(objs []blobstore.Attrs) []string {
	out := make([]string, len(objs))
	for i, o := range objs {
		out[i] = o.Key
	}
	return out
}
