package blobstoretest

import (
	"context"
	"errors"
	"io"
	"slices"
	"testing"

	"github.com/reapd/reapd/blobstore"
)

func testCreate(t *testing.T, s *blobstore.Store, ns string) {
	ctx := t.Context()
	key := ns + "seg/1.m4s"
	first := pattern(1000, 1)
	mustCreate(t, s, key, first)
	wantContent(t, s, key, first)

	err := s.Create(ctx, key, pattern(1000, 2))
	wantErr(t, err, blobstore.ErrExists, blobstore.OpCreate, key)
	err = s.CreateFrom(ctx, key, func(w io.Writer) error {
		_, err := w.Write(pattern(2000, 3))
		return err
	})
	wantErr(t, err, blobstore.ErrExists, blobstore.OpCreate, key)
	wantContent(t, s, key, first)

	empty := ns + "empty"
	mustCreate(t, s, empty, nil)
	if got := mustGet(t, s, empty); len(got) != 0 {
		t.Fatalf("empty object: got %d bytes", len(got))
	}
	wantErr(t, s.Create(ctx, empty, nil), blobstore.ErrExists, blobstore.OpCreate, empty)
}

func testCreateOrMatch(t *testing.T, s *blobstore.Store, ns string) {
	ctx := t.Context()
	key := ns + "init.mp4"
	data := pattern(200<<10, 1) // larger than one comparison buffer
	if err := s.CreateOrMatch(ctx, key, data); err != nil {
		t.Fatalf("CreateOrMatch new: %v", err)
	}
	if err := s.CreateOrMatch(ctx, key, data); err != nil {
		t.Fatalf("CreateOrMatch same bytes: %v", err)
	}
	lastDiffers := slices.Clone(data)
	lastDiffers[len(lastDiffers)-1]++
	wantErr(t, s.CreateOrMatch(ctx, key, lastDiffers), blobstore.ErrExists, blobstore.OpCreate, key)
	wantErr(t, s.CreateOrMatch(ctx, key, data[:len(data)-1]), blobstore.ErrExists, blobstore.OpCreate, key)
	wantErr(t, s.CreateOrMatch(ctx, key, append(slices.Clone(data), 0)), blobstore.ErrExists, blobstore.OpCreate, key)
	wantContent(t, s, key, data)

	empty := ns + "empty"
	if err := s.CreateOrMatch(ctx, empty, nil); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateOrMatch(ctx, empty, []byte{}); err != nil {
		t.Fatalf("CreateOrMatch same empty object: %v", err)
	}
	wantErr(t, s.CreateOrMatch(ctx, empty, []byte{0}), blobstore.ErrExists, blobstore.OpCreate, empty)
}

