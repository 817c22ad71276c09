package blobstore

import (
	"context"
	"io"

	"gocloud.dev/blob"
)

// NewRangeReader reads length bytes from offset; length < 0 means to the end.
//
// A range that runs past the end of the object is cut short; an offset at
// or beyond the end yields an empty reader (S3 and GCS answer 416 there,
// mem:// and file:// an empty body: the Store makes them agree). A negative
// offset is ErrInvalidKey. Errors from Read wrap a category too; the caller
// must Close the reader. Opening the reader is retried; reading is not.
func (s *Store) NewRangeReader(ctx context.Context, key string, offset, length int64) (io.ReadCloser, error) {
	if err := s.checkKey(OpRead, key); err != nil {
		return nil, err
	}
	if offset < 0 {
		return nil, newError(OpRead, key, ErrInvalidKey, "negative offset %d", offset)
	}
	var rc io.ReadCloser
	err := s.do(ctx, OpRead, key, true, func(ctx context.Context) error {
		if s.fs != nil {
			r, err := s.fs.openRange(key, offset, length)
			if err == nil {
				rc = &classified{ReadCloser: r, ctx: ctx, key: key}
			}
			return err
		}
		r, err := s.b.NewRangeReader(ctx, key, offset, length, nil)
		if err == nil {
			rc = &reader{r: r, ctx: ctx, key: key}
			return nil
		}
		if offset > 0 && classify(ctx, OpRead, key, err).Kind == ErrUnavailable {
			// Maybe a 416 for an offset past the end: ask for the size.
			if a, aerr := s.b.Attributes(ctx, key); aerr == nil && offset >= a.Size {
				rc = io.NopCloser(eofReader{})
				return nil
			}
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return rc, nil
}

// reader classifies the errors of a gocloud reader.
type reader struct {
	r   *blob.Reader
	ctx context.Context
	key string
}

func (r *reader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	if err != nil && err != io.EOF {
		return n, classify(r.ctx, OpRead, r.key, err)
	}
	return n, err
}

func (r *reader) Close() error {
	if err := r.r.Close(); err != nil {
		return classify(r.ctx, OpRead, r.key, err)
	}
	return nil
}

// classified classifies the errors of a file reader, and passes its
// WriteTo on (see fileReader).
type classified struct {
	io.ReadCloser
	ctx context.Context
	key string
}

func (r *classified) Read(p []byte) (int, error) {
	n, err := r.ReadCloser.Read(p)
	if err != nil && err != io.EOF {
		return n, classify(r.ctx, OpRead, r.key, err)
	}
	return n, err
}

// WriteTo writes the rest to w (sendfile to an HTTP response).
func (r *classified) WriteTo(w io.Writer) (int64, error) {
	n, err := r.ReadCloser.(io.WriterTo).WriteTo(w)
	if err != nil {
		return n, classify(r.ctx, OpRead, r.key, err)
	}
	return n, nil
}

// eofReader is an empty reader.
type eofReader struct{}

func (eofReader) Read([]byte) (int, error) { return 0, io.EOF }
