package blobstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"gocloud.dev/blob"
)

// Store is the one door to object storage. It is safe for concurrent use.
// Open one with [Open]; Close it when done.
type Store struct {
	*conn
	fault       func(Op, string) error
	maxAttempts int
	retryDelay  time.Duration
	attemptMax  time.Duration // <= 0: none
	observe     func(Op, time.Duration, error)
}

// conn is what the views of one store ([Store.WithOptions]) share.
type conn struct {
	url     string
	prefix  string // the root prefix (prefix= of the URL), ending in "/"; or ""
	b       *blob.Bucket
	fs      *fsRoot        // file:// only: race-safe writes and ordered listing
	closers []func() error // extra resources, closed after b
	// bufferSize is gocloud's WriterOptions.BufferSize. On gs:// it is -1:
	// each object is uploaded in one streamed request, where the default
	// would allocate a 16 MiB chunk buffer for every object, however small.
	// Elsewhere 0, the backend's default (S3: one PUT below 16 MiB,
	// multipart above).
	bufferSize int
	// streamBufferSize, when not 0, replaces bufferSize for CreateFrom. On
	// gs:// it is gcsStreamChunk.
	streamBufferSize int
	// s3 writes in-memory objects on s3:// (nil elsewhere).
	s3 *s3Put

	// progress is when an attempt last came back from the store
	// (UnixNano), timed out ones excepted: see runTimed.
	progress atomic.Int64

	closed    atomic.Bool
	closeOnce sync.Once
	closeErr  error
}

// WithOptions returns a view of s that uses opts (Fault, MaxAttempts,
// RetryDelay; nil means defaults) instead of the options s was opened with.
// The view shares s's connection and objects: closing either closes both.
// Tests use it to inject faults into a store they did not open.
func (s *Store) WithOptions(opts *Options) *Store {
	v := &Store{conn: s.conn}
	v.setOptions(opts)
	return v
}

// setOptions applies opts, with defaults for nil and zero fields.
func (s *Store) setOptions(opts *Options) {
	if opts == nil {
		opts = &Options{}
	}
	s.fault = opts.Fault
	s.maxAttempts = opts.MaxAttempts
	if s.maxAttempts <= 0 {
		s.maxAttempts = DefaultMaxAttempts
	}
	s.retryDelay = opts.RetryDelay
	if s.retryDelay <= 0 {
		s.retryDelay = DefaultRetryDelay
	}
	s.attemptMax = opts.AttemptTimeout
	s.observe = opts.Observe
}

// URL returns the URL the store was opened with, without credentials.
func (s *Store) URL() string { return s.url }

// Prefix returns the prefix of the bucket the store is rooted at (the
// prefix= parameter of its URL, ending in "/"), or "". Keys are relative
// to it; the longest key the store accepts is MaxKeyLen - len(Prefix()).
func (s *Store) Prefix() string { return s.prefix }

// Create writes a new object; ErrExists if key exists (write once).
//
// Create is retried on a transient failure. A retry of a create whose
// first attempt did succeed although its answer was lost answers ErrExists:
// callers that must tell "someone else wrote it" from "I wrote it" use
// [Store.CreateOrMatch].
func (s *Store) Create(ctx context.Context, key string, data []byte) error {
	if err := s.checkKey(OpCreate, key); err != nil {
		return err
	}
	return s.doTimed(ctx, OpCreate, key, len(data), func(ctx context.Context) error {
		if s.fs != nil {
			return s.fs.write(ctx, key, false, writeBytes(data))
		}
		if s.s3 != nil {
			return s.s3.put(ctx, key, data, true)
		}
		return s.b.WriteAll(ctx, key, data, s.writerOptions(key, true))
	})
}

// CreateFrom streams a new object written by write; ErrExists if key
// exists. Nothing is visible under key unless write returns nil.
//
// The object is streamed: CreateFrom buffers no more than the backend does
// (gocloud's S3 and GCS writers buffer one part or chunk). If write returns
// an error (or panics) the write is aborted and nothing appears under key;
// the error returned wraps write's error and, unless that already wraps a
// category or is a context error, ErrUnavailable. The io.Writer must not be
// used after write returns. CreateFrom is not retried.
func (s *Store) CreateFrom(ctx context.Context, key string, write func(w io.Writer) error) error {
	if err := s.checkKey(OpCreate, key); err != nil {
		return err
	}
	return s.do(ctx, OpCreate, key, false, func(ctx context.Context) error {
		if s.fs != nil {
			return s.fs.write(ctx, key, false, write)
		}
		return s.stream(ctx, key, write)
	})
}

