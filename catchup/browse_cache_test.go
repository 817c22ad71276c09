package catchup

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/reapd/reapd/trackfile"
)

// writeIndexedChannel writes a channel the way the archiver leaves it
// after finalizing: its timing and one period index holding runs of the
// tracks, segments [first, first+count), each run starting on the grid or
// at t0[track] (in the track timescale) when given.
func (s *synth) writeIndexedChannel(name string, first, count int64, tracks map[string]trackfile.TrackInfo, t0 map[string]uint64) {
	s.t.Helper()
	raw, _ := trackfile.MarshalTiming(trackfile.ChannelTiming{SegmentDuration: s.grid.D, PeriodSegments: s.grid.N})
	s.put(trackfile.TimingKey(name), raw)
	var runs []trackfile.Run
	for _, track := range sortedKeys(tracks) {
		info := tracks[track]
		var infos []trackfile.SegmentInfo
		t, ok := t0[track]
		if !ok {
			t = s.grid.SegmentStart(first, info.Timescale)
		}
		d := s.grid.SegmentStart(1, info.Timescale)
		for n := first; n < first+count; n++ {
			infos = append(infos, trackfile.SegmentInfo{N: n, Time: t, EPT: t, Duration: d, Size: 1000, StartsWithSAP: true, SAPType: 1})
			t += d
		}
		r := trackfile.NewRun(track, info, infos, trackfile.HeadLayout{Init: trackfile.ByteRange{End: 700},
			Index: trackfile.ByteRange{Start: 700, End: 700 + 44 + 12*count}})
		k := s.grid.Period(first)
		r.Key = trackfile.TrackFileKey(name, track, k, first, info.Ext)
		r.HeaderKey = trackfile.HeaderKey(name, track, avHash[track], info.Ext)
		r.End = trackfile.EndGap
		runs = append(runs, r)
	}
	k := s.grid.Period(first)
	raw, err := trackfile.MarshalIndex(&trackfile.PeriodIndex{Channel: name, Period: k, SegmentDuration: s.grid.D,
		PeriodSegments: s.grid.N, Runs: runs})
	if err != nil {
		s.t.Fatal(err)
	}
	s.put(trackfile.IndexKey(name, k, ""), raw)
}

// storeOps sums the server's store operations of every kind.
func storeOps(m *Metrics) float64 {
	var n float64
	for _, kind := range []string{"list", "index", "staged", "header", "timing", "mpd"} {
		n += testutil.ToFloat64(m.StoreReads.WithLabelValues(kind))
	}
	return n
}

type channelListJSON struct {
	Channels []channelJSON `json:"channels"`
}

// TestChannelListCache: GET /api/channels over 300 channels costs the
// store one refresh per BrowseTTL however many clients ask, and the
// clients that ask at once while it runs share it.
func TestChannelListCache(t *testing.T) {
	s := newSynth(t, "mem://", grid2s)
	const channels = 300
	for i := range channels {
		s.writeIndexedChannel(fmt.Sprintf("c%03d", i), s.n(0), 30, av, nil)
	}
	var clock atomic.Int64
	clock.Store(at(600).UnixMilli())
	m := NewMetrics(nil)
	srv := New(s.store, &Options{Metrics: m, Now: func() time.Time { return time.UnixMilli(clock.Load()) }})
	h := srv.Handler()

	// 40 clients at once on a cold cache: one refresh.
	var wg sync.WaitGroup
	bodies := make([]string, 40)
	for i := range bodies {
		wg.Go(func() {
			r := get(t, h, "/api/channels")
			if r.StatusCode != http.StatusOK {
				t.Errorf("status %d", r.StatusCode)
			}
			bodies[i] = body(t, r)
		})
	}
	wg.Wait()
	one := storeOps(m)
	var list channelListJSON
	if err := json.Unmarshal([]byte(bodies[0]), &list); err != nil {
		t.Fatal(err)
	}
	if len(list.Channels) != channels+1 || list.Channels[7].Name != "c007" || list.Channels[7].First == nil ||
		!list.Channels[7].First.Equal(at(0)) || !list.Channels[7].Last.Equal(at(60)) {
		t.Fatalf("list of %d channels, [7] = %+v", len(list.Channels), list.Channels[min(7, len(list.Channels)-1)])
	}
	for i, b := range bodies {
		if b != bodies[0] {
			t.Fatalf("client %d got another answer", i)
		}
	}
	// A refresh costs a listing plus a few operations per channel
	// (listings of its index, I-MPDs, tracks and staged segments, its
	// timing and period index).
	if one < channels || one > 1+10*channels {
		t.Errorf("one refresh of %d channels cost %v store operations", channels, one)
	}
	t.Logf("one refresh: %v store operations for %d channels", one, channels)

	// Within the TTL (4.8 s, past the channels' own IndexTTL): from
	// memory.
	for range 20 {
		clock.Add(240)
		mustGet(t, h, "/api/channels")
	}
	if n := storeOps(m); n != one {
		t.Errorf("20 requests within the TTL cost %v more store operations", n-one)
	}
	// After it: one more refresh.
	clock.Add(200)
	for range 20 {
		mustGet(t, h, "/api/channels")
	}
	if n := storeOps(m); n <= one || n > 2*one {
		t.Errorf("after the TTL: %v store operations, want one more refresh (%v)", n, 2*one)
	}

	// A finalize (Invalidate) refreshes the list and that channel only.
	before := storeOps(m)
	srv.Invalidate("c001")
	mustGet(t, h, "/api/channels")
	if n := storeOps(m) - before; n < 2 || n > 11 {
		t.Errorf("refresh after Invalidate of one channel cost %v store operations", n)
	}
}

