package export

import (
	"slices"
	"strings"
	"time"

	"github.com/reapd/reapd/trackfile"
)

// gaps returns the stretches of the plan's window where some track has no
// media, each naming the tracks that miss it ("no media: audio, video").
// Stretches shorter than half a segment (tracks whose segments start a few
// ms apart, at the window's edges) are not gaps.
func gaps(p *Plan, g trackfile.Grid) []Gap {
	type span struct{ from, to time.Time }
	covered := map[string][]span{}
	var tracks []string
	for _, f := range p.Files {
		r := &f.Run
		if _, ok := covered[r.Track]; !ok {
			tracks = append(tracks, r.Track)
		}
		covered[r.Track] = append(covered[r.Track], span{at(r.Time, r.Info.Timescale), at(r.EndTime(), r.Info.Timescale)})
	}
	slices.Sort(tracks)
	bounds := []time.Time{p.Start, p.End}
	for _, ss := range covered {
		for _, s := range ss {
			bounds = append(bounds, s.from, s.to)
		}
	}
	slices.SortFunc(bounds, func(a, b time.Time) int { return a.Compare(b) })
	bounds = slices.CompactFunc(bounds, func(a, b time.Time) bool { return a.Equal(b) })
	minGap := time.Duration(float64(time.Second) * float64(g.D.Num) / float64(max(g.D.Den, 1)) / 2)
	var out []Gap
	for i := 0; i+1 < len(bounds); i++ {
		from, to := bounds[i], bounds[i+1]
		if from.Before(p.Start) || to.After(p.End) {
			continue
		}
		var missing []string
		for _, t := range tracks {
			if !slices.ContainsFunc(covered[t], func(s span) bool { return !s.from.After(from) && !s.to.Before(to) }) {
				missing = append(missing, t)
			}
		}
		if len(missing) == 0 {
			continue
		}
		reason := "no media: " + strings.Join(missing, ", ")
		if n := len(out); n > 0 && out[n-1].To.Equal(from) && out[n-1].Reason == reason {
			out[n-1].To = to
			continue
		}
		out = append(out, Gap{From: from, To: to, Reason: reason})
	}
	return slices.DeleteFunc(out, func(gp Gap) bool { return gp.To.Sub(gp.From) < minGap })
}

// at returns the instant of a time in a timescale on the epoch timeline.
func at(t uint64, ts uint32) time.Time {
	sec, rem := t/uint64(ts), t%uint64(ts)
	return time.Unix(int64(sec), int64(rem*1e9/uint64(ts))).UTC()
}
