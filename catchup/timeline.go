package catchup

import (
	"cmp"
	"slices"

	"github.com/reapd/reapd/trackfile"
)

// segment is one media segment of a track in a window. It holds no
// pointers (a 24-hour window has 130 000 of them): src indexes the
// track's sources, a run (src ≥ 0) or a staged segment (^src).
type segment struct {
	n    int64
	t, d uint64 // epoch timeline, track timescale
	size int64  // bytes as served (normalized)
	src  int32
}

// trackTimeline is the segments of one track, in segment index order, one
// per n (a storage track file's copy over a staged one).
type trackTimeline struct {
	name   string
	runs   []*trackfile.Run
	staged []*stagedSeg
	segs   []segment
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
	clip := func(first, end int64) (int64, int64) { return max(first, nLo), min(end, nHi+1) }
	count := map[*trackTimeline]int{}
	for _, idx := range v.indexes { // size the slices first
		for i := range idx.Runs {
			r := &idx.Runs[i]
			if lo, hi := clip(r.FirstN, r.FirstN+int64(r.Count())); lo < hi {
				tl := get(r.Track)
				tl.runs = append(tl.runs, r)
				count[tl] += int(hi - lo)
			}
		}
	}
	for _, tl := range by {
		tl.segs = make([]segment, 0, count[tl])
		for src, r := range tl.runs {
			lo, hi := clip(r.FirstN, r.FirstN+int64(r.Count()))
			t, n := r.Time, r.FirstN
			for _, rep := range r.Durations {
				cnt := int64(rep.R) + 1
				if n+cnt <= lo { // wholly before the range: step over
					t += rep.D * uint64(cnt)
					n += cnt
					continue
				}
				if n >= hi {
					break
				}
				for j := int64(0); j < cnt && n < hi; j++ {
					if n >= lo {
						tl.segs = append(tl.segs, segment{n: n, t: t, d: rep.D, size: r.Sizes[n-r.FirstN], src: int32(src)})
					}
					t += rep.D
					n++
				}
			}
		}
	}
	if v.staged != nil {
		for name, st := range v.staged.tracks {
			i, _ := slices.BinarySearchFunc(st.segs, nLo, func(s *stagedSeg, n int64) int { return cmp.Compare(s.n, n) })
			for _, s := range st.segs[i:] {
				if s.n > nHi {
					break
				}
				tl := get(name)
				tl.staged = append(tl.staged, s)
				tl.segs = append(tl.segs, segment{n: s.n, t: s.t, d: s.d, size: s.size, src: ^int32(len(tl.staged) - 1)})
			}
		}
	}
	out := make([]*trackTimeline, 0, len(by))
	for _, tl := range by {
		if !slices.IsSortedFunc(tl.segs, func(a, b segment) int { return cmp.Compare(a.n, b.n) }) || hasDuplicates(tl.segs) {
			slices.SortStableFunc(tl.segs, func(a, b segment) int {
				return cmp.Or(cmp.Compare(a.n, b.n), cmp.Compare(tl.sourceRank(&a), tl.sourceRank(&b)))
			})
			tl.segs = slices.CompactFunc(tl.segs, func(a, b segment) bool { return a.n == b.n })
		}
		if len(tl.segs) > 0 {
			out = append(out, tl)
		}
	}
	slices.SortFunc(out, compareTracks)
	return out
}

// hasDuplicates reports whether sorted segments repeat an n.
func hasDuplicates(segs []segment) bool {
	for i := 1; i < len(segs); i++ {
		if segs[i].n == segs[i-1].n {
			return true
		}
	}
	return false
}

// find returns the run of track that holds segment n in the view's
// storage track files, with its position and start time; nil if none.
func (v *view) find(track string, n int64) (*trackfile.Run, int, uint64) {
	for _, idx := range v.indexes {
		for i := range idx.Runs {
			r := &idx.Runs[i]
			if r.Track != track || n < r.FirstN || n >= r.FirstN+int64(r.Count()) {
				continue
			}
			pos := int(n - r.FirstN)
			t, left := r.Time, pos
			for _, rep := range r.Durations {
				if left == 0 {
					break
				}
				k := min(left, rep.R+1)
				t += rep.D * uint64(k)
				left -= k
			}
			return r, pos, t
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
	curSrc := int32(0)
	for i := range tl.segs {
		s := &tl.segs[i]
		same := cur != nil && s.n == cur.end && (s.src >= 0 && s.src == curSrc || tl.hash(s) == curHash)
		if !same {
			cur = &span{tl: tl, first: s.n, end: s.n, segs: tl.segs[i:i]}
			curHash = tl.hash(s)
			out = append(out, cur)
		}
		curSrc = s.src
		cur.segs = cur.segs[:len(cur.segs)+1]
		cur.end = s.n + 1
	}
	return out
}

// segsIn returns the span's segments with n in [lo, hi).
func (sp *span) segsIn(lo, hi int64) []segment {
	return sp.segs[max(lo, sp.first)-sp.first : min(hi, sp.end)-sp.first]
}
