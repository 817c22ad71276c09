package blobstore

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"gocloud.dev/blob"
	"gocloud.dev/blob/fileblob"
	"gocloud.dev/blob/memblob"
)

// Open opens a store URL: mem://, file:///abs/dir or file://./rel/dir,
// s3://bucket?…, gs://bucket?… An optional prefix=path/ query parameter
// roots the store below a prefix of the bucket.
//
//   - mem:// is a new, empty store in memory, private to this Store.
//   - file:///abs/dir and file://./rel/dir (relative to the working
//     directory) store key "a/b" as the file dir/a/b; the directory is
//     created. Writes are atomic and conditional creates race-safe across
//     processes (see CheckKey for the keys a file store refuses).
//   - s3://bucket?endpoint=URL&region=R&use_path_style=true&disable_https=true
//     talks to S3 or an S3-compatible server. Credentials come from the
//     usual AWS sources (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
//     profiles, roles) or from the URL's user info,
//     s3://KEY:SECRET@bucket?… (percent-encode reserved characters). Other
//     parameters of gocloud.dev/aws.V2ConfigFromURLParams (profile,
//     anonymous, hostname_immutable, request_checksum_calculation, …) are
//     accepted too.
//   - gs://bucket talks to Google Cloud Storage with Application Default
//     Credentials, or to the emulator named by STORAGE_EMULATOR_HOST (as
//     fake-gcs-server documents). gs://bucket?endpoint=http://host:port
//     names an emulator in the URL instead (no authentication), and
//     anonymous=true drops authentication.
//
// Open of s3:// and gs:// probes the bucket with a one-object listing, so a
// store that is missing or unreachable fails at Open, with an error wrapping
// ErrNotFound (no such bucket) or ErrUnavailable. A malformed URL, an
// unknown scheme or parameter fails with a plain error.
func Open(ctx context.Context, url string, opts *Options) (*Store, error) {
	u, err := parseURL(url)
	if err != nil {
		return nil, err
	}
	q := u.Query()
	prefix := ""
	if _, ok := q["prefix"]; ok {
		prefix, err = normalizePrefix(q.Get("prefix"))
		if err != nil {
			return nil, fmt.Errorf("blobstore: open %s: prefix: %w", redact(u), err)
		}
		q.Del("prefix")
	}
	s := &Store{conn: &conn{url: redact(u), prefix: prefix}}
	s.setOptions(opts)
	fault := s.fault
	s.fault = nil // not applied to the probe
	remote := false
	switch u.Scheme {
	case "mem":
		if len(q) > 0 {
			err = errors.New("mem:// takes no parameters but prefix")
		}
		s.b = memblob.OpenBucket(nil)
	case "file":
		s.b, s.fs, err = openFile(u, q, prefix)
		prefix = "" // the file root includes it
	case "s3":
		remote = true
		s.b, s.s3, err = openS3(ctx, u, q, prefix)
	case "gs":
		remote = true
		var closeClient func() error
		s.b, closeClient, err = openGCS(ctx, u, q)
		s.bufferSize, s.streamBufferSize = -1, gcsStreamChunk
		if closeClient != nil {
			s.closers = append(s.closers, closeClient)
		}
	default:
		err = fmt.Errorf("unsupported scheme %q (want mem, file, s3 or gs)", u.Scheme)
	}
	if err != nil {
		for _, c := range s.closers {
			_ = c()
		}
		if s.b != nil {
			_ = s.b.Close()
		}
		return nil, fmt.Errorf("blobstore: open %s: %w", s.url, err)
	}
	if prefix != "" {
		s.b = blob.PrefixedBucket(s.b, prefix)
	}
	if remote {
		if err := s.probe(ctx); err != nil {
			_ = s.Close()
			return nil, err
		}
	}
	s.fault = fault
	return s, nil
}

// probe lists one object, so that a missing bucket or an unreachable
// server fails Open. Its errors name OpOpen and the URL (as the key).
func (s *Store) probe(ctx context.Context) error {
	err := s.do(ctx, OpOpen, s.url, true, func(ctx context.Context) error {
		_, _, err := s.b.ListPage(ctx, blob.FirstPageToken, 1, nil)
		return err
	})
	var e *Error
	if errors.As(err, &e) && e.Kind == ErrNotFound {
		e.Err = fmt.Errorf("no such bucket: %w", e.Err)
	}
	return err
}

// parseURL parses a store URL without echoing it in errors (it may hold
// credentials).
func parseURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err
		}
		return nil, fmt.Errorf("blobstore: open: malformed URL: %w", err)
	}
	if u.Scheme == "" {
		return nil, errors.New("blobstore: open: URL has no scheme (want mem://, file://, s3:// or gs://)")
	}
	return u, nil
}

// redact returns u without user info.
func redact(u *url.URL) string {
	c := *u
	c.User = nil
	return c.String()
}

// openFile opens a file:// URL, creating its directory (joined with prefix).
func openFile(u *url.URL, q url.Values, prefix string) (*blob.Bucket, *fsRoot, error) {
	for k := range q {
		return nil, nil, fmt.Errorf("file:// takes no parameter %q (only prefix)", k)
	}
	var dir string
	switch u.Host {
	case "", "localhost":
		dir = filepath.FromSlash(u.Path)
		if !filepath.IsAbs(dir) {
			return nil, nil, errors.New("file:// needs an absolute path (file:///abs/dir) or file://./rel/dir")
		}
	case ".":
		dir = filepath.FromSlash(strings.TrimPrefix(u.Path, "/"))
		if dir == "" {
			dir = "."
		}
	default:
		return nil, nil, fmt.Errorf("file:// host %q: want none (file:///abs/dir) or . (file://./rel/dir)", u.Host)
	}
	root, err := filepath.Abs(filepath.Join(dir, filepath.FromSlash(prefix)))
	if err != nil {
		return nil, nil, err
	}
	if err := os.MkdirAll(root, 0o777); err != nil {
		return nil, nil, err
	}
	// fileblob serves the reads; writes go through fsRoot, but set the
	// options anyway: no sidecar files, no temporary files on another mount.
	b, err := fileblob.OpenBucket(root, &fileblob.Options{NoTempDir: true, Metadata: fileblob.MetadataDontWrite})
	if err != nil {
		return nil, nil, err
	}
	return b, &fsRoot{dir: root}, nil
}
