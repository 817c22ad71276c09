package catchup

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"path"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/reapd/reapd/trackfile"
)

// stagedView is the staged segments of a channel as one listing found
// them: the segments of periods that are not finalized yet.
type stagedView struct {
	tracks map[string]*stagedTrack
}

// stagedTrack is one track's staged segments: one per start time, as
// trackfile.StagedTrack.Segments picks them (the archiver's rules: a real
// copy over a slate one, the longest), in start time order.
type stagedTrack struct {
	segs []stagedSeg
	miss map[uint64]bool // start times staged only as a 'miss' segment
}

// stagedSeg is a staged segment as its key and the header in force
// describe it; catch-up reads no staged object to list it.
type stagedSeg struct {
	n, end int64 // grid slot of t, and the slot just after it
	key    string
	slate  bool
	hash   string              // CMAF header in force (trackfile.StagedTrack.HeaderAt)
	info   trackfile.TrackInfo // of that header
	t, d   uint64              // epoch timeline (STS applied), track timescale: from the key
	size   int64               // bytes of the staged object (what is served lacks its sidx)
}

// stagedInputs is what a staged listing needs of the index listing: the
// channel timing, and the index objects of the last indexed period.
type stagedInputs struct {
	timing   *trackfile.ChannelTiming
	lastKeys []string
}

// stagedInputsLocked snapshots the inputs of a staged listing.
func (c *channelIndex) stagedInputsLocked() stagedInputs {
	in := stagedInputs{timing: c.timing}
	if len(c.ks) > 0 {
		in.lastKeys = c.periods[c.ks[len(c.ks)-1]]
	}
	return in
}

// listStaged lists every track's staged segments and places them with the
// model of trackfile.ParseStagedTrack: copies, the one chosen per start
// time and the header each uses, the header in force before the first
// marker being that of the track's newest run in a track file (see
// lastHeader). Headers are loaded (cached, StagedReaders at a time); a
// segment whose header cannot be loaded is logged and left out. It
// touches no state of c; keep is the keys of the segments listed.
func (c *channelIndex) listStaged(ctx context.Context, in stagedInputs) (sv *stagedView, keep map[string]bool, err error) {
	st := c.s.store
	dirs, err := st.ListDirs(ctx, c.name+"/")
	c.s.metrics.StoreReads.WithLabelValues("list").Inc()
	if err != nil {
		return nil, nil, fmt.Errorf("list tracks of %s: %w", c.name, err)
	}
	sv = &stagedView{tracks: map[string]*stagedTrack{}}
	if in.timing == nil {
		return sv, nil, nil // nothing can be staged before the timing is published
	}
	g := in.timing.Grid()
	slots := slotters{g: g}
	var listed []struct {
		track string
		segs  []trackfile.StagedSegment
		sizes map[string]int64
	}
	need := map[headerWant]*trackfile.Header{}
	keep = map[string]bool{}
	for _, d := range dirs {
		track := path.Base(strings.TrimSuffix(d, "/"))
		if trackfile.CheckName(track) != nil {
			continue
		}
		objs, err := st.List(ctx, trackfile.StagedPrefix(c.name, track))
		c.s.metrics.StoreReads.WithLabelValues("list").Inc()
		if err != nil {
			return nil, nil, fmt.Errorf("list staged segments of %s/%s: %w", c.name, track, err)
		}
		if len(objs) == 0 {
			continue
		}
		keys := make([]string, len(objs))
		sizes := make(map[string]int64, len(objs))
		for i, o := range objs {
			keys[i], sizes[o.Key] = o.Key, o.Size
		}
		prev, err := c.lastHeader(ctx, in.lastKeys, track)
		if err != nil {
			return nil, nil, err
		}
		segs := trackfile.ParseStagedTrack(keys).Segments(prev)
		for _, s := range segs {
			if !s.Miss && s.Header != "" {
				need[headerWant{track, s.Header, s.Ext}] = nil
			}
			keep[s.Key] = true
		}
		listed = append(listed, struct {
			track string
			segs  []trackfile.StagedSegment
			sizes map[string]int64
		}{track, segs, sizes})
	}
	c.loadHeaders(ctx, need)
	for _, l := range listed {
		tr := &stagedTrack{miss: map[uint64]bool{}}
		for _, s := range l.segs {
			if s.Miss {
				tr.miss[s.T] = true
				continue
			}
			h := need[headerWant{l.track, s.Header, s.Ext}]
			if h == nil {
				continue // logged by loadHeaders, or no marker at all
			}
			sl := slots.get(h.Info.Timescale)
			n := sl.Slot(s.T)
			tr.segs = append(tr.segs, stagedSeg{n: n, end: endSlot(sl, n, s.T, s.D), key: s.Key, slate: s.Slate,
				hash: s.Header, info: h.Info, t: s.T, d: s.D, size: l.sizes[s.Key]})
		}
		// Start time order is slot order within a timescale; a header
		// change of timescale could break it: order by slot.
		slices.SortStableFunc(tr.segs, func(a, b stagedSeg) int { return cmp.Compare(a.n, b.n) })
		if len(tr.segs) > 0 || len(tr.miss) > 0 {
			sv.tracks[l.track] = tr
		}
	}
	return sv, keep, nil
}

