package blobstoretest

import (
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/reapd/reapd/blobstore"
)

// testValidKeys round-trips keys with characters that backends escape.
func testValidKeys(t *testing.T, s *blobstore.Store, ns string) {
	ctx := t.Context()
	maxLen := blobstore.MaxKeyLen - len(s.Prefix())
	long := ns
	for len(long) < maxLen {
		long += strings.Repeat("k", min(200, maxLen-len(long)))
		if len(long) < maxLen-1 {
			long += "/"
		}
	}
	wantErr(t, s.Create(ctx, long+"k", nil), blobstore.ErrInvalidKey, blobstore.OpCreate, long+"k")
	ks := []string{long}
	for _, k := range []string{
		"sp ace", "ü/ñ", "a+b", "50%", "50%25", "q?x=1&y=2", "h#f", "a..b", ".hidden",
		"a/.b/c", "~t", "x:y", "e😀", "s;c", "q'q", "a=b", "p(1)", "[b]", "@at", "...",
	} {
		ks = append(ks, ns+k)
	}
	for i, k := range ks {
		if err := blobstore.CheckKey(s.Prefix() + k); err != nil {
			t.Errorf("CheckKey(%q): %v", k, err)
		}
		mustCreate(t, s, k, pattern(i+1, i))
		wantContent(t, s, k, pattern(i+1, i))
		if a, err := s.Stat(ctx, k); err != nil || a.Size != int64(i+1) {
			t.Errorf("Stat %q: %+v, %v", k, a, err)
		}
	}
	slices.Sort(ks)
	if got := keys(mustList(t, s, ns)); !slices.Equal(got, ks) {
		t.Errorf("List: got %q, want %q", got, ks)
	}
	for _, k := range ks {
		if err := s.Delete(ctx, k); err != nil {
			t.Errorf("Delete %q: %v", k, err)
		}
		wantAbsent(t, s, k)
	}
}

// badKeys are invalid on every store.
var badKeys = []string{
	"", "/a", "a/", "a//b", "/", ".", "..", "./a", "a/.", "a/./b", "a/../b", "../a",
	`a\b`, "a\x00b", "a\nb", "a\tb", "a\x7fb", "a\u0085b", "\xff", "a\xc3",
	strings.Repeat("k", blobstore.MaxKeyLen+1),
}

// badPrefixes are invalid listing prefixes.
var badPrefixes = []string{"/", "/a", "a//", "a//b", `a\`, "\x01", "../x", "a/../", "./", "\xff"}

func testInvalidKeys(t *testing.T, s *blobstore.Store, ns string) {
	ctx := t.Context()
	touched := false
	v := s.WithOptions(&blobstore.Options{Fault: func(op blobstore.Op, key string) error {
		touched = true
		t.Errorf("store touched: %s %q", op, key)
		return nil
	}})
	write := func(io.Writer) error {
		t.Error("CreateFrom called write for an invalid key")
		return nil
	}
	for _, k := range badKeys {
		if err := blobstore.CheckKey(k); err == nil {
			t.Errorf("CheckKey(%q): nil", k)
		}
		wantErr(t, v.Create(ctx, k, []byte("x")), blobstore.ErrInvalidKey, blobstore.OpCreate, k)
		wantErr(t, v.CreateOrMatch(ctx, k, []byte("x")), blobstore.ErrInvalidKey, blobstore.OpCreate, k)
		wantErr(t, v.CreateFrom(ctx, k, write), blobstore.ErrInvalidKey, blobstore.OpCreate, k)
		wantErr(t, v.Put(ctx, k, []byte("x")), blobstore.ErrInvalidKey, blobstore.OpPut, k)
		_, err := v.Get(ctx, k)
		wantErr(t, err, blobstore.ErrInvalidKey, blobstore.OpRead, k)
		_, err = v.NewRangeReader(ctx, k, 0, -1)
		wantErr(t, err, blobstore.ErrInvalidKey, blobstore.OpRead, k)
		_, err = v.Stat(ctx, k)
		wantErr(t, err, blobstore.ErrInvalidKey, blobstore.OpStat, k)
		wantErr(t, v.Delete(ctx, k), blobstore.ErrInvalidKey, blobstore.OpDelete, k)
	}
	for _, p := range badPrefixes {
		_, err := v.List(ctx, p)
		wantErr(t, err, blobstore.ErrInvalidKey, blobstore.OpList, p)
		_, err = v.ListDirs(ctx, p)
		wantErr(t, err, blobstore.ErrInvalidKey, blobstore.OpList, p)
	}
	if touched {
		return
	}
	// Valid prefixes, for contrast, do reach the store.
	for _, p := range []string{"", ns + "a", ns + "a/", ns + "a/.", ns + "a/..b"} {
		if _, err := s.List(ctx, p); err != nil {
			t.Errorf("List %q: %v", p, err)
		}
		if _, err := s.ListDirs(ctx, p); err != nil {
			t.Errorf("ListDirs %q: %v", p, err)
		}
	}
}
