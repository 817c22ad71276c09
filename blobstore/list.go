package blobstore

import (
	"context"
	"io"
	"slices"
	"strings"

	"gocloud.dev/blob"
)

// List returns every object under prefix, recursively, in key order
// (byte-wise, so "a-b" < "a/1" < "a/10" < "a/2"). Keys are relative to the
// store's root. An empty prefix lists the whole store. Attrs.ETag is empty.
func (s *Store) List(ctx context.Context, prefix string) ([]Attrs, error) {
	if err := checkPrefix(prefix); err != nil {
		return nil, &Error{Op: OpList, Key: prefix, Kind: ErrInvalidKey, Err: err}
	}
	var out []Attrs
	err := s.do(ctx, OpList, prefix, true, func(ctx context.Context) error {
		out = out[:0]
		if s.fs != nil {
			return s.fs.list(ctx, prefix, &out)
		}
		return s.each(ctx, &blob.ListOptions{Prefix: prefix}, func(o *blob.ListObject) {
			if !o.IsDir {
				out = append(out, Attrs{Key: o.Key, Size: o.Size, ModTime: o.ModTime})
			}
		})
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(a, b Attrs) int { return strings.Compare(a.Key, b.Key) })
	return out, nil
}

// ListDirs returns the "directories" directly under prefix (delimiter "/"),
// each ending in "/", in order. A directory is listed only while it holds
// an object. With prefix "ch1/" it returns e.g. ["ch1/p1/", "ch1/p2/"];
// objects directly under prefix are not returned.
func (s *Store) ListDirs(ctx context.Context, prefix string) ([]string, error) {
	if err := checkPrefix(prefix); err != nil {
		return nil, &Error{Op: OpList, Key: prefix, Kind: ErrInvalidKey, Err: err}
	}
	var out []string
	err := s.do(ctx, OpList, prefix, true, func(ctx context.Context) error {
		out = out[:0]
		if s.fs != nil {
			return s.fs.listDirs(ctx, prefix, &out)
		}
		return s.each(ctx, &blob.ListOptions{Prefix: prefix, Delimiter: "/"}, func(o *blob.ListObject) {
			if o.IsDir {
				out = append(out, o.Key)
			}
		})
	})
	if err != nil {
		return nil, err
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// each calls fn for every listed entry.
func (s *Store) each(ctx context.Context, opts *blob.ListOptions, fn func(*blob.ListObject)) error {
	it := s.b.List(opts)
	for {
		o, err := it.Next(ctx)
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		fn(o)
	}
}