// headerWant names a CMAF header object of a track.
type headerWant struct{ track, hash, ext string }

// loadHeaders loads the headers of need, StagedReaders at a time; a
// header that cannot be loaded stays nil and is logged.
func (c *channelIndex) loadHeaders(ctx context.Context, need map[headerWant]*trackfile.Header) {
	wants := slices.Collect(maps.Keys(need))
	got := make([]*trackfile.Header, len(wants))
	sem := make(chan struct{}, c.s.opts.StagedReaders)
	var wg sync.WaitGroup
	for i, w := range wants {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			h, err := c.s.header(ctx, c.name, w.track, w.hash, w.ext)
			if err != nil {
				c.s.log.Warn("staged segments left out of catch-up: no CMAF header", "channel", c.name, "track", w.track,
					"header", w.hash, "err", err)
				return
			}
			got[i] = h
		}()
	}
	wg.Wait()
	for i, w := range wants {
		need[w] = got[i]
	}
}

// lastHeader returns the header hash of track's newest run in the index
// objects keys of the last indexed period, "" when it has none there: the
// header in force before the first header-use marker of its staged
// segments (trackfile.StagedTrack.Segments).
func (c *channelIndex) lastHeader(ctx context.Context, keys []string, track string) (string, error) {
	if len(keys) == 0 {
		return "", nil
	}
	idx, err := c.s.loadIndexes(ctx, keys)
	if err != nil {
		return "", err
	}
	var best *trackfile.Run
	for _, p := range idx {
		for i := range p.Runs {
			if r := &p.Runs[i]; r.Track == track && (best == nil || r.FirstN > best.FirstN ||
				r.FirstN == best.FirstN && r.Time > best.Time) {
				best = r
			}
		}
	}
	if best == nil {
		return "", nil
	}
	return trackfile.HeaderHash(best.HeaderKey), nil
}

// stagedAged returns the staged segments as listed at most maxAge ago
// (listing the store again when the listing is older or invalidated).
func (c *channelIndex) stagedAged(ctx context.Context, maxAge time.Duration) (*stagedView, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.freshIndexLocked(ctx, maxAge); err != nil {
		return nil, err
	}
	return c.freshStagedLocked(ctx, maxAge)
}

// find returns the staged segment of track whose start, converted to
// timescale mts, is t; nil if none. n is its approximate grid slot.
func (sv *stagedView) find(track string, n int64, mts uint32, t uint64) *stagedSeg {
	tr := sv.tracks[track]
	if tr == nil {
		return nil
	}
	i, _ := slices.BinarySearchFunc(tr.segs, n-1, func(s stagedSeg, n int64) int { return cmp.Compare(s.n, n) })
	for ; i < len(tr.segs) && tr.segs[i].n <= n+1; i++ {
		if s := &tr.segs[i]; scaleTicks(s.t, s.info.Timescale, mts) == t {
			return s
		}
	}
	return nil
}

// headerHash returns the content hash of a header key
// "{channel}/{track}/init-{hash}.{ext}".
func headerHash(key string) string { return trackfile.HeaderHash(key) }
