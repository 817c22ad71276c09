package blobstore

import (
	"errors"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// keyCases feed the unit test and the fuzz seeds.
var keyCases = []struct {
	key   string
	valid bool
}{
	{"a", true},
	{"a/b/c.m4s", true},
	{"ch1/video/1700000000.m4s", true},
	{".hidden/..x/x..", true},
	{"sp ace/ü/😀", true},
	{strings.Repeat("k", MaxKeyLen), true},
	{"", false},
	{"/a", false},
	{"a/", false},
	{"a//b", false},
	{".", false},
	{"..", false},
	{"a/./b", false},
	{"a/../b", false},
	{"../a", false},
	{`a\b`, false},
	{"a\x00b", false},
	{"a\x1fb", false},
	{"a\x7f", false},
	{"a\u0085", false},
	{"a\u2028", true}, // a line separator is a format, not a control, character
	{"\xff", false},
	{strings.Repeat("k", MaxKeyLen+1), false},
}

func TestCheckKey(t *testing.T) {
	for _, tc := range keyCases {
		err := CheckKey(tc.key)
		if (err == nil) != tc.valid {
			t.Errorf("CheckKey(%q) = %v, want valid %v", tc.key, err, tc.valid)
		}
		if err != nil && !errors.Is(err, ErrInvalidKey) {
			t.Errorf("CheckKey(%q) = %v, not ErrInvalidKey", tc.key, err)
		}
	}
}

func TestCheckPrefix(t *testing.T) {
	for _, tc := range []struct {
		prefix string
		valid  bool
	}{
		{"", true}, {"a", true}, {"a/", true}, {"a/b", true}, {"a/.", true}, {"a/..b", true}, {".", true},
		{"/", false}, {"/a", false}, {"a//", false}, {"./", false}, {"a/../", false}, {`a\`, false}, {"\x01", false},
	} {
		if err := checkPrefix(tc.prefix); (err == nil) != tc.valid {
			t.Errorf("checkPrefix(%q) = %v, want valid %v", tc.prefix, err, tc.valid)
		}
	}
}

func TestNormalizePrefix(t *testing.T) {
	for in, want := range map[string]string{"a": "a/", "a/": "a/", "a/b": "a/b/", "a/b/": "a/b/", "": "", "/a": "", "a//": "", "..": ""} {
		got, err := normalizePrefix(in)
		if want == "" {
			if err == nil {
				t.Errorf("normalizePrefix(%q) = %q, want an error", in, got)
			}
		} else if got != want || err != nil {
			t.Errorf("normalizePrefix(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}

func FuzzCheckKey(f *testing.F) {
	for _, tc := range keyCases {
		f.Add(tc.key)
	}
	f.Fuzz(func(t *testing.T, key string) {
		if checkKey(key) != nil {
			return
		}
		// A valid key has every documented property.
		if key == "" || len(key) > MaxKeyLen || !utf8.ValidString(key) || strings.ContainsRune(key, '\\') ||
			strings.HasPrefix(key, "/") || strings.HasSuffix(key, "/") || strings.Contains(key, "//") {
			t.Fatalf("accepted %q", key)
		}
		for _, r := range key {
			if unicode.IsControl(r) {
				t.Fatalf("accepted control character in %q", key)
			}
		}
		for _, elem := range strings.Split(key, "/") {
			if elem == "." || elem == ".." {
				t.Fatalf("accepted dot element in %q", key)
			}
		}
		if checkPrefix(key) != nil || (len(key) < MaxKeyLen && checkPrefix(key+"/") != nil) {
			t.Fatalf("valid key %q is no valid prefix", key)
		}
	})
}

func TestContentType(t *testing.T) {
	for key, want := range map[string]string{
		"ch/manifest.mpd": "application/dash+xml",
		"ch/v/1.M4S":      "video/iso.segment",
		"ch/v/init.mp4":   "video/mp4",
		"ch/index.m3u8":   "application/vnd.apple.mpegurl",
		"ch/noext":        "application/octet-stream",
		"ch/x.bin":        "application/octet-stream",
	} {
		if got := contentType(key); got != want {
			t.Errorf("contentType(%q) = %q, want %q", key, got, want)
		}
	}
}
