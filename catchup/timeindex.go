package catchup

import (
	"context"
	"errors"
	"fmt"
	"math"
	"path"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/reapd/reapd/smpd"
	"github.com/reapd/reapd/trackfile"
)

// channelIndex is the time index of one channel: which period index
// objects exist (listed from {channel}/index/ at most every IndexTTL, or
// at once after Invalidate), the channel timing, the latest I-MPD, and —
// when a window reaches the open period — the staged segments. Period
// index objects themselves are loaded on demand through the server's LRU:
// a 24-hour window reads the 24 or so objects it spans, never a track
// file head.
type channelIndex struct {
	s    *Server
	name string

	mu        sync.Mutex
	listedAt  time.Time
	stale     bool
	periods   map[int64][]string // k → keys of its index objects, sorted
	ks        []int64            // periods with index objects, sorted
	timing    *trackfile.ChannelTiming
	ingestKey string
	ingest    *smpd.IngestMPD
	staged    *stagedView
	stagedAt  time.Time
	layouts   map[string]*stagedLayout // how staged segments normalize, by key (see segment_staged.go)
	flight    *indexFlight             // the index refresh in flight (timeindex_refresh.go)
	sflight   *stagedFlight            // the staged listing in flight (timeindex_refresh.go)
	gen       int                      // bumped by invalidate
}

// view is what one request sees of a channel: a consistent snapshot.
type view struct {
	channel string
	grid    trackfile.Grid
	sts     trackfile.Rational
	ingest  *smpd.IngestMPD
	indexes []*trackfile.PeriodIndex // the asked periods' index objects, in period order
	staged  *stagedView              // nil unless asked for or needed
	firstK  int64                    // first and last period with an index object;
	lastK   int64                    // math.MinInt64 when there is none
	slots   slotters                 // grid slots of start times, per timescale
}

// endSlot returns the slot just after segment [t, t+d) of slot n.
func (v *view) endSlot(n int64, t, d uint64, ts uint32) int64 {
	return endSlot(v.slots.get(ts), n, t, d)
}

// noPeriod marks the absence of a period.
const noPeriod = math.MinInt64

// stagedMode says whether a view includes the staged segments.
type stagedMode int

const (
	stagedAuto   stagedMode = iota // when the periods reach the last indexed one or lack an index
	stagedNever                    // finalized data only
	stagedAlways                   // always (browse API: the live edge)
)