// TestChannelListPoisoned: a channel whose stored media claims an absurd
// time (tfdt 2^63, millions of years ahead; or just past year 9999) does
// not make the browse API answer 500: the other channels are listed as
// before, the bad one with what is sane about it and its problem.
func TestChannelListPoisoned(t *testing.T) {
	s := newSynth(t, "mem://", grid2s)
	s.indexOnly(s.n(0), s.n(120), trackfile.EndComplete, av, avHash)
	// Segments whose times are far beyond year 9999, in a period index.
	s.writeIndexedChannel("huge", s.n(0), 10, av, map[string]uint64{"audio": 1 << 63, "video": 1 << 63})
	// A channel with one sane track and one that starts in year 10000.
	year10000 := uint64(time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC).Unix())
	s.writeIndexedChannel("mixed", s.n(0), 10, av, map[string]uint64{"audio": year10000 * 48000})
	// A staged segment with tfdt 2^63 (acknowledged, not finalized).
	rt := s.newRealTrack("a", audio48)
	stagedChannel := "staged"
	raw, _ := trackfile.MarshalTiming(trackfile.ChannelTiming{SegmentDuration: s.grid.D, PeriodSegments: s.grid.N})
	s.put(trackfile.TimingKey(stagedChannel), raw)
	s.put(trackfile.HeaderKey(stagedChannel, "a", rt.hdr.Hash, rt.hdr.Info.Ext), rt.hdr.Raw)
	s.put(trackfile.HeaderUseKey(stagedChannel, "a", 1<<63, rt.hdr.Hash), nil)
	s.put(trackfile.StagedKey(stagedChannel, "a", trackfile.StagedName{T: 1 << 63, D: audio48.SegmentTicks(), Ext: rt.hdr.Info.Ext}),
		audio48.Segment(1<<63, 1))

	h := s.server(at(600)).Handler()
	for range 2 { // from the refresh and from memory
		r := get(t, h, "/api/channels")
		b := body(t, r)
		if r.StatusCode != http.StatusOK {
			t.Fatalf("GET /api/channels: %d %s", r.StatusCode, b)
		}
		var list channelListJSON
		if err := json.Unmarshal([]byte(b), &list); err != nil {
			t.Fatal(err)
		}
		by := map[string]channelJSON{}
		for _, c := range list.Channels {
			by[c.Name] = c
		}
		if c := by["ch1"]; c.First == nil || !c.First.Equal(at(0)) || !c.Last.Equal(at(120)) || len(c.Problems) != 0 {
			t.Errorf("ch1: %+v", c)
		}
		for _, name := range []string{"huge", "staged"} {
			c, ok := by[name]
			if !ok || c.First != nil || c.Last != nil || len(c.Problems) == 0 || !strings.Contains(c.Problems[0], "implausible") {
				t.Errorf("%s: %+v (listed %v)", name, c, ok)
			}
		}
		if c := by["mixed"]; c.First == nil || !c.First.Equal(at(0)) || !c.Last.Equal(at(20)) ||
			len(c.Problems) != 1 || !strings.Contains(c.Problems[0], "track audio") {
			t.Errorf("mixed: %+v", c)
		}
	}
	// Catch-up of the bad channel: a 404 that does not quote absurd times.
	r := get(t, h, "/catchup/huge/manifest.mpd?start="+epochSeconds(at(0))+"&duration=20")
	if b := body(t, r); r.StatusCode != http.StatusNotFound || strings.Contains(b, "3249492") {
		t.Errorf("catch-up of huge: %d %s", r.StatusCode, b)
	}
	for _, url := range []string{"/api/channels/huge", "/api/channels/mixed", "/api/channels/staged",
		"/api/channels/huge/coverage?from=" + epochSeconds(at(-3600)) + "&to=" + epochSeconds(at(600))} {
		r := get(t, h, url)
		if b := body(t, r); r.StatusCode != http.StatusOK || !strings.Contains(b, "implausible") && !strings.Contains(url, "coverage") {
			t.Errorf("%s: %d %s", url, r.StatusCode, b)
		}
	}
}
