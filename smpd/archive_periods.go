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
	end       int64  // EndSlot: the grid slot just after the run
	baseURL   string // the key relative to "{channel}/"
	bandwidth uint32 // Info.Bandwidth, else measured
	maxDur    uint64 // longest segment, in Info.Timescale
	total     uint64 // duration of all segments, in Info.Timescale
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
		ar := &archRun{Run: r, end: r.EndSlot(), baseURL: base, bandwidth: r.Info.Bandwidth, maxDur: maxDur, total: total}
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

// startMs and endMs return the presentation time of the start of the
// run's first segment (the sidx earliest presentation time) and of the end
// of its last, in ms on the epoch timeline.
func (r *archRun) startMs() int64 { return ticksToMs(r.EPT, r.Info.Timescale) }
func (r *archRun) endMs() int64   { return ticksToMs(r.EPT+r.total, r.Info.Timescale) }

// archPeriod is the stretch [startN, endN) of grid slots over which the
// same runs play: one S-MPD Period.
type archPeriod struct {
	startN, endN int64
	runs         []*archRun // at most one per track, in run order
	byTrack      map[string]*archRun
	id           string
	startMs      int64
}

// splitPeriods cuts the grid at every run's first and end slot, across
// all tracks, and returns the stretches covered by at least one run, with
// the time of every boundary in ms. Each run in a period covers it fully.
// Slots, not times, decide the cuts: tracks whose runs start or end a few
// ms apart (AAC priming, audio frames that do not fit the grid) share a
// slot and so a boundary. Slivers left by runs that do round to
// neighbouring slots are merged away (mergeSlivers).
func splitPeriods(runs []*archRun) ([]*archPeriod, map[int64]int64) {
	var bounds []int64
	for _, r := range runs {
		bounds = append(bounds, r.FirstN, r.end)
	}
	slices.Sort(bounds)
	bounds = slices.Compact(bounds)
	times := make(map[int64]int64, len(bounds))
	var periods []*archPeriod
	var active, started, ended []*archRun
	next := 0
	for i, b := range bounds {
		ended, started = ended[:0], started[:0]
		active = slices.DeleteFunc(active, func(r *archRun) bool {
			if r.end <= b {
				ended = append(ended, r)
				return true
			}
			return false
		})
		for ; next < len(runs) && runs[next].FirstN <= b; next++ {
			active = append(active, runs[next])
			started = append(started, runs[next])
		}
		times[b] = boundaryMs(started, ended)
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
	return mergeSlivers(periods, times, slotMs(runs)), times
}

// boundaryMs returns the time of a slot boundary in ms, rounded to the
// nearest ms: the start of a run that starts there, else the end of one
// that ends there (one of them always does: boundaries are run starts and
// ends), video first, then by track name. A run that plays on across the
// boundary is not asked: the time of its segment there is not known
// without the grid, and its presentationTimeOffset is the Period start
// anyway. The rounding makes Period@start exact in an mpd.Duration, which
// keeps three decimals.
func boundaryMs(started, ended []*archRun) int64 {
	better := func(a, b *archRun) bool {
		va, vb := a.Info.Handler == "vide", b.Info.Handler == "vide"
		if va != vb {
			return va
		}
		return cmp.Or(cmp.Compare(a.Track, b.Track), cmp.Compare(a.Key, b.Key)) < 0
	}
	pick := func(set []*archRun) *archRun {
		var best *archRun
		for _, r := range set {
			if best == nil || better(r, best) {
				best = r
			}
		}
		return best
	}
	if r := pick(started); r != nil {
		return r.startMs()
	}
	return pick(ended).endMs()
}

// slotMs estimates the duration of a grid slot in ms, which the S-MPD
// input does not carry: the median over the runs of their duration per
// slot.
func slotMs(runs []*archRun) int64 {
	var per []int64
	for _, r := range runs {
		if slots := r.end - r.FirstN; slots > 0 {
			per = append(per, (r.endMs()-r.startMs())/slots)
		}
	}
	if len(per) == 0 {
		return 0
	}
	slices.Sort(per)
	return per[len(per)/2]
}

// mergeSlivers removes Periods shorter than half a slot whose runs all
// play in a neighbouring Period: the stretch between two boundaries that
// are one instant for the media but fell into neighbouring slots (an audio
// run starting 21 ms before the video at a slot midpoint). Such a sliver
// joins the Period before it (which then ends where the sliver ended), or
// else gives way to the one after it (which keeps its start: the few ms
// of the sliver's runs before it are not presented). A sliver that holds
// a run no neighbour plays stays: no track's media is dropped.
func mergeSlivers(periods []*archPeriod, times map[int64]int64, slot int64) []*archPeriod {
	if slot <= 0 {
		return periods
	}
	subset := func(p, of *archPeriod) bool {
		for _, r := range p.runs {
			if of.byTrack[r.Track] != r {
				return false
			}
		}
		return true
	}
	out := periods[:0]
	for i, p := range periods {
		var prev, next *archPeriod
		if len(out) > 0 && out[len(out)-1].endN == p.startN {
			prev = out[len(out)-1]
		}
		if i+1 < len(periods) && periods[i+1].startN == p.endN {
			next = periods[i+1]
		}
		if 2*(times[p.endN]-times[p.startN]) >= slot {
			out = append(out, p)
			continue
		}
		switch {
		case prev != nil && subset(p, prev):
			prev.endN = p.endN
		case next != nil && subset(p, next):
			if prev != nil {
				prev.endN = next.startN
			}
		default:
			out = append(out, p)
		}
	}
	return out
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
