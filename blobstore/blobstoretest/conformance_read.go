package blobstoretest

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/reapd/reapd/blobstore"
)

func testRangeRead(t *testing.T, s *blobstore.Store, ns string) {
	ctx := t.Context()
	key := ns + "r.m4s"
	data := pattern(1000, 3)
	mustCreate(t, s, key, data)
	for _, tc := range []struct {
		offset, length int64
		want           []byte
	}{
		{0, -1, data},
		{0, 10, data[:10]},
		{10, 5, data[10:15]},
		{990, -1, data[990:]},
		{995, 100, data[995:]},     // runs past the end: cut short
		{0, 5000, data},            // longer than the object
		{999, 1, data[999:]},       // last byte
		{0, 0, nil},                // empty range
		{1000, -1, nil},            // at the end
		{1000, 10, nil},            // at the end
		{2000, -1, nil},            // beyond the end
		{2000, 10, nil},            // beyond the end
		{500, -7, data[500:]},      // any negative length: to the end
		{100, 900, data[100:1000]}, // exactly to the end
	} {
		r, err := s.NewRangeReader(ctx, key, tc.offset, tc.length)
		if err != nil {
			t.Errorf("NewRangeReader(%d, %d): %v", tc.offset, tc.length, err)
			continue
		}
		got, err := io.ReadAll(r)
		if cerr := r.Close(); err == nil {
			err = cerr
		}
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("NewRangeReader(%d, %d): got %d bytes (%v), want %d bytes", tc.offset, tc.length, len(got), err, len(tc.want))
		}
	}
	_, err := s.NewRangeReader(ctx, key, -1, 10)
	wantErr(t, err, blobstore.ErrInvalidKey, blobstore.OpRead, key)
	_, err = s.NewRangeReader(ctx, ns+"missing", 0, -1)
	wantErr(t, err, blobstore.ErrNotFound, blobstore.OpRead, ns+"missing")
	_, err = s.NewRangeReader(ctx, ns+"missing", 10, -1)
	wantErr(t, err, blobstore.ErrNotFound, blobstore.OpRead, ns+"missing")
	_, err = s.Get(ctx, ns+"missing")
	wantErr(t, err, blobstore.ErrNotFound, blobstore.OpRead, ns+"missing")
}

func testStat(t *testing.T, s *blobstore.Store, ns string) {
	ctx := t.Context()
	start := time.Now()
	key := ns + "dir/s.m4s"
	mustCreate(t, s, key, pattern(4321, 4))
	a, err := s.Stat(ctx, key)
	if err != nil {
		t.Fatalf("Stat: %v", err)
	}
	if a.Key != key || a.Size != 4321 || a.ETag == "" {
		t.Errorf("Stat: got %+v, want key %q, size 4321, an ETag", a, key)
	}
	// Generous: a real server's clock may be off a little.
	if a.ModTime.Before(start.Add(-time.Hour)) || a.ModTime.After(time.Now().Add(time.Hour)) {
		t.Errorf("Stat: ModTime %v, test started %v", a.ModTime, start)
	}
	_, err = s.Stat(ctx, ns+"missing")
	wantErr(t, err, blobstore.ErrNotFound, blobstore.OpStat, ns+"missing")
	_, err = s.Stat(ctx, ns+"dir") // a "directory" is no object
	wantErr(t, err, blobstore.ErrNotFound, blobstore.OpStat, ns+"dir")
	_, err = s.Stat(ctx, key+"/below") // below an object
	wantErr(t, err, blobstore.ErrNotFound, blobstore.OpStat, key+"/below")
	_, err = s.Get(ctx, key+"/below")
	wantErr(t, err, blobstore.ErrNotFound, blobstore.OpRead, key+"/below")
}

func testList(t *testing.T, s *blobstore.Store, ns string) {
	// Byte-wise order: '-' (0x2d) < '.' (0x2e) < '/' (0x2f) < '0'.
	want := []string{"a-b", "a.c", "a/1", "a/10", "a/2", "a/b/c", "a0", "b"}
	for i, k := range slices.Backward(want) {
		mustCreate(t, s, ns+k, pattern(i+1, i))
	}
	all := mustList(t, s, ns)
	if got := keys(all); !slices.Equal(got, prefixed(ns, want)) {
		t.Fatalf("List: got %q, want %q", got, prefixed(ns, want))
	}
	for i, o := range all {
		if o.Size != int64(i+1) || o.ModTime.IsZero() {
			t.Errorf("List: %+v: want size %d and a ModTime", o, i+1)
		}
	}
	for _, tc := range []struct {
		prefix string
		want   []string
	}{
		{"a/", []string{"a/1", "a/10", "a/2", "a/b/c"}},
		{"a", []string{"a-b", "a.c", "a/1", "a/10", "a/2", "a/b/c", "a0"}},
		{"a/1", []string{"a/1", "a/10"}},
		{"a/b/", []string{"a/b/c"}},
		{"a/b/c", []string{"a/b/c"}},
		{"a/b/c/", nil},
		{"c", nil},
		{"zzz/", nil},
	} {
		if got := keys(mustList(t, s, ns+tc.prefix)); !slices.Equal(got, prefixed(ns, tc.want)) {
			t.Errorf("List %q: got %q, want %q", tc.prefix, got, prefixed(ns, tc.want))
		}
	}
}

