package recording

import (
	"cmp"
	"slices"
	"time"

	"github.com/reapd/reapd/trackfile"
)

// span is a stretch [from, to) in ms on the epoch timeline.
type span struct{ from, to int64 }

// gaps returns the stretches of [start, end) without media: in every
// track ("no media"), or in one track while others have media ("no media
// in track T"). Stretches shorter than half the longest segment (audio
// frames that do not fit the grid, priming) are not gaps.
func gaps(runs []trackfile.Run, start, end time.Time) []Gap {
	t1, t2 := start.UnixMilli(), end.UnixMilli()
	byTrack := make(map[string][]span)
	var tol int64
	for i := range runs {
		r := &runs[i]
		ts := uint64(r.Info.Timescale)
		if ts == 0 || r.Count() == 0 {
			continue
		}
		var total, maxD uint64
		for _, d := range r.Durations {
			total += d.D * uint64(d.R+1)
			maxD = max(maxD, d.D)
		}
		s := span{ms(r.EPT, ts), ms(r.EPT+total, ts)}
		if s.to <= t1 || s.from >= t2 {
			continue
		}
		byTrack[r.Track] = append(byTrack[r.Track], s)
		tol = max(tol, ms(maxD, ts)/2)
	}
	var all []span
	for _, ss := range byTrack {
		all = append(all, ss...)
	}
	var out []Gap
	none := holes(all, t1, t2, tol)
	for _, h := range none {
		out = append(out, gap(h, "no media"))
	}
	tracks := make([]string, 0, len(byTrack))
	for t := range byTrack {
		tracks = append(tracks, t)
	}
	slices.Sort(tracks)
	for _, t := range tracks {
		// A track's holes outside the all-track holes.
		for _, h := range holes(slices.Concat(byTrack[t], none), t1, t2, tol) {
			out = append(out, gap(h, "no media in track "+t))
		}
	}
	slices.SortFunc(out, func(a, b Gap) int { return cmp.Or(a.From.Compare(b.From), cmp.Compare(a.Reason, b.Reason)) })
	return out
}

func gap(s span, reason string) Gap {
	return Gap{From: time.UnixMilli(s.from).UTC(), To: time.UnixMilli(s.to).UTC(), Reason: reason}
}

// holes returns the stretches of [t1, t2) that no span covers, longer than tol.
func holes(spans []span, t1, t2, tol int64) []span {
	spans = slices.Clone(spans)
	slices.SortFunc(spans, func(a, b span) int { return cmp.Compare(a.from, b.from) })
	var out []span
	at := t1
	for _, s := range spans {
		if s.from > at && s.from-at > tol {
			out = append(out, span{at, min(s.from, t2)})
		}
		at = max(at, s.to)
		if at >= t2 {
			break
		}
	}
	if t2-at > tol {
		out = append(out, span{at, t2})
	}
	return out
}

// ms converts ticks to ms, rounding down, without overflow.
func ms(ticks, timescale uint64) int64 {
	return int64(ticks/timescale*1000 + ticks%timescale*1000/timescale)
}
