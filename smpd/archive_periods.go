package smpd

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/reapd/reapd/trackfile"
)

// archRun is a validated storage track file run with what the S-MPD needs.
type archRun struct {
	*trackfile.Run
	end       int64  // FirstN + Count: the segment just after the run
	baseURL   string // the key relative to "{channel}/"
	bandwidth uint32 // Info.Bandwidth, else measured
	maxDur    uint64 // longest segment, in Info.Timescale
}

// prepareRuns validates the runs, drops empty ones and sorts them by
// (FirstN, Track, Key).
func prepareRuns(channel string, runs []trackfile.Run) ([]*archRun, error) {
	out := make([]*archRun, 0, len(runs))
	for i := range runs {
		r := &runs[i]
		if r.Count() == 0 {
			continue
		}
		if r.Info.Timescale == 0 {
			return nil, fmt.Errorf("smpd: run %s has no timescale", r.Key)
		}
		base, ok := strings.CutPrefix(r.Key, channel+"/")
		if !ok || base == "" {
			return nil, fmt.Errorf("smpd: run key %q is not under channel %q", r.Key, channel)
		}
		if r.InitRange.End <= r.InitRange.Start || r.IndexRange.End <= r.IndexRange.Start || r.InitRange.Start < 0 || r.IndexRange.Start < 0 {
			return nil, fmt.Errorf("smpd: run %s has an empty init or index range", r.Key)
		}
		var n int64
		var total, maxDur uint64
		for _, d := range r.Durations {
			if d.R < 0 || d.D == 0 {
				return nil, fmt.Errorf("smpd: run %s has a bad duration entry", r.Key)
			}
			n += int64(d.R) + 1
			total += d.D * uint64(d.R+1)
			maxDur = max(maxDur, d.D)
		}
		if n != int64(r.Count()) {
			return nil, fmt.Errorf("smpd: run %s has %d durations for %d segments", r.Key, n, r.Count())
		}
		ar := &archRun{Run: r, end: r.FirstN + int64(r.Count()), baseURL: base, bandwidth: r.Info.Bandwidth, maxDur: maxDur}
		if ar.bandwidth == 0 {
			ar.bandwidth = measuredBandwidth(r.Sizes, total, r.Info.Timescale)
		}
		out = append(out, ar)
	}
	slices.SortFunc(out, func(a, b *archRun) int {
		return cmp.Or(cmp.Compare(a.FirstN, b.FirstN), cmp.Compare(a.Track, b.Track), cmp.Compare(a.Key, b.Key))
	})
	return out, nil
}

// measuredBandwidth returns the average bit rate, rounded up.
func measuredBandwidth(sizes []int64, duration uint64, timescale uint32) uint32 {
	var bytes uint64
	for _, s := range sizes {
		bytes += uint64(max(s, 0))
	}
	if duration == 0 {
		return 0
	}
	bps := ceilMulDiv(bytes*8, uint64(timescale), duration)
	return uint32(min(bps, 1<<32-1))
}

// timeAt returns the presentation time of the start of segment n (FirstN ≤
// n ≤ end) on the epoch timeline: the sidx earliest presentation time plus
// the durations of the segments before n.
func (r *archRun) timeAt(n int64) uint64 {
	t, left := r.EPT, n-r.FirstN
	for _, d := range r.Durations {
		k := min(left, int64(d.R)+1)
		t += d.D * uint64(k)
		if left -= k; left == 0 {
			break
		}
	}
	return t
}

// archPeriod is the stretch [startN, endN) of the segment grid over which
// the same runs play: one S-MPD Period.
type archPeriod struct {
	startN, endN int64
	runs         []*archRun // at most one per track, in run order
	byTrack      map[string]*archRun
	id           string
	startMs      int64
}

// splitPeriods cuts the segment grid at every run start and end, across
// all tracks, and returns the stretches covered by at least one run, with
// the time of every boundary in ms. Each run in a period covers it fully.
func splitPeriods(runs []*archRun) ([]*archPeriod, map[int64]int64) {
	var bounds []int64
	for _, r := range runs {
		bounds = append(bounds, r.FirstN, r.end)
	}
	slices.Sort(bounds)
	bounds = slices.Compact(bounds)
	times := make(map[int64]int64, len(bounds))
	var periods []*archPeriod
	var active, ended []*archRun
	next := 0
	for i, b := range bounds {
		ended = ended[:0]
		active = slices.DeleteFunc(active, func(r *archRun) bool {
			if r.end <= b {
				ended = append(ended, r)
				return true
			}
			return false
		})
		for ; next < len(runs) && runs[next].FirstN <= b; next++ {
			active = append(active, runs[next])
		}
		times[b] = boundaryMs(b, active, ended)
		if len(active) == 0 || i+1 == len(bounds) {
			continue
		}
		p := &archPeriod{startN: b, endN: bounds[i+1], byTrack: make(map[string]*archRun, len(active))}
		for _, r := range active { // run order: an overlapping later run of a track loses
			if p.byTrack[r.Track] == nil {
				p.byTrack[r.Track] = r
				p.runs = append(p.runs, r)
			}
		}
		periods = append(periods, p)
	}
	return periods, times
}

// boundaryMs returns the time of grid boundary n in ms, rounded to the
// nearest ms: the time of a run that plays from n on (else one that ends
// at n), video first, then by track name. The tracks of a channel share
// the grid, so their times at n differ by less than a frame; the rounding
// makes Period@start exact in an mpd.Duration, which keeps three decimals.
func boundaryMs(n int64, active, ended []*archRun) int64 {
	better := func(a, b *archRun) bool {
		va, vb := a.Info.Handler == "vide", b.Info.Handler == "vide"
		if va != vb {
			return va
		}
		return cmp.Or(cmp.Compare(a.Track, b.Track), cmp.Compare(a.Key, b.Key)) < 0
	}
	var best *archRun
	for _, set := range [2][]*archRun{active, ended} {
		for _, r := range set {
			if best == nil || better(r, best) {
				best = r
			}
		}
		if best != nil {
			break
		}
	}
	return ticksToMs(best.timeAt(n), best.Info.Timescale)
}

// ticksToMs converts ticks to ms, rounding half up, without overflow.
func ticksToMs(ticks uint64, timescale uint32) int64 {
	ts := uint64(timescale)
	q, r := ticks/ts, ticks%ts
	return int64(q*1000 + (r*1000+ts/2)/ts)
}

// msToTicks converts ms to ticks, rounding half up, without overflow.
func msToTicks(ms int64, timescale uint32) uint64 {
	ts := uint64(timescale)
	q, r := uint64(ms)/1000, uint64(ms)%1000
	return q*ts + (r*ts+500)/1000
}

// ceilMulDiv returns ceil(a·b/c), without overflow while (c-1)·b and
// a/c·b fit in 64 bits.
func ceilMulDiv(a, b, c uint64) uint64 {
	q, r := a/c, a%c
	return q*b + (r*b+c-1)/c
}

// continues reports whether track run cur, starting period p, continues
// run prev of the period before it without a break: the same storage track
// file, or the next file with the same CMAF header and contiguous times.
func continues(prev, cur *archRun, p *archPeriod) bool {
	if prev == cur {
		return true
	}
	return prev.end == p.startN && cur.FirstN == p.startN &&
		prev.HeaderKey != "" && prev.HeaderKey == cur.HeaderKey &&
		prev.Info.Timescale == cur.Info.Timescale && prev.EndTime() == cur.Time
}
