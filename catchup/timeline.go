package catchup

import (
	"cmp"
	"slices"

	"github.com/reapd/reapd/trackfile"
)

// segment is one media segment of a track in a window: in a storage track
// file (run != nil, at position pos) or staged (staged != nil).
type segment struct {
	n      int64
	t, d   uint64 // epoch timeline, track timescale
	size   int64  // bytes as served (normalized)
	run    *trackfile.Run
	pos    int
	staged *stagedSeg
}

// hash returns the content hash of the segment's CMAF header.
func (s *segment) hash() string {
	if s.run != nil {
		return headerHash(s.run.HeaderKey)
	}
	return s.staged.hash
}

// info returns the TrackInfo of the segment's CMAF header.
func (s *segment) info() *trackfile.TrackInfo {
	if s.run != nil {
		return &s.run.Info
	}
	return &s.staged.info
}

// offset returns the segment's byte offset in its storage track file.
func (s *segment) offset() int64 {
	off := s.run.IndexRange.End
	for _, sz := range s.run.Sizes[:s.pos] {
		off += sz
	}
	return off
}

// trackTimeline is the segments of one track, in segment index order, one
// per n (a storage track file's copy over a staged one).
type trackTimeline struct {
	name string
	segs []segment
}

// info returns the TrackInfo of the track's last segment.
func (tl *trackTimeline) info() *trackfile.TrackInfo { return tl.segs[len(tl.segs)-1].info() }

// gather returns, per track, the segments with n in [nLo, nHi] that the
// view holds, tracks in presentation order (video, audio, text, other;
// then by name).
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
	for _, idx := range v.indexes {
		for i := range idx.Runs {
			r := &idx.Runs[i]
			end := r.FirstN + int64(r.Count())
			if r.Count() == 0 || end <= nLo || r.FirstN > nHi {
				continue
			}
			tl := get(r.Track)
			t, pos := r.Time, 0
			for _, rep := range r.Durations {
				for j := 0; j <= rep.R && pos < len(r.Sizes); j++ {
					if n := r.FirstN + int64(pos); n >= nLo && n <= nHi {
						tl.segs = append(tl.segs, segment{n: n, t: t, d: rep.D, size: r.Sizes[pos], run: r, pos: pos})
					}
					t += rep.D
					pos++
				}
			}
		}
	}
	if v.staged != nil {
		for name, st := range v.staged.tracks {
			lo, _ := slices.BinarySearchFunc(st.segs, nLo, func(s *stagedSeg, n int64) int { return cmp.Compare(s.n, n) })
			for _, s := range st.segs[lo:] {
				if s.n > nHi {
					break
				}
				tl := get(name)
				tl.segs = append(tl.segs, segment{n: s.n, t: s.t, d: s.d, size: s.size, staged: s})
			}
		}
	}
	out := make([]*trackTimeline, 0, len(by))
	for _, tl := range by {
		slices.SortStableFunc(tl.segs, func(a, b segment) int {
			if c := cmp.Compare(a.n, b.n); c != 0 {
				return c
			}
			return cmp.Compare(sourceRank(&a), sourceRank(&b))
		})
		tl.segs = slices.CompactFunc(tl.segs, func(a, b segment) bool { return a.n == b.n })
		if len(tl.segs) > 0 {
			out = append(out, tl)
		}
	}
	slices.SortFunc(out, compareTracks)
	return out
}

// sourceRank orders copies of one segment: a track file's, then a real
// staged copy, then a slate.
func sourceRank(s *segment) int {
	switch {
	case s.run != nil:
		return 0
	case !s.staged.slate:
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

// span is a stretch of a track's segments with contiguous n and one CMAF
// header: what one Representation plays without a break.
type span struct {
	tl         *trackTimeline
	first, end int64 // n range [first, end)
	segs       []segment
}

// spans cuts a track's segments at gaps and header changes.
func (tl *trackTimeline) spans() []*span {
	var out []*span
	var cur *span
	var curHash string
	var curRun *trackfile.Run
	for i := range tl.segs {
		s := &tl.segs[i]
		same := cur != nil && s.n == cur.end && (s.run != nil && s.run == curRun || s.hash() == curHash)
		if !same {
			cur = &span{tl: tl, first: s.n, end: s.n, segs: tl.segs[i:i]}
			curHash = s.hash()
			out = append(out, cur)
		}
		curRun = s.run
		cur.segs = cur.segs[:len(cur.segs)+1]
		cur.end = s.n + 1
	}
	return out
}

// segsIn returns the span's segments with n in [lo, hi).
func (sp *span) segsIn(lo, hi int64) []segment {
	return sp.segs[max(lo, sp.first)-sp.first : min(hi, sp.end)-sp.first]
}