func testCreateFrom(t *testing.T, s *blobstore.Store, ns string) {
	ctx := t.Context()
	key := ns + "big.m4s"
	const size, chunk = 3<<20 + 12345, 32 << 10
	data := pattern(size, 7)
	err := s.CreateFrom(ctx, key, func(w io.Writer) error {
		for off := 0; off < size; off += chunk {
			if off == size/2 {
				// Half written: nothing may be visible yet.
				if _, err := s.Stat(ctx, key); !errors.Is(err, blobstore.ErrNotFound) {
					t.Errorf("Stat during CreateFrom: got %v, want ErrNotFound", err)
				}
				if objs := mustList(t, s, ns); len(objs) != 0 {
					t.Errorf("List during CreateFrom: %v", keys(objs))
				}
			}
			if _, err := w.Write(data[off:min(off+chunk, size)]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("CreateFrom: %v", err)
	}
	wantContent(t, s, key, data)
	a, err := s.Stat(ctx, key)
	if err != nil || a.Size != size {
		t.Fatalf("Stat: %+v, %v; want size %d", a, err, size)
	}
}

var errAbort = errors.New("conformance: writer gave up")

func testCreateFromAbort(t *testing.T, s *blobstore.Store, ns string) {
	key := ns + "aborted.m4s"
	mib := pattern(1<<20, 9)

	t.Run("error after writing", func(t *testing.T) {
		err := s.CreateFrom(t.Context(), key, func(w io.Writer) error {
			if _, err := w.Write(mib); err != nil {
				return err
			}
			return errAbort
		})
		if !errors.Is(err, errAbort) {
			t.Fatalf("got %v, want the writer's error", err)
		}
		wantErr(t, err, blobstore.ErrUnavailable, blobstore.OpCreate, key)
		wantAbsent(t, s, key)
	})
	t.Run("error before writing", func(t *testing.T) {
		err := s.CreateFrom(t.Context(), key, func(io.Writer) error { return errAbort })
		if !errors.Is(err, errAbort) {
			t.Fatalf("got %v, want the writer's error", err)
		}
		wantAbsent(t, s, key)
	})
	t.Run("error with a category", func(t *testing.T) {
		err := s.CreateFrom(t.Context(), key, func(w io.Writer) error {
			_, _ = w.Write(mib)
			return blobstore.ErrInvalidKey
		})
		wantErr(t, err, blobstore.ErrInvalidKey, blobstore.OpCreate, key)
		wantAbsent(t, s, key)
	})
	t.Run("context cancelled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		err := s.CreateFrom(ctx, key, func(w io.Writer) error {
			if _, err := w.Write(mib); err != nil {
				return err
			}
			cancel()
			return ctx.Err()
		})
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("got %v, want context.Canceled", err)
		}
		for _, c := range categories {
			if errors.Is(err, c) {
				t.Errorf("context error also wraps %v", c)
			}
		}
		wantAbsent(t, s, key)
	})
	t.Run("panic", func(t *testing.T) {
		func() {
			defer func() {
				if recover() == nil {
					t.Error("panic did not propagate")
				}
			}()
			_ = s.CreateFrom(t.Context(), key, func(w io.Writer) error {
				_, _ = w.Write(mib)
				panic("conformance: writer panics")
			})
		}()
		wantAbsent(t, s, key)
	})
	if objs := mustList(t, s, ns); len(objs) != 0 {
		t.Fatalf("aborted writes left %v", keys(objs))
	}
	// Nothing stale blocks the key.
	mustCreate(t, s, key, mib)
	wantContent(t, s, key, mib)
}

func testPut(t *testing.T, s *blobstore.Store, ns string) {
	ctx := t.Context()
	key := ns + "live.mpd"
	for i := range 3 {
		data := pattern(100+i, i)
		if err := s.Put(ctx, key, data); err != nil {
			t.Fatalf("Put #%d: %v", i, err)
		}
		wantContent(t, s, key, data)
	}
	wantErr(t, s.Create(ctx, key, nil), blobstore.ErrExists, blobstore.OpCreate, key)
	created := ns + "created"
	mustCreate(t, s, created, []byte("v1"))
	if err := s.Put(ctx, created, []byte("v2")); err != nil {
		t.Fatalf("Put over a created object: %v", err)
	}
	wantContent(t, s, created, []byte("v2"))
}

func testDelete(t *testing.T, s *blobstore.Store, ns string) {
	ctx := t.Context()
	key := ns + "d/x"
	mustCreate(t, s, key, []byte("x"))
	mustCreate(t, s, ns+"d/y/z", []byte("z"))
	if err := s.Delete(ctx, key); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	wantAbsent(t, s, key)
	if err := s.Delete(ctx, key); err != nil {
		t.Fatalf("Delete of a missing object: %v", err)
	}
	if err := s.Delete(ctx, ns+"never/was"); err != nil {
		t.Fatalf("Delete of a missing object: %v", err)
	}
	if err := s.Delete(ctx, ns+"d/y"); err != nil {
		t.Fatalf("Delete of a \"directory\": %v", err)
	}
	wantContent(t, s, ns+"d/y/z", []byte("z"))
	mustCreate(t, s, key, []byte("again"))
	wantContent(t, s, key, []byte("again"))
}
