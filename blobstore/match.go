package blobstore

import (
	"bytes"
	"context"
	"errors"
	"io"
)

// CreateOrMatch creates key with data like [Store.Create], but answers nil
// instead of ErrExists when the object already holds exactly data: the
// idempotent create that a retried upload (by the client, or by the Store
// after a lost answer) needs. It returns an error wrapping ErrExists when the
// existing object differs. The comparison streams the existing object and
// stops at the first difference.
func (s *Store) CreateOrMatch(ctx context.Context, key string, data []byte) error {
	err := s.Create(ctx, key, data)
	if !errors.Is(err, ErrExists) {
		return err
	}
	same, merr := s.matches(ctx, key, data)
	switch {
	case merr != nil && errors.Is(merr, ErrNotFound):
		// Deleted since: the create conflict stands.
		return err
	case merr != nil:
		return merr
	case same:
		return nil
	}
	return &Error{Op: OpCreate, Key: key, Kind: ErrExists, Err: errors.New("exists with different content")}
}

// matches reports whether the object at key holds exactly data.
func (s *Store) matches(ctx context.Context, key string, data []byte) (bool, error) {
	a, err := s.Stat(ctx, key)
	if err != nil {
		return false, err
	}
	if a.Size != int64(len(data)) {
		return false, nil
	}
	r, err := s.NewRangeReader(ctx, key, 0, -1)
	if err != nil {
		return false, err
	}
	defer r.Close()
	buf := make([]byte, min(len(data)+1, 64<<10))
	rest := data
	for {
		n, err := r.Read(buf)
		if n > len(rest) || !bytes.Equal(buf[:n], rest[:n]) {
			return false, nil
		}
		rest = rest[n:]
		if err == io.EOF {
			return len(rest) == 0, nil
		}
		if err != nil {
			return false, err
		}
	}
}