// channel returns the time index of a channel; ErrNotFound if the store
// holds nothing of it.
func (s *Server) channel(ctx context.Context, name string) (*channelIndex, error) {
	if err := trackfile.CheckName(name); err != nil {
		return nil, fmt.Errorf("%w: channel: %v", ErrBadRequest, err)
	}
	s.mu.Lock()
	c := s.channels[name]
	s.mu.Unlock()
	if c != nil {
		return c, nil
	}
	c = &channelIndex{s: s, name: name, layouts: map[string]*stagedLayout{}}
	c.mu.Lock()
	err := c.listIndexLocked(ctx)
	exists := len(c.ks) > 0 || c.timing != nil
	c.mu.Unlock()
	if err != nil {
		return nil, err
	}
	if !exists {
		return nil, notFound("unknown channel %q", name)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if prev := s.channels[name]; prev != nil {
		return prev, nil
	}
	s.channels[name] = c
	return c, nil
}

// invalidate makes the next view list the store again (period indexes,
// and staged segments when it needs them).
func (c *channelIndex) invalidate() {
	c.mu.Lock()
	c.stale = true
	c.gen++
	c.staged = nil
	c.mu.Unlock()
}

// view returns a snapshot for periods [kLo, kHi], listing the store when
// the last listing is older than IndexTTL.
func (c *channelIndex) view(ctx context.Context, kLo, kHi int64, mode stagedMode) (*view, error) {
	return c.viewAged(ctx, kLo, kHi, mode, c.s.opts.IndexTTL)
}

// viewAged is view with a listing at most maxAge old (or invalidated).
func (c *channelIndex) viewAged(ctx context.Context, kLo, kHi int64, mode stagedMode, maxAge time.Duration) (*view, error) {
	c.mu.Lock()
	if err := c.freshIndexLocked(ctx, maxAge); err != nil {
		c.mu.Unlock()
		return nil, err
	}
	ttl := c.s.opts.IndexTTL
	want := mode == stagedAlways
	if mode == stagedAuto {
		want = len(c.ks) == 0 || kHi >= c.ks[len(c.ks)-1]
		if !want { // a period inside the archive without an index?
			lo, hi := max(kLo, c.ks[0]), min(kHi, c.ks[len(c.ks)-1])
			i, _ := slices.BinarySearch(c.ks, lo)
			j, _ := slices.BinarySearch(c.ks, hi+1)
			want = hi >= lo && int64(j-i) < hi-lo+1
		}
	}
	var staged *stagedView
	if want {
		sv, err := c.freshStagedLocked(ctx, ttl)
		if err != nil {
			c.mu.Unlock()
			return nil, err
		}
		staged = sv
	}
	v := &view{channel: c.name, ingest: c.ingest, firstK: noPeriod, lastK: noPeriod, staged: staged}
	if len(c.ks) > 0 {
		v.firstK, v.lastK = c.ks[0], c.ks[len(c.ks)-1]
	}
	var keys []string
	if kHi >= kLo {
		lo, _ := slices.BinarySearch(c.ks, kLo)
		for _, k := range c.ks[lo:] {
			if k > kHi {
				break
			}
			keys = append(keys, c.periods[k]...)
		}
	}
	timing := c.timing
	if timing == nil && len(c.ks) > 0 {
		keys = append(keys, c.periods[c.ks[len(c.ks)-1]][0]) // for the grid
	}
	c.mu.Unlock()

	idx, err := c.s.loadIndexes(ctx, keys)
	if err != nil {
		return nil, err
	}
	if timing == nil && len(idx) > 0 {
		last := idx[len(idx)-1]
		idx = idx[:len(idx)-1]
		timing = timingOf(last)
	}
	if timing == nil || timing.SegmentDuration.IsZero() || timing.PeriodSegments <= 0 {
		return nil, notFound("channel %q has no segment timing yet", c.name)
	}
	v.grid = timing.Grid()
	v.slots = slotters{g: v.grid}
	v.sts = timing.STS
	v.indexes = idx
	return v, nil
}

// grid returns the channel's segment grid: from its timing object, else
// from its latest period index.
func (c *channelIndex) grid(ctx context.Context) (trackfile.Grid, error) {
	return c.gridAged(ctx, c.s.opts.IndexTTL)
}

// gridAged is grid with a listing at most maxAge old (or invalidated).
func (c *channelIndex) gridAged(ctx context.Context, maxAge time.Duration) (trackfile.Grid, error) {
	c.mu.Lock()
	if err := c.freshIndexLocked(ctx, maxAge); err != nil {
		c.mu.Unlock()
		return trackfile.Grid{}, err
	}
	timing := c.timing
	var key string
	if timing == nil && len(c.ks) > 0 {
		key = c.periods[c.ks[len(c.ks)-1]][0]
	}
	c.mu.Unlock()
	if timing == nil && key != "" {
		idx, err := c.s.loadIndexes(ctx, []string{key})
		if err != nil {
			return trackfile.Grid{}, err
		}
		timing = timingOf(idx[0])
	}
	if timing == nil || timing.SegmentDuration.IsZero() || timing.PeriodSegments <= 0 {
		return trackfile.Grid{}, notFound("channel %q has no segment timing yet", c.name)
	}
	return timing.Grid(), nil
}

// timingOf returns the channel timing a period index was written with
// (for a channel whose timing object is missing).
func timingOf(idx *trackfile.PeriodIndex) *trackfile.ChannelTiming {
	return &trackfile.ChannelTiming{SegmentDuration: idx.SegmentDuration, PeriodSegments: idx.PeriodSegments,
		STS: idx.STS, Phase: idx.Phase}
}

// viewWindow returns a snapshot for the periods that window w touches.
func (c *channelIndex) viewWindow(ctx context.Context, w Window, mode stagedMode) (*view, error) {
	g, err := c.grid(ctx)
	if err != nil {
		return nil, err
	}
	kLo, kHi := g.Period(g.SegmentAt(w.Start)-1), int64(math.MaxInt64)
	if !w.StartOver() {
		kHi = g.Period(g.SegmentAt(w.End) + 1)
	}
	return c.view(ctx, kLo, kHi, mode)
}

// compareIndexKeys orders a period's index objects: the first finalize
// ("{k}.json") before its additions.
func compareIndexKeys(a, b string) int {
	addition := func(key string) bool {
		name := strings.TrimSuffix(path.Base(key), ".json")
		return len(name) > 1 && strings.IndexByte(name[1:], '-') >= 0
	}
	if xa, xb := addition(a), addition(b); xa != xb {
		if xa {
			return 1
		}
		return -1
	}
	return strings.Compare(a, b)
}

// loadIndexes loads index objects (cached, in parallel), in key order.
func (s *Server) loadIndexes(ctx context.Context, keys []string) ([]*trackfile.PeriodIndex, error) {
	out := make([]*trackfile.PeriodIndex, len(keys))
	var missing []int
	for i, k := range keys {
		if idx, ok := s.indexes.peek(k); ok {
			out[i] = idx
		} else {
			missing = append(missing, i)
		}
	}
	if len(missing) == 0 {
		return out, nil
	}
	errs := make([]error, len(keys))
	sem := make(chan struct{}, 8)
	var wg sync.WaitGroup
	for _, i := range missing {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			out[i], errs[i] = s.indexes.get(ctx, keys[i], func(ctx context.Context) (*trackfile.PeriodIndex, error) {
				raw, err := s.store.Get(ctx, keys[i])
				s.metrics.StoreReads.WithLabelValues("index").Inc()
				if err != nil {
					return nil, fmt.Errorf("period index %s: %w", keys[i], err)
				}
				idx, err := trackfile.UnmarshalIndex(raw)
				if err != nil {
					return nil, fmt.Errorf("period index %s: %w", keys[i], err)
				}
				return idx, nil
			})
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return out, nil
}
