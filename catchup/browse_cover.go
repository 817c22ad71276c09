package catchup

import (
	"cmp"
	"context"
	"slices"
	"time"

	"github.com/reapd/reapd/trackfile"
)

// cover is a stretch of contiguous media of one track (segments n in
// [first, end)), merged from storage track file runs and staged segments:
// what the browse API reports, computed per run rather than per segment
// so that a month of coverage stays cheap.
type cover struct {
	first, end  int64
	start, stop uint64 // epoch timeline, timescale ts
	ts          uint32
	bytes       int64
	reason      string // why it ends (trackfile.End* or "miss"/"gap"); "" when cut by the asked range
	staged      bool   // ends with staged segments
	info        *trackfile.TrackInfo
}

func (c *cover) startTime() time.Time { return time.UnixMilli(ticksToMs(c.start, c.ts)).UTC() }
func (c *cover) stopTime() time.Time  { return time.UnixMilli(ticksToMs(c.stop, c.ts)).UTC() }

// covers returns per track the stretches of media with n in [nLo, nHi],
// in order, adjacent stretches merged.
func (v *view) covers(nLo, nHi int64) map[string][]cover {
	by := map[string][]cover{}
	for _, idx := range v.indexes {
		for i := range idx.Runs {
			r := &idx.Runs[i]
			end := r.FirstN + int64(r.Count())
			lo, hi := max(r.FirstN, nLo), min(end, nHi+1)
			if r.Count() == 0 || lo >= hi {
				continue
			}
			c := cover{first: lo, end: hi, ts: r.Info.Timescale, info: &r.Info}
			t, pos := r.Time, int64(0)
			for _, rep := range r.Durations {
				for j := 0; j <= rep.R && pos < int64(r.Count()); j++ {
					n := r.FirstN + pos
					if n == lo {
						c.start = t
					}
					if n >= lo && n < hi {
						c.bytes += r.Sizes[pos]
					}
					t += rep.D
					pos++
					if n+1 == hi {
						c.stop = t
					}
				}
			}
			if hi == end {
				c.reason = r.End
			}
			by[r.Track] = append(by[r.Track], c)
		}
	}
	if v.staged != nil {
		for name, st := range v.staged.tracks {
			for _, s := range st.segs {
				if s.n < nLo || s.n > nHi {
					continue
				}
				c := cover{first: s.n, end: s.n + 1, start: s.t, stop: s.t + s.d, ts: s.info.Timescale,
					bytes: s.size, reason: trackfile.EndGap, staged: true, info: &s.info}
				if st.miss[s.n+1] {
					c.reason = trackfile.EndMiss
				}
				by[name] = append(by[name], c)
			}
		}
	}
	for name, cs := range by {
		slices.SortStableFunc(cs, func(a, b cover) int {
			return cmp.Or(cmp.Compare(a.first, b.first), cmp.Compare(boolRank(a.staged), boolRank(b.staged)))
		})
		out := cs[:0]
		for _, c := range cs {
			if len(out) > 0 {
				last := &out[len(out)-1]
				if c.first < last.end { // a staged copy of what a track file holds
					continue
				}
				if c.first == last.end && c.ts == last.ts {
					last.end, last.stop, last.bytes, last.reason, last.staged, last.info = c.end, c.stop, last.bytes+c.bytes, c.reason, c.staged, c.info
					continue
				}
			}
			out = append(out, c)
		}
		by[name] = out
	}
	return by
}

func boolRank(b bool) int {
	if b {
		return 1
	}
	return 0
}

// extent returns the first and last instant with media of a channel, and
// per track its covers at both ends (for the channel API).
func (s *Server) extent(ctx context.Context, c *channelIndex) (first, last time.Time, ends map[string][2]cover, ok bool) {
	g, err := c.grid(ctx)
	if err != nil {
		return
	}
	c.mu.Lock()
	firstK, lastK, indexed := int64(0), int64(0), len(c.ks) > 0
	if indexed {
		firstK, lastK = c.ks[0], c.ks[len(c.ks)-1]
	}
	c.mu.Unlock()
	head, err := c.view(ctx, firstK, firstK, stagedAlways)
	if err != nil {
		return
	}
	tail, err := c.view(ctx, lastK, lastK, stagedAlways)
	if err != nil {
		return
	}
	ends = map[string][2]cover{}
	for name, cs := range head.covers(g.PeriodFirst(firstK), g.PeriodFirst(firstK+1)-1) {
		ends[name] = [2]cover{cs[0], cs[len(cs)-1]}
	}
	if !indexed { // nothing finalized yet: the staged segments are all there is
		head.indexes = nil
		for name, cs := range head.covers(0, 1<<62) {
			ends[name] = [2]cover{cs[0], cs[len(cs)-1]}
		}
	}
	for name, cs := range tail.covers(g.PeriodFirst(lastK), 1<<62) {
		e, had := ends[name]
		if !had {
			e[0] = cs[0]
		}
		e[1] = cs[len(cs)-1]
		ends[name] = e
	}
	for _, e := range ends {
		a, b := e[0].startTime(), e[1].stopTime()
		if !ok || a.Before(first) {
			first = a
		}
		if !ok || b.After(last) {
			last = b
		}
		ok = true
	}
	return
}
