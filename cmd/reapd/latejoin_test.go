package main

import (
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/reapd/reapd/blobstore/blobstoretest"
)

// TestLateJoinerOnS3 is issue 5's acceptance 4 on a real S3 server: two
// reapd, A and B, archive a channel on one bucket; C starts in the middle
// of period 1 and from then on gets every segment too (each segment is
// sent to all live instances at once, so any of them may win it). In the
// middle of period 3 A is SIGKILLed and B stopped: C alone has the rest,
// including the periods A and B had begun. The archive must be complete,
// every segment in exactly one storage track file, and identical to a
// single-instance run's: C archives the same files for the periods it
// sees.
func TestLateJoinerOnS3(t *testing.T) {
	srv := blobstoretest.StartS3(t)
	store := srv.URL()
	in := newInputAt(6, pastN0())
	tracks := []string{"a", "b"}
	const joinAt, leaveAt = 7, 17 // mid period 1, mid period 3

	a := startReapd(t, store, completeFlags...)
	b := startReapd(t, store, completeFlags...)
	live := []*proc{a, b}
	headers := func(p *proc) {
		for _, name := range tracks {
			if code := p.post(in.header(name), in.tracks[name].Header()); code != http.StatusOK {
				t.Fatalf("header %s: %d", name, code)
			}
		}
	}
	headers(a)
	headers(b)
	var c *proc
	for j := range in.segs["a"] {
		switch j {
		case joinAt:
			c = startReapd(t, store, completeFlags...)
			headers(c) // a new destination gets the encoder's header first
			live = append(live, c)
		case leaveAt:
			a.kill()
			b.stop(t)
			live = []*proc{c}
		}
		for _, name := range tracks {
			var wg sync.WaitGroup
			codes := make([]int, len(live))
			for i, p := range live {
				wg.Go(func() { codes[i] = p.post(in.path(name), in.segs[name][j]) })
			}
			wg.Wait()
			for i, code := range codes {
				if code != http.StatusOK {
					t.Fatalf("segment %s/%d to instance %d: %d", name, j, i, code)
				}
			}
		}
	}
	st := openStore(t, store)
	var sums map[string][32]byte
	if !poll(60*time.Second, func() bool { s, done := archiveSums(st); sums = s; return done }) {
		t.Fatalf("the late joiner did not finalize what A and B left: %v\n%s", sortedKeys(sums), tailLogs(c))
	}
	count, _, _ := indexedSegments(t, st, "ch1")
	for _, name := range tracks {
		for j := range in.segs[name] {
			if n := in.n0 + int64(j); count[name][n] != 1 {
				t.Errorf("%s n=%d in %d track files, want 1", name, n, count[name][n])
			}
		}
	}
	// Catch-up plays it all on C, and on an instance that never received
	// a segment: instances share nothing but the store.
	checkCatchup(t, c.addr, in)
	checkCatchup(t, startReapd(t, store, completeFlags...).addr, in)
	wantSameArchive(t, sums, singleInstanceSums(t, in))
	c.stop(t)
}
