package main

import (
	"os"
	"path/filepath"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

// resident returns how many pages of the file at path are in the page
// cache (mincore of a mapping, which faults nothing in).
func resident(t *testing.T, path string) int {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	m, err := unix.Mmap(int(f.Fd()), 0, int(fi.Size()), unix.PROT_READ, unix.MAP_SHARED)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Munmap(m)
	vec := make([]byte, (len(m)+os.Getpagesize()-1)/os.Getpagesize())
	if _, _, e := unix.Syscall(unix.SYS_MINCORE, uintptr(unsafe.Pointer(&m[0])), uintptr(len(m)), uintptr(unsafe.Pointer(&vec[0]))); e != 0 {
		t.Fatal(e)
	}
	n := 0
	for _, v := range vec {
		n += int(v & 1)
	}
	return n
}

// TestEvictPageCacheDropsWrittenFiles: files just written (one fsynced,
// one still dirty) are in the page cache; after evictPageCache none of
// their pages is.
func TestEvictPageCacheDropsWrittenFiles(t *testing.T) {
	// In the package directory: the temporary directory may be a tmpfs,
	// whose pages are the files themselves.
	dir, err := os.MkdirTemp(".", "evict-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	var paths []string
	for i, sync := range []bool{true, false} {
		p := filepath.Join(dir, "sub", []string{"synced", "dirty"}[i])
		if err := os.MkdirAll(filepath.Dir(p), 0o777); err != nil {
			t.Fatal(err)
		}
		f, err := os.Create(p)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.Write(make([]byte, 4<<20)); err != nil {
			t.Fatal(err)
		}
		if sync {
			if err := f.Sync(); err != nil {
				t.Fatal(err)
			}
		}
		f.Close()
		if resident(t, p) == 0 {
			t.Fatalf("%s: no page cached after writing it (a file system without a page cache?)", p)
		}
		paths = append(paths, p)
	}
	n, err := evictPageCache(dir)
	if err != nil || n != 2 {
		t.Fatalf("evictPageCache = %d, %v; want 2 files", n, err)
	}
	for _, p := range paths {
		if r := resident(t, p); r != 0 {
			t.Errorf("%s: %d pages still cached", p, r)
		}
	}
}
