package blobstoretest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"runtime"
	"sync"
	"testing"

	"github.com/reapd/reapd/blobstore"
)

// testConcurrentCreate races writers on one key: exactly one wins, the
// others get ErrExists, and a reader polling meanwhile sees nothing or the
// winner's complete object, never a part or a mix. Most rounds use tiny
// objects, so that the writers' commits coincide (a check-then-rename
// create loses such races most of the time); a few use bigger ones.
func testConcurrentCreate(t *testing.T, s *blobstore.Store, ns string) {
	const writers, rounds = 8, 40
	for round := range rounds {
		size := 16
		if round%8 == 7 {
			size = 256 << 10
		}
		raceOnce(t, s, fmt.Sprintf("%srace/%d.m4s", ns, round), writers, size, round)
	}

	// Identical bytes: every CreateOrMatch succeeds.
	key := ns + "race/same"
	data := pattern(64<<10, 99)
	var wg sync.WaitGroup
	for range writers {
		wg.Go(func() {
			if err := s.CreateOrMatch(t.Context(), key, data); err != nil {
				t.Errorf("CreateOrMatch racing with identical bytes: %v", err)
			}
		})
	}
	wg.Wait()
	wantContent(t, s, key, data)
}

// raceOnce races writers (half Create, half streaming CreateFrom) on key.
func raceOnce(t *testing.T, s *blobstore.Store, key string, writers, size, seed int) {
	t.Helper()
	datas := make([][]byte, writers)
	for i := range datas {
		datas[i] = pattern(size, seed*writers+i)
	}
	errs := make([]error, writers)
	start := make(chan struct{})
	done := make(chan struct{})
	var readerWG, wg sync.WaitGroup
	readerWG.Go(func() {
		for {
			select {
			case <-done:
				return
			default:
			}
			got, err := s.Get(t.Context(), key)
			if errors.Is(err, blobstore.ErrNotFound) {
				runtime.Gosched()
				continue
			}
			if err != nil {
				t.Errorf("Get during race: %v", err)
				return
			}
			if indexOf(datas, got) < 0 {
				t.Errorf("Get during race: %d bytes that no writer wrote in full", len(got))
				return
			}
		}
	})
	for i := range writers {
		wg.Go(func() {
			<-start
			if i%2 == 0 {
				errs[i] = s.Create(t.Context(), key, datas[i])
				return
			}
			errs[i] = s.CreateFrom(t.Context(), key, func(w io.Writer) error {
				if _, err := w.Write(datas[i][:size/2]); err != nil {
					return err
				}
				runtime.Gosched()
				_, err := w.Write(datas[i][size/2:])
				return err
			})
		})
	}
	close(start)
	wg.Wait()
	close(done)
	readerWG.Wait()
	winner := -1
	for i, err := range errs {
		switch {
		case err == nil && winner >= 0:
			t.Fatalf("%s: writers %d and %d both won", key, winner, i)
		case err == nil:
			winner = i
		case !errors.Is(err, blobstore.ErrExists):
			t.Fatalf("%s: writer %d: got %v, want nil or ErrExists", key, i, err)
		}
	}
	if winner < 0 {
		t.Fatalf("%s: no writer won", key)
	}
	wantContent(t, s, key, datas[winner])
}

// testConcurrentPut replaces an object while readers read it: they see one
// version or the other, complete.
func testConcurrentPut(t *testing.T, s *blobstore.Store, ns string) {
	key := ns + "live.mpd"
	versions := [][]byte{pattern(100<<10, 1), pattern(100<<10, 2), pattern(50<<10, 3)}
	if err := s.Put(t.Context(), key, versions[0]); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			for {
				select {
				case <-done:
					return
				default:
				}
				got, err := s.Get(t.Context(), key)
				if err != nil {
					t.Errorf("Get during Put: %v", err)
					return
				}
				if indexOf(versions, got) < 0 {
					t.Errorf("Get during Put: %d bytes of no single version", len(got))
					return
				}
			}
		})
	}
	for i := range 12 {
		if err := s.Put(t.Context(), key, versions[i%len(versions)]); err != nil {
			t.Errorf("Put: %v", err)
		}
	}
	close(done)
	wg.Wait()
}

// indexOf returns the index of the element of datas equal to b, or -1.
func indexOf(datas [][]byte, b []byte) int {
	for i, d := range datas {
		if bytes.Equal(d, b) {
			return i
		}
	}
	return -1
}
