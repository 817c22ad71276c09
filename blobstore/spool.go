package blobstore

import (
	"context"
	"errors"
	"io"
	"os"
	"strings"
	"time"
)

// ErrNoSpool is returned by NewSpool on a store that does not spool
// (see [Store.Spools]).
var ErrNoSpool = errors.New("blobstore: this store does not spool objects")

// A Spool is a new object whose bytes are written before its key is
// known: an ingest body goes to disk as it arrives, and is created under
// the key its parsed head gives. On a file store the bytes go to a
// temporary file in the directory of the keys the object may take, and
// Create links that file under its key, so that a body is never held in
// memory whole and its bytes are written once. A Spool is used by one
// goroutine; Close it when done, created or not.
type Spool struct {
	s      *Store
	dir    string
	f      *os.File
	w      io.Writer
	n      int64
	closed bool
	failed error // of an Append: the spool is of no more use
}

// Spools reports whether NewSpool is available: on a file store. On S3
// and GCS an object is uploaded whole or in parts that must be held in
// memory anyway, and callers keep the bytes themselves.
func (s *Store) Spools() bool { return s.fs != nil }

// NewSpool starts a spool for an object whose key will be in directory
// dir (a key prefix ending in "/", such as a track's staging prefix).
func (s *Store) NewSpool(dir string) (*Spool, error) {
	if s.fs == nil {
		return nil, ErrNoSpool
	}
	if !strings.HasSuffix(dir, "/") {
		return nil, newError(OpCreate, dir, ErrInvalidKey, "spool directory must end in /")
	}
	if err := s.checkKey(OpCreate, dir+"x"); err != nil {
		return nil, err
	}
	if s.closed.Load() {
		return nil, newError(OpCreate, dir, ErrUnavailable, "store is closed")
	}
	f, err := s.fs.temp(strings.TrimSuffix(dir, "/"))
	if err != nil {
		return nil, classify(context.Background(), OpCreate, dir, err)
	}
	return &Spool{s: s, dir: dir, f: f, w: newFlushingWriter(f)}, nil
}

// Write appends b to the spooled object.
func (p *Spool) Write(b []byte) (int, error) {
	if p.closed {
		return 0, os.ErrClosed
	}
	n, err := p.w.Write(b)
	p.n += int64(n)
	if err != nil {
		return n, classify(context.Background(), OpCreate, p.dir, err)
	}
	return n, nil
}

// Append is Write within the attempt deadline of ctx ([WithAttemptTimeout],
// else Options.AttemptTimeout, plus len(b) at AttemptMinRate): a write that
// has not returned by then (a disk that hangs: a page-cache write waits
// for the journal too) fails with a final ErrUnavailable, and so does
// every later Append. The abandoned write may still read b: the caller
// must not reuse b after an error. Options.Fault is called before each
// Append with OpCreate and the spool's directory.
func (p *Spool) Append(ctx context.Context, b []byte) error {
	if p.failed != nil {
		return p.failed
	}
	if p.closed {
		return newError(OpCreate, p.dir, ErrUnavailable, "spool is closed")
	}
	s, w := p.s, p.w
	write := func(context.Context) error {
		if s.fault != nil {
			if err := s.fault(OpCreate, p.dir); err != nil {
				return err
			}
		}
		_, err := w.Write(b)
		return err
	}
	var err error
	if limit := s.attemptLimit(ctx, len(b)); limit > 0 {
		err = runTimed(ctx, limit, &s.progress, write)
	} else {
		err = write(ctx)
	}
	if err != nil {
		p.failed = classify(ctx, OpCreate, p.dir, err)
		return p.failed
	}
	s.progress.Store(time.Now().UnixNano()) // the disk answered
	p.n += int64(len(b))
	return nil
}

// Size is how many bytes were written.
func (p *Spool) Size() int64 { return p.n }

// Create makes the spooled bytes durable as a new object under key, which
// must be in the spool's directory: ErrExists if key exists. It is timed
// and retried as [Store.Create] is, and may be called again after a
// failure.
func (p *Spool) Create(ctx context.Context, key string) error {
	s := p.s
	if err := s.checkKey(OpCreate, key); err != nil {
		return err
	}
	if !strings.HasPrefix(key, p.dir) || strings.Contains(key[len(p.dir):], "/") {
		return newError(OpCreate, key, ErrInvalidKey, "not in the spool's directory %s", p.dir)
	}
	if p.closed {
		return newError(OpCreate, key, ErrUnavailable, "spool is closed")
	}
	if p.failed != nil {
		return p.failed // its bytes are not all there
	}
	return s.doTimed(ctx, OpCreate, key, int(p.n), func(ctx context.Context) error {
		return s.fs.publish(ctx, p.f, key, false)
	})
}

// Close discards the spool's temporary file; an object it created keeps
// its own name.
func (p *Spool) Close() error {
	if p.closed {
		return nil
	}
	p.closed = true
	err := p.f.Close()
	if rerr := os.Remove(p.f.Name()); err == nil {
		err = rerr
	}
	return err
}
