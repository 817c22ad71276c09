package catchup

import (
	"math"
	"slices"
	"strconv"

	"github.com/reapd/reapd/trackfile"
)

// presentation is a window of a channel cut into Periods: the model that
// the DASH and HLS writers render.
//
// Periods: the grid slots of the window are cut at every span's first and
// end slot, across all tracks, so that tracks whose segments start a few
// ms apart (priming, AAC frames) share their Period boundaries (a gap, 'miss' segment or header change in any
// track starts a new Period; the other tracks play on). A stretch where no
// track has media — an outage of the whole channel — is left out: the
// next Period follows directly (DASH) or after a discontinuity (HLS), so
// that players do not stall; its wall-clock time stays exact through its
// own presentationTimeOffset and EXT-X-PROGRAM-DATE-TIME. A Period starts
// at the same wall-clock instant for every track (the time of its first
// segment in the reference track: video first), like the archive S-MPD.
//
// Ends: tracks start and end together. At each end of the window a track
// that has segments there in a slot more than the others loses them,
// so that no Period of a few milliseconds holds only that track (audio
// segments start up to a frame off the grid). Then the first Period starts
// at the asked start and the last ends at the asked end, where the window
// cuts a segment: the whole segment is listed and presentationTimeOffset
// (DASH) or EXT-X-START (HLS) starts playback at the asked instant.
type presentation struct {
	channel  string
	grid     trackfile.Grid
	v        *view
	asked    Window
	dynamic  bool
	startMs  int64 // presented window, epoch ms
	endMs    int64
	periods  []*period
	tracks   []*trackTimeline
	stagedIn bool // some segment is only staged
}

// period is one Period: a stretch [startN, endN) of grid slots.
type period struct {
	id           string
	startN, endN int64
	startMs      int64 // wall clock
	endMs        int64
	presMs       int64 // Period@start: time since the presentation start
	afterGap     bool  // follows a stretch where no track had media
	tracks       []*periodTrack
}

// periodTrack is a track playing in a Period.
type periodTrack struct {
	tl        *trackTimeline
	span      *span
	segs      []segment
	continues bool // plays on from the previous Period: same span, no gap
}

func (p *period) durationMs() int64 { return p.endMs - p.startMs }

// lengthMs returns the presentation's duration: its Periods' durations
// (a whole-channel gap between them takes no time).
func (p *presentation) lengthMs() int64 {
	last := p.periods[len(p.periods)-1]
	return last.presMs + last.durationMs()
}

// track returns the periodTrack of tl in p, or nil.
func (p *period) track(tl *trackTimeline) *periodTrack {
	for _, pt := range p.tracks {
		if pt.tl == tl {
			return pt
		}
	}
	return nil
}

// edgeSlack is how many segments behind the others a track may end (or
// start) and still be trimmed to the common edge; a track further behind
// has ended (or not started) and does not hold the others back.
const edgeSlack = 2

// present builds the presentation of window w from view v; nil when no
// media of v lies in the window.
func present(v *view, w Window, dynamic bool) *presentation {
	g := v.grid
	nLo := g.SegmentAt(w.Start) - 1
	nHi := int64(math.MaxInt64 - 1)
	askedEnd := int64(math.MaxInt64)
	if !w.StartOver() {
		nHi = g.SegmentAt(w.End) + 1
		askedEnd = w.End.UnixMilli()
	}
	askedStart := w.Start.UnixMilli()
	var tracks []*trackTimeline
	for _, tl := range v.gather(nLo, nHi) {
		ts := tl.info().Timescale
		lo, hi := msToTicks(askedStart, ts), uint64(math.MaxUint64)
		if askedEnd != math.MaxInt64 {
			hi = msToTicks(askedEnd, ts)
		}
		segs := tl.segs
		for len(segs) > 0 && segs[0].t+segs[0].d <= lo {
			segs = segs[1:]
		}
		for len(segs) > 0 && segs[len(segs)-1].t >= hi {
			segs = segs[:len(segs)-1]
		}
		if tl.segs = segs; len(segs) > 0 {
			tracks = append(tracks, tl)
		}
	}
	v.trimEnds(tracks)
	tracks = slices.DeleteFunc(tracks, func(tl *trackTimeline) bool { return len(tl.segs) == 0 })
	if len(tracks) == 0 {
		return nil
	}
	p := &presentation{channel: v.channel, grid: g, v: v, asked: w, dynamic: dynamic, tracks: tracks}
	p.cut()
	if w.AlignSegments {
		p.clip(math.MinInt64, math.MaxInt64) // only drops empty Periods
	} else {
		p.clip(askedStart, askedEnd)
	}
	if len(p.periods) == 0 {
		return nil
	}
	var pres int64
	for i, per := range p.periods {
		per.presMs = pres
		pres += per.durationMs()
		per.id = "p" + strconv.FormatInt(per.startMs, 10)
		for _, pt := range per.tracks {
			if i > 0 && !per.afterGap {
				prev := p.periods[i-1].track(pt.tl)
				pt.continues = prev != nil && prev.span == pt.span
			}
			for _, s := range pt.segs {
				p.stagedIn = p.stagedIn || s.src < 0
			}
		}
	}
	p.startMs, p.endMs = p.periods[0].startMs, p.periods[len(p.periods)-1].endMs
	return p
}

