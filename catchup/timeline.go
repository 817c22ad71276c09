package catchup

import (
	"cmp"
	"slices"

	"github.com/reapd/reapd/trackfile"
)

// segment is one media segment of a track in a window. It holds no
// pointers (a 24-hour window has 130 000 of them): src indexes the
// track's sources, a run (src ≥ 0) or a staged segment (^src).
//
// A segment is identified by its start time t; n is the grid slot of t,
// which orders and cuts (Periods, window edges) but is not unique: a
// split segment shares its slot with the one before it, and a segment
// longer than D leaves the next slot empty.
type segment struct {
	n    int64  // grid slot of t
	t, d uint64 // epoch timeline, track timescale
	size int64  // bytes as served (normalized; a staged object's size)
	src  int32
}

// trackTimeline is the segments of one track, in start time order, one
// per start time (a storage track file's copy over a staged one).
type trackTimeline struct {
	name   string
	runs   []*trackfile.Run
	staged []*stagedSeg
	segs   []segment
	// unordered: segs were not added in strictly increasing (slot,
	// start) order with distinct starts, so order must sort them.
	unordered bool
}

// add appends s to the track's segments, noting whether they stay in
// order (gather adds them run by run, and runs rarely overlap: checking as
// they come spares order a pass over a day's segments).
func (tl *trackTimeline) add(s segment) {
	if n := len(tl.segs); n > 0 && !tl.unordered {
		last := &tl.segs[n-1]
		tl.unordered = last.t == s.t || cmp.Or(cmp.Compare(last.n, s.n), cmp.Compare(last.t, s.t)) >= 0
	}
	tl.segs = append(tl.segs, s)
}

// hash returns the content hash of the CMAF header of s.
func (tl *trackTimeline) hash(s *segment) string {
	if s.src < 0 {
		return tl.staged[^s.src].hash
	}
	return headerHash(tl.runs[s.src].HeaderKey)
}

// segInfo returns the TrackInfo of the CMAF header of s.
func (tl *trackTimeline) segInfo(s *segment) *trackfile.TrackInfo {
	if s.src < 0 {
		return &tl.staged[^s.src].info
	}
	return &tl.runs[s.src].Info
}

// info returns the TrackInfo of the track's last segment.
func (tl *trackTimeline) info() *trackfile.TrackInfo { return tl.segInfo(&tl.segs[len(tl.segs)-1]) }

// gather returns, per track, the segments that the view holds in grid
// slots [nLo, nHi]: those that start in a slot ≤ nHi and end after slot
// nLo starts. Tracks come in presentation order (video, audio, text,
// other; then by name).
func (v *view) gather(nLo, nHi int64) []*trackTimeline {
	by := map[string]*trackTimeline{}
	get := func(name string) *trackTimeline {
		tl := by[name]
		if tl == nil {
			tl = &trackTimeline{name: name}
			by[name] = tl
		}
		return tl
	}
	overlaps := func(first, end int64) bool { return first <= nHi && end > nLo }
	count := map[*trackTimeline]int{}
	for _, idx := range v.indexes { // size the slices first (an upper bound)
		for i := range idx.Runs {
			r := &idx.Runs[i]
			if r.Count() > 0 && overlaps(r.FirstN, r.EndSlot()) {
				tl := get(r.Track)
				tl.runs = append(tl.runs, r)
				count[tl] += r.Count()
			}
		}
	}
	for _, tl := range by {
		tl.segs = make([]segment, 0, count[tl])
		for src, r := range tl.runs {
			sl := v.slots.get(r.Info.Timescale)
			var prev segment
			have, done := false, false
			keep := func(end int64) { // prev, which ends in slot end
				if have && overlaps(prev.n, end) {
					tl.add(prev)
				}
			}
			t, i := r.Time, 0
			for _, rep := range r.Durations {
				for j := 0; j <= rep.R && i < len(r.Sizes) && !done; j++ {
					n := sl.Slot(t)
					keep(max(n, prev.n+1)) // prev ends where this one starts
					prev, have = segment{n: n, t: t, d: rep.D, size: r.Sizes[i], src: int32(src)}, n <= nHi
					done = !have
					t += rep.D
					i++
				}
			}
			keep(endSlot(sl, prev.n, prev.t, prev.d))
		}
	}
	if v.staged != nil {
		for name, st := range v.staged.tracks {
			i, _ := slices.BinarySearchFunc(st.segs, nLo, func(s stagedSeg, n int64) int { return cmp.Compare(s.end, n+1) })
			for j := i; j < len(st.segs); j++ {
				s := &st.segs[j]
				if s.n > nHi {
					break
				}
				if !overlaps(s.n, s.end) {
					continue
				}
				tl := get(name)
				tl.staged = append(tl.staged, s)
				tl.add(segment{n: s.n, t: s.t, d: s.d, size: s.size, src: ^int32(len(tl.staged) - 1)})
			}
		}
	}
	out := make([]*trackTimeline, 0, len(by))
	for _, tl := range by {
		tl.order()
		if len(tl.segs) > 0 {
			out = append(out, tl)
		}
	}
	slices.SortFunc(out, compareTracks)
	return out
}

