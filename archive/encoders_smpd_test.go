package archive

import (
	"fmt"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/Eyevinn/dash-mpd/mpd"

	"github.com/reapd/reapd/trackfile"
)

// Tolerances of the S-MPD checks, in seconds: a few ms of audio priming or
// of alignment between tracks (a fraction of an AAC frame) is not media a
// Period may drop or a reason for a Period boundary; the S-MPD writes
// times in ms.
const (
	periodSlack = 0.05
	msSlack     = 0.0015
)

// interval is a span of the epoch timeline in seconds.
type interval struct{ from, to float64 }

func (iv interval) overlap(o interval) float64 { return max(0, min(iv.to, o.to)-max(iv.from, o.from)) }

// smpdPeriod is one Period of the archive S-MPD: its time span and, per
// track it plays, the storage track file it plays it from.
type smpdPeriod struct {
	interval
	files map[string]string // track → track file key
}

// parsePeriods reads the Periods of an archive S-MPD, resolving each
// Representation's BaseURL (relative to {channel}/archive.mpd) to a track
// file that a period index lists.
func parsePeriods(raw []byte, channel string, runs map[string]trackfile.Run) ([]smpdPeriod, []string) {
	m, err := mpd.MPDFromBytes(raw)
	if err != nil {
		return nil, []string{fmt.Sprintf("archive S-MPD does not parse: %v", err)}
	}
	var problems []string
	secs := func(d *mpd.Duration) float64 { return time.Duration(*d).Seconds() }
	base := func(bs []*mpd.BaseURLType) string {
		if len(bs) == 0 {
			return ""
		}
		return string(bs[0].Value)
	}
	var out []smpdPeriod
	for i, p := range m.Periods {
		sp := smpdPeriod{files: map[string]string{}}
		switch {
		case p.Start != nil:
			sp.from = secs(p.Start)
		case i > 0:
			sp.from = out[i-1].to
		}
		switch {
		case p.Duration != nil:
			sp.to = sp.from + secs(p.Duration)
		case i+1 < len(m.Periods) && m.Periods[i+1].Start != nil:
			sp.to = secs(m.Periods[i+1].Start)
		case m.MediaPresentationDuration != nil:
			sp.to = secs(m.MediaPresentationDuration)
		}
		for _, as := range p.AdaptationSets {
			for _, rep := range as.Representations {
				u := base(p.BaseURLs) + base(as.BaseURLs) + base(rep.BaseURLs)
				key := path.Join(channel, u)
				run, ok := runs[key]
				if !ok || strings.Contains(u, "://") || strings.HasPrefix(u, "/") {
					problems = append(problems, fmt.Sprintf("Period %s: Representation %s plays %q, which is no indexed track file",
						p.Id, rep.Id, u))
					continue
				}
				sp.files[run.Track] = key
			}
		}
		out = append(out, sp)
	}
	if len(out) == 0 {
		problems = append(problems, "archive S-MPD has no Period")
	}
	return out, problems
}

// coverage returns the media of each track, merged where segments are
// contiguous, and the span of each track file.
func (v *archiveView) coverage() (map[string][]interval, map[string]interval) {
	byTrack := map[string][]storedSeg{}
	files := map[string]interval{}
	for _, s := range v.segs {
		byTrack[s.track] = append(byTrack[s.track], s)
		f, ok := files[s.file]
		if !ok {
			f = interval{s.from(), s.to()}
		}
		files[s.file] = interval{min(f.from, s.from()), max(f.to, s.to())}
	}
	cov := map[string][]interval{}
	for track, segs := range byTrack {
		sort.Slice(segs, func(i, j int) bool { return segs[i].start < segs[j].start })
		var ivs []interval
		for _, s := range segs {
			if n := len(ivs); n > 0 && s.from() <= ivs[n-1].to+1e-6 {
				ivs[n-1].to = max(ivs[n-1].to, s.to())
				continue
			}
			ivs = append(ivs, interval{s.from(), s.to()})
		}
		cov[track] = ivs
	}
	return cov, files
}

