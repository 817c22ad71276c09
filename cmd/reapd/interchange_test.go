package main

import (
	"context"
	"crypto/sha256"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/reapd/reapd/blobstore"
)

// TestRedundantArchiversWriteIdenticalFiles runs two reapd processes, each
// with its own store, gives them the same segments in different orders and
// timings (with duplicates), and compares every storage track file, period
// index and archive S-MPD by sha256 (REaP interchangeability).
func TestRedundantArchiversWriteIdenticalFiles(t *testing.T) {
	// Segments an hour ahead of the wall clock: periods finalize because
	// they are complete, never because a deadline passed mid-test.
	n0 := (time.Now().Unix() + 3600) / 2 / 5 * 5
	in := newInputAt(3, n0)
	dirs := []string{t.TempDir(), t.TempDir()}
	var wg sync.WaitGroup
	for i, dir := range dirs {
		p := startReapd(t, "file://"+dir, append(crashFlags, futureFlags...)...)
		wg.Add(1)
		go func(i int, p *proc) {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(i), 7))
			type item struct {
				track string
				i     int
			}
			// Both tracks' first segments come first, as from an encoder:
			// a period is complete when every track that staged media has
			// it whole, so a track not yet heard of would be left out (its
			// segments then late parts) if the finalizer woke in between.
			var order []item
			for j := range max(len(in.segs["a"]), len(in.segs["b"])) {
				for _, name := range []string{"a", "b"} {
					if j < len(in.segs[name]) {
						order = append(order, item{name, j})
					}
				}
			}
			if i == 1 { // another order, with duplicates
				rest := order[2:]
				rng.Shuffle(len(rest), func(a, b int) { rest[a], rest[b] = rest[b], rest[a] })
				order = append(order, order[:7]...)
			}
			for _, name := range []string{"b", "a"} {
				if code := p.post(in.header(name), in.tracks[name].Header()); code != http.StatusOK {
					t.Errorf("header: %d", code)
				}
			}
			for _, it := range order {
				if code := p.post(in.path(it.track), in.segs[it.track][it.i]); code != http.StatusOK {
					t.Errorf("archiver %d: %s/%d: %d", i, it.track, it.i, code)
				}
				if i == 1 {
					time.Sleep(time.Duration(rng.IntN(3)) * time.Millisecond)
				}
			}
		}(i, p)
	}
	wg.Wait()
	sums := make([]map[string][32]byte, 2)
	for i, dir := range dirs {
		st := openStore(t, "file://"+dir)
		ok := poll(30*time.Second, func() bool {
			s, done := archiveSums(st)
			sums[i] = s
			return done
		})
		if !ok {
			t.Fatalf("archiver %d did not finalize everything: %v", i, sums[i])
		}
	}
	if len(sums[0]) < 2*3+3+1 {
		t.Fatalf("too few archive objects: %d", len(sums[0]))
	}
	for key, s := range sums[0] {
		if o, ok := sums[1][key]; !ok {
			t.Errorf("%s only in archiver 0", key)
		} else if o != s {
			t.Errorf("%s differs between the archivers", key)
		}
	}
	for key := range sums[1] {
		if _, ok := sums[0][key]; !ok {
			t.Errorf("%s only in archiver 1", key)
		}
	}
}

// archiveSums hashes the archive objects of ch1 (track files, headers,
// period indexes, archive S-MPD); done is false while anything is staged.
func archiveSums(st *blobstore.Store) (map[string][32]byte, bool) {
	ctx := context.Background()
	objs, err := st.List(ctx, "ch1/")
	if err != nil {
		return nil, false
	}
	out := map[string][32]byte{}
	for _, o := range objs {
		switch {
		case strings.Contains(o.Key, "/live/"):
			return out, false
		case strings.Contains(o.Key, "/ingest/"), strings.Contains(o.Key, "/state/"):
			continue
		}
		b, err := st.Get(ctx, o.Key)
		if err != nil {
			return out, false
		}
		out[o.Key] = sha256.Sum256(b)
	}
	_, hasMPD := out["ch1/archive.mpd"]
	return out, hasMPD
}
