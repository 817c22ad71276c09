package archive

import (
	"path"
	"sort"
	"strings"

	"github.com/reapd/reapd/blobstore"
	"github.com/reapd/reapd/trackfile"
)

// stagedPeriod is what is staged for one track in one storage period: the
// copies of every segment index and the header-use markers.
type stagedPeriod struct {
	track   string
	ext     string
	copies  map[int64]map[string]string // n → variant → key
	markers map[int64]string            // n → header hash
	keys    []string                    // every staged key (to delete)
}

// parseStaged groups a track's staged objects by storage period.
func parseStaged(track string, objs []blobstore.Attrs, g trackfile.Grid) map[int64]*stagedPeriod {
	out := map[int64]*stagedPeriod{}
	get := func(k int64) *stagedPeriod {
		sp := out[k]
		if sp == nil {
			sp = &stagedPeriod{track: track, copies: map[int64]map[string]string{}, markers: map[int64]string{}}
			out[k] = sp
		}
		return sp
	}
	for _, o := range objs {
		base := path.Base(o.Key)
		if n, hash, ok := trackfile.ParseHeaderUseKey(base); ok {
			sp := get(g.Period(n))
			sp.markers[n] = hash
			sp.keys = append(sp.keys, o.Key)
			continue
		}
		n, variant, ext, err := trackfile.ParseStagedKey(base)
		if err != nil || strings.HasSuffix(base, ".tmp") {
			continue
		}
		sp := get(g.Period(n))
		sp.ext = ext
		if sp.copies[n] == nil {
			sp.copies[n] = map[string]string{}
		}
		sp.copies[n][variant] = o.Key
		sp.keys = append(sp.keys, o.Key)
	}
	return out
}

// plannedSegment is one segment chosen for a storage track file.
type plannedSegment struct {
	n      int64
	key    string
	header string // header hash
}

// plannedRun is a contiguous run of segments with one header.
type plannedRun struct {
	track  string
	header string
	segs   []plannedSegment
	end    string // trackfile.End* reason
}

// plan chooses, for each staged segment index not already covered, the copy
// to archive (a real copy over a slate one; 'miss' is a gap) and the header
// it uses, and cuts runs at gaps, 'miss' segments and header changes
// (design section 4). prevHeader is the header in force before the period
// (from the previous period's runs), used when no marker precedes a segment.
func (sp *stagedPeriod) plan(covered func(n int64) bool, prevHeader string) []plannedRun {
	ns := make([]int64, 0, len(sp.copies))
	for n := range sp.copies {
		ns = append(ns, n)
	}
	sort.Slice(ns, func(i, j int) bool { return ns[i] < ns[j] })
	marks := make([]int64, 0, len(sp.markers))
	for n := range sp.markers {
		marks = append(marks, n)
	}
	sort.Slice(marks, func(i, j int) bool { return marks[i] < marks[j] })
	headerFor := func(n int64) string {
		h := prevHeader
		if h == "" && len(marks) > 0 {
			h = sp.markers[marks[0]] // segments before the first marker of a resumed track
		}
		for _, m := range marks {
			if m > n {
				break
			}
			h = sp.markers[m]
		}
		return h
	}
	var runs []plannedRun
	var cur *plannedRun
	last := int64(-1 << 62)
	for _, n := range ns {
		c := sp.copies[n]
		key, ok := c[trackfile.VariantReal]
		if !ok {
			key, ok = c[trackfile.VariantSlate]
		}
		if covered(n) {
			continue
		}
		if !ok { // only a 'miss' copy: a recorded gap
			if cur != nil {
				cur.end = trackfile.EndMiss
				cur = nil
			}
			continue
		}
		h := headerFor(n)
		if cur != nil && (n != last+1 || h != cur.header) {
			cur.end = trackfile.EndGap
			if h != cur.header && n == last+1 {
				cur.end = trackfile.EndHeader
			}
			cur = nil
		}
		if cur == nil {
			runs = append(runs, plannedRun{track: sp.track, header: h})
			cur = &runs[len(runs)-1]
		}
		cur.segs = append(cur.segs, plannedSegment{n: n, key: key, header: h})
		last = n
	}
	return runs
}