// checkPeriods checks the archive S-MPD's Periods against the media in
// the track files (issue 8): Periods do not overlap; a Period plays each
// track from a file that covers it; no Period leaves out a track that has
// media in its time; no Period shorter than a segment (minSeg) cuts media
// that continues across its start or end (a few ms of priming or
// alignment is not a Period); and every track's media is in some Period
// that plays it.
func checkPeriods(periods []smpdPeriod, cov map[string][]interval, files map[string]interval, minSeg float64) []string {
	var problems []string
	bad := func(p smpdPeriod, format string, args ...any) {
		problems = append(problems, fmt.Sprintf("Period [%.3f, %.3f) (%.3f s): ", p.from, p.to, p.to-p.from)+fmt.Sprintf(format, args...))
	}
	sort.Slice(periods, func(i, j int) bool { return periods[i].from < periods[j].from })
	tracks := make([]string, 0, len(cov))
	for t := range cov {
		tracks = append(tracks, t)
	}
	sort.Strings(tracks)
	all := union(cov)
	for i, p := range periods {
		if p.to <= p.from {
			bad(p, "empty")
			continue
		}
		if i > 0 && p.from < periods[i-1].to-msSlack {
			bad(p, "overlaps the Period before, which ends at %.3f", periods[i-1].to)
		}
		for _, track := range tracks {
			key, plays := p.files[track]
			if !plays {
				if have := overlapAll(cov[track], p.interval); have > periodSlack {
					bad(p, "leaves out track %s, which has %.3f s of media in it", track, have)
				}
				continue
			}
			// Outside its file, the Period may only hold a gap of every
			// track (Periods tile the timeline across such gaps).
			f := files[key]
			if f.overlap(p.interval) <= periodSlack && overlapAll(all, p.interval) > periodSlack {
				bad(p, "plays %s from %s, which has no media in it (it holds [%.3f, %.3f))", track, key, f.from, f.to)
				continue
			}
			outside := []interval{{p.from, min(p.to, f.from)}, {max(p.from, f.to), p.to}}
			if missed := overlapAll(all, outside[0]) + overlapAll(all, outside[1]); missed > periodSlack {
				bad(p, "plays %s from %s, which holds only [%.3f, %.3f) of the %.3f s of media in it", track, key, f.from, f.to,
					overlapAll(all, p.interval))
			}
		}
		if p.to-p.from < minSeg-msSlack {
			for _, track := range tracks {
				if b, ok := cuts(cov[track], p.interval); ok {
					bad(p, "is shorter than a segment (%.3f s) and cuts the media of %s, which continues across %.3f", minSeg, track, b)
					break
				}
			}
		}
	}
	for _, track := range tracks {
		for _, iv := range cov[track] {
			described := 0.0
			for _, p := range periods {
				if _, ok := p.files[track]; ok {
					described += iv.overlap(p.interval)
				}
			}
			if lost := iv.to - iv.from - described; lost > 2*periodSlack {
				problems = append(problems, fmt.Sprintf("%s media [%.3f, %.3f): %.3f s of it are in no Period that plays %s",
					track, iv.from, iv.to, lost, track))
			}
		}
	}
	return problems
}

// union merges the media of every track.
func union(cov map[string][]interval) []interval {
	var ivs []interval
	for _, t := range cov {
		ivs = append(ivs, t...)
	}
	sort.Slice(ivs, func(i, j int) bool { return ivs[i].from < ivs[j].from })
	var out []interval
	for _, iv := range ivs {
		if n := len(out); n > 0 && iv.from <= out[n-1].to+1e-6 {
			out[n-1].to = max(out[n-1].to, iv.to)
			continue
		}
		out = append(out, iv)
	}
	return out
}

func overlapAll(ivs []interval, p interval) float64 {
	s := 0.0
	for _, iv := range ivs {
		s += iv.overlap(p)
	}
	return s
}

// cuts reports a boundary of p that lies inside contiguous media.
func cuts(ivs []interval, p interval) (float64, bool) {
	for _, b := range []float64{p.from, p.to} {
		for _, iv := range ivs {
			if iv.from+msSlack < b && b < iv.to-msSlack {
				return b, true
			}
		}
	}
	return 0, false
}