// stream runs write into a conditional gocloud writer, aborting the writer
// (by cancelling its context before Close) unless write succeeds.
func (s *Store) stream(ctx context.Context, key string, write func(w io.Writer) error) error {
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	opts := s.writerOptions(key, true)
	if s.streamBufferSize != 0 {
		opts.BufferSize = s.streamBufferSize
	}
	w, err := s.b.NewWriter(wctx, key, opts)
	if err != nil {
		return err
	}
	ok := false
	defer func() {
		if !ok { // write failed or panicked: abort
			cancel()
			_ = w.Close()
		}
	}()
	if err := write(struct{ io.Writer }{w}); err != nil {
		return err
	}
	ok = true
	return w.Close()
}

// Put writes or replaces an object. Only for derived objects (S-MPDs).
// Readers see the old or the new object, never a mix.
func (s *Store) Put(ctx context.Context, key string, data []byte) error {
	if err := s.checkKey(OpPut, key); err != nil {
		return err
	}
	return s.doTimed(ctx, OpPut, key, len(data), func(ctx context.Context) error {
		if s.fs != nil {
			return s.fs.write(ctx, key, true, writeBytes(data))
		}
		if s.s3 != nil {
			return s.s3.put(ctx, key, data, false)
		}
		return s.b.WriteAll(ctx, key, data, s.writerOptions(key, false))
	})
}

// Get reads a whole object.
func (s *Store) Get(ctx context.Context, key string) ([]byte, error) {
	if err := s.checkKey(OpRead, key); err != nil {
		return nil, err
	}
	var data []byte
	err := s.do(ctx, OpRead, key, true, func(ctx context.Context) error {
		var err error
		data, err = s.b.ReadAll(ctx, key)
		return err
	})
	if err != nil {
		return nil, err
	}
	return data, nil
}

// Stat returns an object's attributes.
func (s *Store) Stat(ctx context.Context, key string) (Attrs, error) {
	if err := s.checkKey(OpStat, key); err != nil {
		return Attrs{}, err
	}
	var a Attrs
	err := s.doTimed(ctx, OpStat, key, 0, func(ctx context.Context) error {
		ba, err := s.b.Attributes(ctx, key)
		if err != nil {
			return err
		}
		a = Attrs{Key: key, Size: ba.Size, ModTime: ba.ModTime, ETag: ba.ETag}
		return nil
	})
	return a, err
}

// Delete removes an object; deleting a missing object is not an error.
func (s *Store) Delete(ctx context.Context, key string) error {
	if err := s.checkKey(OpDelete, key); err != nil {
		return err
	}
	err := s.doTimed(ctx, OpDelete, key, 0, func(ctx context.Context) error {
		if s.fs != nil {
			return s.fs.delete(key)
		}
		return s.b.Delete(ctx, key)
	})
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	return err
}

// Close releases the store (and every view of it, see
// [Store.WithOptions]). Operations after Close fail with ErrUnavailable.
// Close is idempotent.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		s.closed.Store(true)
		errs := []error{s.b.Close()}
		for _, c := range s.closers {
			errs = append(errs, c())
		}
		s.closeErr = errors.Join(errs...)
	})
	return s.closeErr
}

// checkKey validates key for op, returning an *Error wrapping
// ErrInvalidKey.
func (s *Store) checkKey(op Op, key string) error {
	err := checkKey(key)
	if err == nil && len(s.prefix)+len(key) > MaxKeyLen {
		err = fmt.Errorf("longer than %d bytes below the store's prefix %q", MaxKeyLen-len(s.prefix), s.prefix)
	}
	if err == nil && s.fs != nil {
		err = checkFileKey(key)
	}
	if err != nil {
		return &Error{Op: op, Key: key, Kind: ErrInvalidKey, Err: err}
	}
	return nil
}

// writeBytes returns a write function that writes data.
func writeBytes(data []byte) func(io.Writer) error {
	return func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	}
}

// writerOptions are the gocloud writer options for key.
func (s *Store) writerOptions(key string, ifNotExist bool) *blob.WriterOptions {
	return &blob.WriterOptions{ContentType: contentType(key), IfNotExist: ifNotExist, BufferSize: s.bufferSize}
}