// trimEnds drops a segment at either end that only some tracks have:
// the tracks start at the latest first slot and end at the earliest end
// slot among those within edgeSlack of the extremes.
func (v *view) trimEnds(tracks []*trackTimeline) {
	if len(tracks) < 2 {
		return
	}
	endOf := func(tl *trackTimeline, s *segment) int64 { return v.endSlot(s.n, s.t, s.d, tl.segInfo(s).Timescale) }
	minFirst, maxEnd := int64(math.MaxInt64), int64(math.MinInt64)
	for _, tl := range tracks {
		minFirst = min(minFirst, tl.segs[0].n)
		maxEnd = max(maxEnd, endOf(tl, &tl.segs[len(tl.segs)-1]))
	}
	startN, endN := minFirst, maxEnd
	for _, tl := range tracks {
		if f := tl.segs[0].n; f <= minFirst+edgeSlack {
			startN = max(startN, f)
		}
		if e := endOf(tl, &tl.segs[len(tl.segs)-1]); e >= maxEnd-edgeSlack {
			endN = min(endN, e)
		}
	}
	if startN >= endN {
		return // tracks do not overlap: leave them be
	}
	for _, tl := range tracks {
		for len(tl.segs) > 0 && tl.segs[0].n < startN {
			tl.segs = tl.segs[1:]
		}
		for len(tl.segs) > 0 && endOf(tl, &tl.segs[len(tl.segs)-1]) > endN {
			tl.segs = tl.segs[:len(tl.segs)-1]
		}
	}
}

// cut splits the tracks' spans into Periods: the grid is cut at every
// span's first and end slot; a Period holds the spans that cover it, each
// with the segments that start in it.
func (p *presentation) cut() {
	var spans []*span
	var bounds []int64
	for _, tl := range p.tracks {
		for _, sp := range p.v.spans(tl) {
			spans = append(spans, sp)
			bounds = append(bounds, sp.first, sp.end)
		}
	}
	slices.Sort(bounds)
	bounds = slices.Compact(bounds)
	gap := false
	for i := 0; i+1 < len(bounds); i++ {
		lo, hi := bounds[i], bounds[i+1]
		per := &period{startN: lo, endN: hi, afterGap: gap && len(p.periods) > 0}
		for _, sp := range spans {
			// A segment longer than D may leave a span no segment that
			// starts in a short Period: the span plays on from the one
			// before.
			if sp.first <= lo && sp.end >= hi {
				if segs := sp.segsIn(lo, hi); len(segs) > 0 {
					per.tracks = append(per.tracks, &periodTrack{tl: sp.tl, span: sp, segs: segs})
				}
			}
		}
		if gap = len(per.tracks) == 0; gap {
			continue
		}
		per.startMs, per.endMs = p.boundaryMs(lo, spans), p.boundaryMs(hi, spans)
		p.periods = append(p.periods, per)
	}
}

// boundaryMs returns the wall-clock time of grid slot boundary b: the
// start of the first segment in slot b of the first span (presentation
// order: video first) that has one, else the end of the first span that
// ends at b, else the grid's time of slot b.
func (p *presentation) boundaryMs(b int64, spans []*span) int64 {
	for _, sp := range spans {
		if sp.first <= b && b < sp.end {
			if s := sp.at(b); s != nil {
				return ticksToMs(s.t, sp.tl.segInfo(s).Timescale)
			}
		}
	}
	for _, sp := range spans {
		if sp.end == b {
			s := &sp.segs[len(sp.segs)-1]
			return ticksToMs(s.t+s.d, sp.tl.segInfo(s).Timescale)
		}
	}
	return p.grid.SegmentTime(b).UnixMilli()
}

// clip makes the first Period start no earlier than the asked start and the
// last end no later than the asked end, dropping Periods left empty.
func (p *presentation) clip(startMs, endMs int64) {
	for len(p.periods) > 0 {
		first := p.periods[0]
		first.startMs = max(first.startMs, startMs)
		if first.endMs > first.startMs {
			break
		}
		p.periods = p.periods[1:]
		if len(p.periods) > 0 {
			p.periods[0].afterGap = false
		}
	}
	for len(p.periods) > 0 {
		last := p.periods[len(p.periods)-1]
		last.endMs = min(last.endMs, endMs)
		if last.endMs > last.startMs {
			break
		}
		p.periods = p.periods[:len(p.periods)-1]
	}
}

// clipped reports how the presented window differs from the asked one.
func (p *presentation) clipped() (start, end bool) {
	start = p.startMs > p.asked.Start.UnixMilli()
	end = !p.asked.StartOver() && p.endMs < p.asked.End.UnixMilli()
	if p.asked.AlignSegments { // segments cut by the window do not count
		d := p.grid.D.Duration().Milliseconds()
		start = p.startMs >= p.asked.Start.UnixMilli()+d
		end = end && p.endMs <= p.asked.End.UnixMilli()-d
	}
	return start, end
}