// order sorts the track's segments by slot and start time and keeps one
// per start time: a storage track file's copy, else a real staged copy,
// else a slate.
func (tl *trackTimeline) order() {
	cmpSeg := func(a, b segment) int { return cmp.Or(cmp.Compare(a.n, b.n), cmp.Compare(a.t, b.t)) }
	if !tl.unordered || slices.IsSortedFunc(tl.segs, cmpSeg) && !tl.hasDuplicates() {
		return
	}
	slices.SortStableFunc(tl.segs, func(a, b segment) int {
		return cmp.Or(cmpSeg(a, b), cmp.Compare(tl.sourceRank(&a), tl.sourceRank(&b)))
	})
	tl.segs = slices.CompactFunc(tl.segs, tl.same)
}

// same reports whether a and b are copies of one segment: the same start
// time in the same timescale.
func (tl *trackTimeline) same(a, b segment) bool {
	return a.t == b.t && tl.segInfo(&a).Timescale == tl.segInfo(&b).Timescale
}

// hasDuplicates reports whether sorted segments repeat a start time.
func (tl *trackTimeline) hasDuplicates() bool {
	for i := 1; i < len(tl.segs); i++ {
		if tl.same(tl.segs[i], tl.segs[i-1]) {
			return true
		}
	}
	return false
}

// find returns the run of track with header hash that holds the segment
// whose start, converted to timescale mts, is t in the view's storage
// track files, with its position and start time; nil if none.
func (v *view) find(track, hash string, mts uint32, t uint64) (*trackfile.Run, int, uint64) {
	for _, idx := range v.indexes {
	runs:
		for i := range idx.Runs {
			r := &idx.Runs[i]
			ts := r.Info.Timescale
			if r.Track != track || r.Count() == 0 || scaleTicks(r.Time, ts, mts) > t || scaleTicks(r.EndTime(), ts, mts) <= t ||
				headerHash(r.HeaderKey) != hash {
				continue
			}
			st, pos := r.Time, 0
			for _, rep := range r.Durations {
				for j := 0; j <= rep.R && pos < len(r.Sizes); j++ {
					switch c := scaleTicks(st, ts, mts); {
					case c == t:
						return r, pos, st
					case c > t:
						continue runs // t is inside a segment of this run
					}
					st += rep.D
					pos++
				}
			}
		}
	}
	return nil, 0, 0
}

// sourceRank orders copies of one segment: a track file's, then a real
// staged copy, then a slate.
func (tl *trackTimeline) sourceRank(s *segment) int {
	switch {
	case s.src >= 0:
		return 0
	case !tl.staged[^s.src].slate:
		return 1
	}
	return 2
}

// compareTracks orders tracks video, audio, text, other, then by name.
func compareTracks(a, b *trackTimeline) int {
	rank := func(tl *trackTimeline) int {
		switch trackfile.ExtForHandler(tl.info().Handler) {
		case "cmfv":
			return 0
		case "cmfa":
			return 1
		case "cmft":
			return 2
		}
		return 3
	}
	return cmp.Or(cmp.Compare(rank(a), rank(b)), cmp.Compare(a.name, b.name))
}

// span is a stretch of a track's segments contiguous in time (each starts
// where the one before ends) with one CMAF header: what one
// Representation plays without a break. first and end are grid slots:
// the slot of its first segment and the slot just after it.
type span struct {
	tl         *trackTimeline
	first, end int64
	segs       []segment
}

// spans cuts a track's segments at gaps and header changes.
func (v *view) spans(tl *trackTimeline) []*span {
	var out []*span
	var cur *span
	var curHash string
	var curTS uint32
	curSrc := int32(0)
	for i := range tl.segs {
		s := &tl.segs[i]
		ts := tl.segInfo(s).Timescale
		if cur != nil {
			last := &cur.segs[len(cur.segs)-1]
			if s.t != last.t+last.d || ts != curTS || !(s.src >= 0 && s.src == curSrc || tl.hash(s) == curHash) {
				cur.end = v.endSlot(last.n, last.t, last.d, curTS)
				cur = nil
			}
		}
		if cur == nil {
			cur = &span{tl: tl, first: s.n, segs: tl.segs[i:i]}
			curHash, curTS = tl.hash(s), ts
			out = append(out, cur)
		}
		curSrc = s.src
		cur.segs = cur.segs[:len(cur.segs)+1]
	}
	if cur != nil {
		last := &cur.segs[len(cur.segs)-1]
		cur.end = v.endSlot(last.n, last.t, last.d, curTS)
	}
	return out
}

// segsIn returns the span's segments that start in slots [lo, hi).
func (sp *span) segsIn(lo, hi int64) []segment {
	i, _ := slices.BinarySearchFunc(sp.segs, lo, func(s segment, n int64) int { return cmp.Compare(s.n, n) })
	j, _ := slices.BinarySearchFunc(sp.segs, hi, func(s segment, n int64) int { return cmp.Compare(s.n, n) })
	return sp.segs[i:j]
}

// at returns the first of the span's segments that starts in slot n, nil
// if none does.
func (sp *span) at(n int64) *segment {
	i, ok := slices.BinarySearchFunc(sp.segs, n, func(s segment, n int64) int { return cmp.Compare(s.n, n) })
	if !ok {
		return nil
	}
	return &sp.segs[i]
}
