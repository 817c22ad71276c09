package catchup

import (
	"cmp"
	"context"
	"math"
	"slices"
	"time"

	"github.com/reapd/reapd/trackfile"
)

// cover is a stretch of media of one track contiguous in time, merged
// from storage track file runs and staged segments: what the browse API
// reports, computed per run rather than per segment where a run lies
// wholly inside the asked range, so that a month of coverage stays cheap.
type cover struct {
	start, stop uint64 // epoch timeline, timescale ts
	ts          uint32
	segments    int64
	bytes       int64
	reason      string // why it ends (trackfile.End* or "miss"/"gap"); "" when cut by the asked range
	staged      bool   // ends with staged segments
	info        *trackfile.TrackInfo
}

func (c *cover) startTime() time.Time { return time.UnixMilli(ticksToMs(c.start, c.ts)).UTC() }
func (c *cover) stopTime() time.Time  { return time.UnixMilli(ticksToMs(c.stop, c.ts)).UTC() }

// covers returns per track the stretches of media that overlap [from,
// to), in time order, stretches that meet (one starts where the other
// stops) merged, a staged copy of a start time that a track file holds
// left out.
func (v *view) covers(from, to time.Time) map[string][]cover {
	return v.coversMs(from.UnixMilli(), to.UnixMilli())
}

// coversMs is covers between epoch ms; math.MinInt64 and math.MaxInt64
// leave a side open (also to media at implausible times, which the browse
// API reports as such).
func (v *view) coversMs(fromMs, toMs int64) map[string][]cover {
	by := map[string][]cover{}
	for _, idx := range v.indexes {
		for i := range idx.Runs {
			r := &idx.Runs[i]
			ts := r.Info.Timescale
			if r.Count() == 0 || ts == 0 {
				continue
			}
			lo, hi := msToTicks(fromMs, ts), msToTicks(toMs, ts)
			end := r.EndTime()
			if r.Time >= hi || end <= lo {
				continue
			}
			c := cover{start: r.Time, stop: end, ts: ts, info: &r.Info, reason: r.End, segments: int64(r.Count())}
			if r.Time >= lo && end <= hi { // wholly inside
				for _, sz := range r.Sizes {
					c.bytes += sz
				}
			} else {
				c.segments, c.reason = 0, ""
				t, pos := r.Time, 0
				for _, rep := range r.Durations {
					for j := 0; j <= rep.R && pos < len(r.Sizes); j++ {
						if t+rep.D > lo && t < hi {
							if c.segments == 0 {
								c.start = t
							}
							c.stop = t + rep.D
							c.segments++
							c.bytes += r.Sizes[pos]
						}
						t += rep.D
						pos++
					}
				}
				if c.stop == end {
					c.reason = r.End
				}
			}
			by[r.Track] = append(by[r.Track], c)
		}
	}
	if v.staged != nil {
		for name, st := range v.staged.tracks {
			for i := range st.segs {
				s := &st.segs[i]
				ts := s.info.Timescale
				if s.t+s.d <= msToTicks(fromMs, ts) || s.t >= msToTicks(toMs, ts) {
					continue
				}
				c := cover{start: s.t, stop: s.t + s.d, ts: ts, segments: 1, bytes: s.size, reason: trackfile.EndGap,
					staged: true, info: &s.info}
				if st.miss[s.t+s.d] {
					c.reason = trackfile.EndMiss
				}
				by[name] = append(by[name], c)
			}
		}
	}
	for name, cs := range by {
		slices.SortStableFunc(cs, func(a, b cover) int {
			return cmp.Or(cmp.Compare(ticksToMs(a.start, a.ts), ticksToMs(b.start, b.ts)), cmp.Compare(a.ts, b.ts),
				cmp.Compare(a.start, b.start), cmp.Compare(boolRank(a.staged), boolRank(b.staged)))
		})
		out := cs[:0]
		for _, c := range cs {
			if len(out) > 0 {
				last := &out[len(out)-1]
				if c.ts == last.ts && c.start < last.stop { // a staged copy of what a track file holds
					continue
				}
				if c.ts == last.ts && c.start == last.stop {
					last.stop, last.segments, last.bytes = c.stop, last.segments+c.segments, last.bytes+c.bytes
					last.reason, last.staged, last.info = c.reason, c.staged, c.info
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
	if _, err := c.grid(ctx); err != nil {
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
	all := func(v *view) map[string][]cover { return v.coversMs(math.MinInt64, math.MaxInt64) }
	if !indexed { // nothing finalized yet: the staged segments are all there is
		head.indexes = nil
	}
	for name, cs := range all(head) {
		ends[name] = [2]cover{cs[0], cs[len(cs)-1]}
	}
	for name, cs := range all(tail) {
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
