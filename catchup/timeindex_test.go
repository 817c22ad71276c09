package catchup

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/reapd/reapd/blobstore"
	"github.com/reapd/reapd/trackfile"
)

// opCounter counts store operations by kind of key, through the store's
// fault hook.
type opCounter struct {
	mu  sync.Mutex
	ops map[string]int
}

func (c *opCounter) fault(op blobstore.Op, key string) error {
	kind := "other"
	switch {
	case strings.Contains(key, "/index/"):
		kind = "index"
	case strings.Contains(key, "/live/"):
		kind = "staged"
	case strings.HasSuffix(key, ".cmfv") || strings.HasSuffix(key, ".cmfa"):
		kind = "trackfile"
	}
	c.mu.Lock()
	c.ops[string(op)+" "+kind]++
	c.mu.Unlock()
	return nil
}

func (c *opCounter) take() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := c.ops
	c.ops = map[string]int{}
	return out
}

// TestTimeIndexReadsIndexesOnce: a 24-hour manifest reads the period
// index objects it spans once (then they are cached), lists the store at
// most every IndexTTL, and never reads a track file.
func TestTimeIndexReadsIndexesOnce(t *testing.T) {
	s := newSynth(t, "mem://", gridHour)
	av := map[string]trackfile.TrackInfo{"video": videoInfo, "audio": audioInfo}
	s.indexOnly(s.n(0), s.n(3*24*3600), trackfile.EndComplete, av, avHash)
	cnt := &opCounter{ops: map[string]int{}}
	st := s.store.WithOptions(&blobstore.Options{Fault: cnt.fault})
	clock := at(4 * 24 * 3600)
	var mu sync.Mutex
	srv := New(st, &Options{Now: func() time.Time { mu.Lock(); defer mu.Unlock(); return clock }})
	h := srv.Handler()
	u := "/catchup/ch1/manifest.mpd?start=" + epochSeconds(at(12*3600)) + "&duration=86400"
	mustGet(t, h, u)
	ops := cnt.take()
	if ops["read index"] != 26 || ops["read trackfile"]+ops["stat trackfile"] != 0 || ops["list index"] != 1 {
		t.Errorf("cold 24-hour manifest: %v; want 26 index reads (24 h and the periods either side, for the segments at the edges), one listing, no track file", ops)
	}
	mustGet(t, h, u)
	mustGet(t, h, "/catchup/ch1/master.m3u8?start="+epochSeconds(at(13*3600))+"&duration=86400")
	if ops := cnt.take(); len(ops) > 0 && ops["read index"] != 1 {
		t.Errorf("warm: %v; want at most the one new period index", ops)
	}
	mu.Lock()
	clock = clock.Add(3 * time.Second) // past IndexTTL
	mu.Unlock()
	mustGet(t, h, u)
	if ops := cnt.take(); ops["list index"] != 1 || ops["read index"] != 0 {
		t.Errorf("after IndexTTL: %v; want one listing and no reads", ops)
	}
	srv.Invalidate("ch1")
	mustGet(t, h, u)
	if ops := cnt.take(); ops["list index"] != 1 {
		t.Errorf("after Invalidate: %v; want one listing", ops)
	}
}

// TestConcurrentRequests runs manifests, segments, the browse API and
// Invalidate at once (for -race), on a store that finalizes a period
// meanwhile.
func TestConcurrentRequests(t *testing.T) {
	s, n0 := realArchive(t)
	srv := s.server(at(160))
	h := srv.Handler()
	a := s.newRealTrack("a", audio48)
	urls := []string{
		"/catchup/ch1/manifest.mpd?start=" + epochSeconds(at(10)) + "&end=" + epochSeconds(at(140)),
		"/catchup/ch1/master.m3u8?start=" + epochSeconds(at(100)),
		"/catchup/ch1/hls/b.m3u8?start=" + epochSeconds(at(50)) + "&end=" + epochSeconds(at(150)),
		"/api/channels", "/api/channels/ch1", "/api/channels/ch1/coverage",
	}
	for i := int64(0); i < 75; i += 7 {
		urls = append(urls, "/catchup/ch1/"+segmentPath("a", a.hdr.Hash, 48000, s.grid.SegmentStart(n0+i, 48000)))
	}
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 3 {
				for _, u := range urls {
					if r := get(t, h, u); r.StatusCode != 200 {
						t.Errorf("%s: %d %s", u, r.StatusCode, body(t, r))
					}
					srv.Invalidate("ch1")
				}
			}
		}()
	}
	// Finalize the open period meanwhile.
	k := s.grid.Period(n0 + 60)
	first := s.grid.PeriodFirst(k)
	b := s.newRealTrack("b", audio96)
	s.writeIndex(k, "", s.trackFile(a, first, first+15, true, trackfile.EndPartial), s.trackFile(b, first, first+15, true, trackfile.EndPartial))
	for _, tr := range []string{"a", "b"} {
		objs, _ := s.store.List(context.Background(), "ch1/"+tr+"/live/")
		for _, o := range objs {
			_ = s.store.Delete(context.Background(), o.Key)
		}
	}
	srv.Invalidate("ch1")
	wg.Wait()
}

func TestMPDTimescale(t *testing.T) {
	for ts, want := range map[uint32]uint32{90000: 90000, 48000: 48000, 12800: 12800, 1_000_000: 1_000_000,
		2_000_000: 2_000_000, 10_000_000: 2_000_000, 27_000_000: 1_800_000, 4294967291: 1_000_000} {
		if got := mpdTimescale(ts); got != want {
			t.Errorf("mpdTimescale(%d) = %d, want %d", ts, got, want)
		}
	}
	// Epoch times of 2100 stay below 2^53 in every MPD timescale.
	t2100 := uint64(time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC).Unix())
	for _, ts := range []uint32{90000, 10_000_000, 27_000_000, 4294967291} {
		if v := t2100 * uint64(mpdTimescale(ts)); v >= 1<<53 {
			t.Errorf("timescale %d: %d ≥ 2^53", ts, v)
		}
	}
	if got := scaleTicks(17672256000000001, 10_000_000, 2_000_000); got != 3534451200000000 {
		t.Errorf("scaleTicks rounds to %d", got)
	}
	if got := scaleTicks(1<<63, 1000, 4294967295); got != ^uint64(0) {
		t.Errorf("overflow gives %d", got)
	}
	if ms := ticksToMs(84826830239744, 48000); ms != 1767225629995 {
		t.Errorf("ticksToMs %d", ms)
	}
}