// testListLarge lists n objects (by default more than one 1000-key page)
// with keys whose directory-walk order differs from key order.
func testListLarge(t *testing.T, s *blobstore.Store, ns string, n int) {
	want := []string{ns + "p-1.mpd", ns + "p.mpd"}
	for i := range n {
		want = append(want, fmt.Sprintf("%sp/%04d.m4s", ns, i))
	}
	want = append(want, ns+"p0", ns+"q/x")
	slices.Sort(want)
	work := make(chan string)
	var wg sync.WaitGroup
	for range 4 { // more only adds contention (fake-gcs-server slows down badly)
		wg.Go(func() {
			for k := range work {
				if err := s.Create(t.Context(), k, []byte(k)); err != nil {
					t.Errorf("Create: %v", err)
				}
			}
		})
	}
	for _, k := range want {
		work <- k
	}
	close(work)
	wg.Wait()
	if got := keys(mustList(t, s, ns)); !slices.Equal(got, want) {
		t.Fatalf("List of %d objects: got %d keys, want %d; missing %q", len(want), len(got), len(want), missing(want, got))
	}
	if got := keys(mustList(t, s, ns+"p/")); len(got) != n {
		t.Fatalf("List p/: got %d keys, want %d", len(got), n)
	}
	dirs, err := s.ListDirs(t.Context(), ns)
	if err != nil || !slices.Equal(dirs, []string{ns + "p/", ns + "q/"}) {
		t.Fatalf("ListDirs: got %q, %v", dirs, err)
	}
}

func testListDirs(t *testing.T, s *blobstore.Store, ns string) {
	ctx := t.Context()
	for _, k := range []string{"ch/a/1", "ch/a/2", "ch/a-b/1", "ch/a.mpd", "ch/b/x/y", "ch/c", "ch/d/e/f/g"} {
		mustCreate(t, s, ns+k, []byte(k))
	}
	for _, tc := range []struct {
		prefix string
		want   []string
	}{
		{"", []string{"ch/"}},
		{"ch/", []string{"ch/a-b/", "ch/a/", "ch/b/", "ch/d/"}},
		{"ch/a", []string{"ch/a-b/", "ch/a/"}},
		{"ch/b/", []string{"ch/b/x/"}},
		{"ch/a/", nil},
		{"ch/c/", nil},
		{"ch/z", nil},
	} {
		got, err := s.ListDirs(ctx, ns+tc.prefix)
		if err != nil || !slices.Equal(got, prefixed(ns, tc.want)) {
			t.Errorf("ListDirs %q: got %q, %v; want %q", tc.prefix, got, err, prefixed(ns, tc.want))
		}
	}
	// A directory whose last object is gone is gone.
	if err := s.Delete(ctx, ns+"ch/b/x/y"); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(ctx, ns+"ch/d/e/f/g"); err != nil {
		t.Fatal(err)
	}
	got, err := s.ListDirs(ctx, ns+"ch/")
	if want := prefixed(ns, []string{"ch/a-b/", "ch/a/"}); err != nil || !slices.Equal(got, want) {
		t.Errorf("ListDirs after delete: got %q, %v; want %q", got, err, want)
	}
}

func prefixed(ns string, ks []string) []string {
	if ks == nil {
		return []string{}
	}
	out := make([]string, len(ks))
	for i, k := range ks {
		out[i] = ns + k
	}
	return out
}

// missing returns the first few of want not in got.
func missing(want, got []string) []string {
	var out []string
	for _, w := range want {
		if !slices.Contains(got, w) && len(out) < 5 {
			out = append(out, w)
		}
	}
	return out
}

// errorsIsAny reports whether err wraps any category.
func errorsIsAny(err error) bool {
	for _, c := range categories {
		if errors.Is(err, c) {
			return true
		}
	}
	return false
}
