package archive

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math/big"

	"github.com/reapd/reapd/blobstore"
	"github.com/reapd/reapd/trackfile"
)

// stagedPeriod is what is staged for one track in one storage period: the
// segment chosen for every start time (trackfile's staged-segment model)
// and every staged key that belongs to the period.
type stagedPeriod struct {
	track string
	ext   string
	ts    uint32
	segs  []trackfile.StagedSegment // by start time
	tss   []uint32                  // the timescale of each of segs (of its header)
	keys  []string                  // every staged copy and marker of the period (to delete)
	sizes map[string]int64          // the listed size of staged objects (of the channel), by key
}

// groupStaged places a track's staged segments, copies and markers in
// storage periods on the grid, each by the slot of its start time in the
// timescale of the header it uses. prevHeader is the header in force
// before the track's first marker.
func (c *channel) groupStaged(ctx context.Context, track string, st *trackfile.StagedTrack, prevHeader string, g trackfile.Grid) (map[int64]*stagedPeriod, error) {
	out := map[int64]*stagedPeriod{}
	get := func(k int64) *stagedPeriod {
		sp := out[k]
		if sp == nil {
			sp = &stagedPeriod{track: track}
			out[k] = sp
		}
		return sp
	}
	period := map[uint64]int64{} // start time → period
	for _, s := range st.Segments(prevHeader) {
		if s.Header == "" {
			s.Header = c.soleHeader(ctx, track)
		}
		ts, err := c.timescaleOf(ctx, track, s.Header, s.Ext)
		if errors.Is(err, blobstore.ErrUnavailable) {
			return nil, fmt.Errorf("staged %s: %w", s.Key, err)
		}
		if err != nil {
			// Left staged (and its copies undeleted) for an operator: one
			// segment without a header must not hold the channel up.
			c.log.Error("staged segment without a usable header: left staged", "track", track, "key", s.Key, "err", err)
			continue
		}
		k := g.Period(g.SegmentIndex(s.T, ts))
		period[s.T] = k
		sp := get(k)
		sp.ext, sp.ts = s.Ext, ts
		sp.segs = append(sp.segs, s)
		sp.tss = append(sp.tss, ts)
	}
	for _, cp := range st.Copies {
		if k, ok := period[cp.T]; ok {
			get(k).keys = append(get(k).keys, cp.Key)
		}
	}
	ts := c.trackTimescale(track)
	if segs := st.Segments(prevHeader); len(segs) > 0 {
		ts = get(period[segs[0].T]).ts
	}
	for _, m := range st.Marks {
		k, err := c.markPeriod(ctx, track, m, ts, g)
		if errors.Is(err, blobstore.ErrUnavailable) {
			return nil, fmt.Errorf("staged %s: %w", m.Key, err)
		}
		if err != nil {
			c.log.Error("header-use marker without a usable header: left staged", "track", track, "key", m.Key, "err", err)
			continue
		}
		get(k).keys = append(get(k).keys, m.Key)
	}
	return out, nil
}

// markPeriod places a header-use marker in its storage period: by the
// track's timescale ts, or, when no staged segment gives one (0: the
// marker outlived its segments, cut off by a crash while finalizing
// deleted them), by the timescale of the header the marker names.
func (c *channel) markPeriod(ctx context.Context, track string, m trackfile.HeaderMark, ts uint32, g trackfile.Grid) (int64, error) {
	if ts == 0 {
		h, err := c.headerByHash(ctx, track, m.Hash)
		if err != nil {
			return 0, err
		}
		ts = h.Info.Timescale
	}
	return g.Period(g.SegmentIndex(m.T, ts)), nil
}

// plannedSegment is one segment chosen for a storage track file.
type plannedSegment struct {
	t, d   uint64
	key    string
	size   int64  // as listed; 0 if not known
	header string // header hash
}

// plannedRun is a run of segments with one header, contiguous in time.
type plannedRun struct {
	track  string
	header string
	ts     uint32 // the header's timescale
	segs   []plannedSegment
	end    string // trackfile.End* reason, "" to decide when written
}

func (pr *plannedRun) endTime() uint64 { s := pr.segs[len(pr.segs)-1]; return s.t + s.d }

// plan cuts the period's segments not already covered into runs that are
// contiguous in time with one header (design section 4): each segment
// continues the first run that ends exactly where it starts with its
// header, else starts a new one. So split segments (a splice), short and
// alternating ones stay in one run, and a segment that overlaps others (an
// encoder off the others' boundaries) becomes a part of its own: nothing
// is dropped. A run followed by a 'miss' segment or a header change at
// its end says so.
func (sp *stagedPeriod) plan(covered func(t uint64) bool) []plannedRun {
	var runs []plannedRun
	for j, s := range sp.segs {
		if covered(s.T) || s.Miss {
			continue
		}
		ps := plannedSegment{t: s.T, d: s.D, key: s.Key, size: sp.sizes[s.Key], header: s.Header}
		placed := false
		for i := range runs {
			if r := &runs[i]; r.endTime() == s.T && r.header == s.Header {
				r.segs = append(r.segs, ps)
				placed = true
				break
			}
		}
		if !placed {
			runs = append(runs, plannedRun{track: sp.track, header: s.Header, ts: sp.tss[j], segs: []plannedSegment{ps}})
		}
	}
	for i := range runs {
		r := &runs[i]
		end := r.endTime()
		for j, s := range sp.segs {
			if !sameInstant(s.T, sp.tss[j], end, r.ts) {
				continue
			}
			switch {
			case s.Miss:
				r.end = trackfile.EndMiss
			case s.Header != r.header:
				r.end = trackfile.EndHeader
			}
		}
		if n := len(sp.segs) - 1; r.end == "" && !earlier(sp.segs[n].T, sp.tss[n], end, r.ts) {
			r.end = trackfile.EndGap // media follows after a hole
		}
	}
	return runs
}

// sameInstant reports whether a/ta and b/tb seconds are equal.
func sameInstant(a uint64, ta uint32, b uint64, tb uint32) bool {
	return compareInstants(a, ta, b, tb) == 0
}

// earlier reports whether a/ta seconds is before b/tb.
func earlier(a uint64, ta uint32, b uint64, tb uint32) bool {
	return compareInstants(a, ta, b, tb) < 0
}

func compareInstants(a uint64, ta uint32, b uint64, tb uint32) int {
	if ta == tb {
		return cmp.Compare(a, b)
	}
	x := new(big.Int).Mul(new(big.Int).SetUint64(a), big.NewInt(int64(tb)))
	y := new(big.Int).Mul(new(big.Int).SetUint64(b), big.NewInt(int64(ta)))
	return x.Cmp(y)
}

// soleHeader returns the hash of a track's only CMAF header in the store,
// "" when it has none or several: the header of a staged segment whose
// marker is gone (a late segment of a finalized period, after a restart).
func (c *channel) soleHeader(ctx context.Context, track string) string {
	objs, err := c.a.store.List(ctx, fmt.Sprintf("%s/%s/init-", c.name, track))
	if err != nil || len(objs) != 1 {
		return ""
	}
	return trackfile.HeaderHash(objs[0].Key)
}
