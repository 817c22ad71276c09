package blobstore

import (
	"context"
	"errors"
	"io"
	"time"
)

// TODO(helper-blobstore): replace every stub in this file with the real
// implementation on gocloud.dev/blob, in files of its own, and delete this file.

// Error categories, matched with errors.Is. Every error returned by a
// Store wraps exactly one of them (or is a context error) and names the key.
var (
	ErrNotFound    = errors.New("blobstore: not found")
	ErrExists      = errors.New("blobstore: already exists")
	ErrInvalidKey  = errors.New("blobstore: invalid key")
	ErrUnavailable = errors.New("blobstore: store unavailable") // transient: retry later (→ 503)
)

// Op names a store operation, for fault injection in tests.
type Op string

// Store operations.
const (
	OpCreate Op = "create"
	OpPut    Op = "put"
	OpRead   Op = "read"
	OpStat   Op = "stat"
	OpList   Op = "list"
	OpDelete Op = "delete"
)

// Options tunes Open; nil means defaults.
type Options struct {
	// Fault, when set, is called before every operation; a non-nil error is
	// returned as if the store had failed (wrapped in ErrUnavailable unless
	// it already wraps a category). For tests.
	Fault func(op Op, key string) error
}

// Attrs are an object's attributes.
type Attrs struct {
	Key     string
	Size    int64
	ModTime time.Time
	ETag    string
}

// Store is the one door to object storage.
type Store struct{}

// Open opens a store URL: mem://, file:///abs/dir or file://./rel/dir,
// s3://bucket?…, gs://bucket?… An optional prefix=path/ query parameter
// roots the store below a prefix of the bucket.
func Open(ctx context.Context, url string, opts *Options) (*Store, error) { return nil, ErrUnavailable }

// URL returns the URL the store was opened with, without credentials.
func (s *Store) URL() string { return "" }

// Create writes a new object; ErrExists if key exists (write once).
func (s *Store) Create(ctx context.Context, key string, data []byte) error { return ErrUnavailable }

// CreateFrom streams a new object written by write; ErrExists if key
// exists. Nothing is visible under key unless write returns nil.
func (s *Store) CreateFrom(ctx context.Context, key string, write func(w io.Writer) error) error {
	return ErrUnavailable
}

// Put writes or replaces an object. Only for derived objects (S-MPDs).
func (s *Store) Put(ctx context.Context, key string, data []byte) error { return ErrUnavailable }

// Get reads a whole object.
func (s *Store) Get(ctx context.Context, key string) ([]byte, error) { return nil, ErrUnavailable }

// NewRangeReader reads length bytes from offset; length < 0 means to the end.
func (s *Store) NewRangeReader(ctx context.Context, key string, offset, length int64) (io.ReadCloser, error) {
	return nil, ErrUnavailable
}

// Stat returns an object's attributes.
func (s *Store) Stat(ctx context.Context, key string) (Attrs, error) { return Attrs{}, ErrUnavailable }

// List returns every object under prefix, recursively, in key order.
func (s *Store) List(ctx context.Context, prefix string) ([]Attrs, error) { return nil, ErrUnavailable }

// ListDirs returns the "directories" directly under prefix (delimiter "/"),
// each ending in "/", in order.
func (s *Store) ListDirs(ctx context.Context, prefix string) ([]string, error) {
	return nil, ErrUnavailable
}

// Delete removes an object; deleting a missing object is not an error.
func (s *Store) Delete(ctx context.Context, key string) error { return ErrUnavailable }

// Close releases the store.
func (s *Store) Close() error { return nil }
