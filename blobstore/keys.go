package blobstore

import (
	"errors"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxKeyLen is the longest key, in bytes, that a [Store] accepts (the S3 and
// GCS limit).
const MaxKeyLen = 1024

// CheckKey reports whether key is a valid object key, with an error wrapping
// [ErrInvalidKey] if not. A valid key is 1 to [MaxKeyLen] bytes of UTF-8
// made of "/"-separated elements, none of them empty (so no leading,
// trailing or double "/"), "." or "..", and contains no backslash and no
// control character. Every Store method checks its key this way before
// touching the store; handlers may call CheckKey to validate names first.
//
// A file:// store also refuses keys it cannot map to a file faithfully: an
// element longer than the file system allows, or a key ending in ".attrs" or
// containing "__0x" (both reserved by gocloud's fileblob). A write that the
// file system cannot hold because of what is stored already — a key that
// is a "directory" of other objects ("a" next to "a/b"), or one below a
// file ("a/b" next to "a") — fails with ErrUnavailable: the store is in the
// way, not the key.
func CheckKey(key string) error {
	if err := checkKey(key); err != nil {
		return &Error{Op: "check", Key: key, Kind: ErrInvalidKey, Err: err}
	}
	return nil
}

// checkKey returns the reason key is invalid, or nil.
func checkKey(key string) error {
	if key == "" {
		return errors.New("empty key")
	}
	if err := checkChars(key); err != nil {
		return err
	}
	for elem := range strings.SplitSeq(key, "/") {
		switch elem {
		case "":
			return errors.New("empty path element (leading, trailing or double slash)")
		case ".", "..":
			return errors.New(`"." or ".." path element`)
		}
	}
	return nil
}

// checkPrefix validates a listing prefix: like a key, except that it may be
// empty and its last element may be empty (a trailing "/") or partial.
func checkPrefix(prefix string) error {
	if prefix == "" {
		return nil
	}
	if err := checkChars(prefix); err != nil {
		return err
	}
	if i := strings.LastIndexByte(prefix, '/'); i >= 0 {
		return checkKey(prefix[:i])
	}
	return nil
}

// checkChars checks length, encoding and forbidden characters.
func checkChars(s string) error {
	if len(s) > MaxKeyLen {
		return errors.New("longer than 1024 bytes")
	}
	if !utf8.ValidString(s) {
		return errors.New("not valid UTF-8")
	}
	for _, r := range s {
		switch {
		case r == '\\':
			return errors.New("contains a backslash")
		case unicode.IsControl(r):
			return errors.New("contains a control character")
		}
	}
	return nil
}

// normalizePrefix validates a store root prefix (the prefix= URL
// parameter) and returns it ending in "/".
func normalizePrefix(prefix string) (string, error) {
	p := strings.TrimSuffix(prefix, "/")
	if err := checkKey(p); err != nil {
		return "", err
	}
	return p + "/", nil
}
