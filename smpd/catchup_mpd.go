package smpd

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/Eyevinn/dash-mpd/mpd"
	"github.com/reapd/reapd/trackfile"
)

// ErrNoPeriods is returned by CatchupMPD for a presentation without a
// Period or with a Period without tracks.
var ErrNoPeriods = errors.New("smpd: catch-up presentation without periods")

// Profiles of a catch-up MPD: SegmentTemplate addressing (ISO/IEC 23009-1
// 8.4, live profile) over CMAF tracks.
const catchupProfiles = mpd.PROFILE_LIVE + "," + mpd.PROFILE_CMAF

// CatchupInput describes a catch-up presentation (design section 6): a
// wall-clock window of a channel's archive, cut into Periods by the caller.
type CatchupInput struct {
	Channel string
	// Ingest is the latest I-MPD; nil: AdaptationSets synthesized from the
	// CMAF headers (as for the archive S-MPD).
	Ingest *IngestMPD
	// Dynamic makes a start-over MPD (type="dynamic") whose last Period is
	// open; else the MPD is static with mediaPresentationDuration Duration.
	Dynamic bool
	// Start is the wall-clock instant of presentation time 0: the
	// availabilityStartTime of a dynamic MPD.
	Start    time.Time
	Duration time.Duration
	// Now is the publishTime of a dynamic MPD and the time its UTCTiming
	// element gives ("urn:mpeg:dash:utc:direct:2014").
	Now time.Time
	// Dynamic MPD attributes; zero values omit them.
	MinimumUpdatePeriod, TimeShiftBufferDepth, SuggestedPresentationDelay time.Duration
	// BaseURL, when set, is the MPD-level BaseURL that the track URLs are
	// relative to.
	BaseURL string
	Periods []CatchupPeriod
}

// CatchupPeriod is one Period of a catch-up MPD.
type CatchupPeriod struct {
	ID       string
	Start    time.Duration // Period@start, ms precision
	Duration time.Duration // 0: open (the last Period of a dynamic MPD)
	Tracks   []CatchupTrack
}

// CatchupTrack is one Representation of a catch-up Period: a
// SegmentTemplate with $Time$ media URLs and a SegmentTimeline.
type CatchupTrack struct {
	Track     string
	Info      trackfile.TrackInfo
	Bandwidth uint32 // 0: Info.Bandwidth
	// Timescale is the MPD timescale of the timeline and the offset. It may
	// differ from Info.Timescale (see the catchup package on precision).
	Timescale              uint32
	PresentationTimeOffset uint64
	Initialization         string // URL of the CMAF header
	Media                  string // URL template with $Time$
	Timeline               []CatchupS
	// Continues is true when the track plays on from the previous Period
	// without a break: same CMAF header, contiguous segments.
	Continues bool
}

// CatchupS is one S element of a SegmentTimeline: R+1 segments of
// duration D from time T (in the track's MPD Timescale). The t attribute
// is written only where T is not the end of the previous element.
type CatchupS struct {
	T, D uint64
	R    int
}

// CatchupMPD writes a catch-up MPD (design section 6).
//
// ISO/IEC 23009-1 5.3.9.4 (SegmentTemplate) and 5.3.9.6
// (SegmentTimeline): each Representation addresses its segments by
// $Time$, the S@t values being media times on the epoch timeline in the
// track's MPD timescale; @presentationTimeOffset maps the Period start to
// the wall-clock instant the Period begins, so a window starting inside a
// segment starts playing at the asked instant. The AdaptationSets follow
// the I-MPD as in the archive S-MPD (Annex G), or are synthesized from the
// CMAF headers; an AdaptationSet whose tracks all continue from the
// previous Period carries the period-continuity descriptor (5.3.2.4).
func CatchupMPD(in CatchupInput) ([]byte, error) {
	if len(in.Periods) == 0 {
		return nil, ErrNoPeriods
	}
	l, plans := catchupLayout(in)
	m := mpd.NewMPD(mpd.STATIC_TYPE)
	m.Profiles = mpd.ListOfProfilesType(catchupProfiles)
	if in.Dynamic {
		m.Type = mpd.Ptr(mpd.DYNAMIC_TYPE)
		m.AvailabilityStartTime = mpd.ConvertToDateTimeMS(in.Start.UnixMilli())
		m.PublishTime = mpd.ConvertToDateTimeMS(in.Now.UnixMilli())
		m.MinimumUpdatePeriod = optDuration(in.MinimumUpdatePeriod)
		m.TimeShiftBufferDepth = optDuration(in.TimeShiftBufferDepth)
		m.SuggestedPresentationDelay = optDuration(in.SuggestedPresentationDelay)
		m.UTCTimings = []*mpd.DescriptorType{mpd.NewDescriptor("urn:mpeg:dash:utc:direct:2014",
			string(mpd.ConvertToDateTimeMS(in.Now.UnixMilli())), "")}
	} else {
		m.MediaPresentationDuration = msDuration(in.Duration.Milliseconds())
	}
	if in.BaseURL != "" {
		m.BaseURL = []*mpd.BaseURLType{mpd.NewBaseURL(in.BaseURL)}
	}
	var maxSegMs int64 = 1
	var timelines [][]CatchupS
	for i := range in.Periods {
		p := &in.Periods[i]
		if len(p.Tracks) == 0 {
			return nil, fmt.Errorf("%w: period %q has no tracks", ErrNoPeriods, p.ID)
		}
		mp := &mpd.Period{Id: p.ID, Start: msDuration(p.Start.Milliseconds())}
		if p.Duration > 0 {
			mp.Duration = msDuration(p.Duration.Milliseconds())
		}
		var prev *CatchupPeriod
		if i > 0 {
			prev = &in.Periods[i-1]
		}
		for _, sp := range l.sets {
			tracks := plans[sp][i]
			if len(tracks) == 0 {
				continue
			}
			as := *sp.tmpl
			as.Representations = nil
			as.SegmentAlignment = true
			if prev != nil && continuousTracks(tracks, plans[sp][i-1]) {
				as.SupplementalProperties = append(slices.Clip(as.SupplementalProperties),
					mpd.NewDescriptor(schemePeriodContinuity, prev.ID, ""))
			}
			for _, tr := range tracks {
				if tr.Timescale == 0 || len(tr.Timeline) == 0 {
					return nil, fmt.Errorf("smpd: catch-up track %s in period %q has no timescale or timeline", tr.Track, p.ID)
				}
				for _, s := range tr.Timeline {
					maxSegMs = max(maxSegMs, int64(ceilMulDiv(s.D, 1000, uint64(tr.Timescale))))
				}
				as.AppendRepresentation(l.catchupRepresentation(tr, len(timelines)))
				timelines = append(timelines, tr.Timeline)
			}
			mp.AppendAdaptationSet(&as)
		}
		m.AppendPeriod(mp)
	}
	m.MinBufferTime = msDuration(maxSegMs)

	var buf bytes.Buffer
	if _, err := m.Write(&buf, "  ", true); err != nil {
		return nil, fmt.Errorf("smpd: writing catch-up MPD: %w", err)
	}
	buf.WriteByte('\n')
	return spliceTimelines(buf.Bytes(), timelines)
}

// catchupLayout groups the tracks of all Periods into AdaptationSets the
// way the archive S-MPD does (newLayout), and returns, per AdaptationSet,
// the tracks it holds in each Period, in Representation order.
func catchupLayout(in CatchupInput) (*layout, map[*setPlan][][]*CatchupTrack) {
	var runs []*archRun
	seen := map[string]bool{}
	for _, p := range in.Periods {
		for _, tr := range p.Tracks {
			if !seen[tr.Track] {
				seen[tr.Track] = true
				runs = append(runs, &archRun{Run: &trackfile.Run{Track: tr.Track, Info: tr.Info}, bandwidth: tr.Bandwidth})
			}
		}
	}
	l := newLayout(in.Ingest, runs)
	plans := make(map[*setPlan][][]*CatchupTrack, len(l.sets))
	for _, sp := range l.sets {
		plans[sp] = make([][]*CatchupTrack, len(in.Periods))
	}
	for i := range in.Periods {
		for j := range in.Periods[i].Tracks {
			tr := &in.Periods[i].Tracks[j]
			sp := l.tracks[tr.Track].set
			plans[sp][i] = append(plans[sp][i], tr)
		}
	}
	for _, per := range plans {
		for _, tracks := range per {
			slices.SortFunc(tracks, func(a, b *CatchupTrack) int {
				return cmp.Or(cmp.Compare(l.tracks[a.Track].order, l.tracks[b.Track].order), cmp.Compare(a.Track, b.Track))
			})
		}
	}
	return l, plans
}

// continuousTracks reports whether the tracks of an AdaptationSet all
// continue from the previous Period, which held the same tracks.
func continuousTracks(cur, prev []*CatchupTrack) bool {
	if len(cur) != len(prev) {
		return false
	}
	for i, tr := range cur {
		if !tr.Continues || prev[i].Track != tr.Track {
			return false
		}
	}
	return true
}

// catchupRepresentation describes one track in one Period. Its timeline
// is a placeholder S element that spliceTimelines replaces.
func (l *layout) catchupRepresentation(tr *CatchupTrack, index int) *mpd.RepresentationType {
	bw := tr.Bandwidth
	if bw == 0 {
		bw = tr.Info.Bandwidth
	}
	ar := &archRun{Run: &trackfile.Run{Track: tr.Track, Info: tr.Info}, bandwidth: bw}
	rep := l.baseRepresentation(ar)
	ts, pto := tr.Timescale, tr.PresentationTimeOffset
	st := &mpd.SegmentTemplateType{Media: tr.Media, Initialization: tr.Initialization}
	st.Timescale = &ts
	st.PresentationTimeOffset = &pto
	st.SegmentTimeline = &mpd.SegmentTimelineType{S: []*mpd.S{{T: mpd.Ptr(timelineSentinel + uint64(index)), D: 1}}}
	rep.SegmentTemplate = st
	return &rep
}

// optDuration returns d as an mpd.Duration (ms precision), nil for 0.
func optDuration(d time.Duration) *mpd.Duration {
	if d <= 0 {
		return nil
	}
	return msDuration(d.Milliseconds())
}

// timelineSentinel marks the placeholder S element of timeline i as
// t = timelineSentinel+i: a media time no track reaches (it is more than
// 580 years at 1 GHz), which spliceTimelines replaces.
const timelineSentinel uint64 = 18446744000000000000

// spliceTimelines replaces the placeholder S element of each timeline by
// its S elements. Writing tens of thousands of S elements through the XML
// encoder costs far more than writing them directly, and a 24-hour window
// of AAC audio (whose 2 s segments alternate between two durations) has
// that many.
func spliceTimelines(doc []byte, timelines [][]CatchupS) ([]byte, error) {
	size := len(doc)
	for _, tl := range timelines {
		size += len(tl) * 48
	}
	out := make([]byte, 0, size)
	rest := doc
	for i, tl := range timelines {
		marker := []byte(`<S t="` + strconv.FormatUint(timelineSentinel+uint64(i), 10) + `"`)
		at := bytes.Index(rest, marker)
		if at < 0 {
			return nil, fmt.Errorf("smpd: catch-up timeline %d placeholder not found", i)
		}
		end := bytes.Index(rest[at:], []byte("</S>"))
		if end < 0 {
			return nil, fmt.Errorf("smpd: catch-up timeline %d placeholder not closed", i)
		}
		lineStart := bytes.LastIndexByte(rest[:at], '\n') + 1
		indent := rest[lineStart:at]
		out = append(out, rest[:at]...)
		out = appendTimeline(out, tl, indent)
		rest = rest[at+end+len("</S>"):]
	}
	return append(out, rest...), nil
}

// appendTimeline writes S elements in the form dash-mpd writes them, one
// per line: t only where the timeline does not continue, r when > 0.
func appendTimeline(out []byte, tl []CatchupS, indent []byte) []byte {
	var next uint64
	for i, s := range tl {
		if i > 0 {
			out = append(out, '\n')
			out = append(out, indent...)
		}
		out = append(out, "<S"...)
		if i == 0 || s.T != next {
			out = append(out, ` t="`...)
			out = strconv.AppendUint(out, s.T, 10)
			out = append(out, '"')
		}
		out = append(out, ` d="`...)
		out = strconv.AppendUint(out, s.D, 10)
		out = append(out, '"')
		if s.R > 0 {
			out = append(out, ` r="`...)
			out = strconv.AppendInt(out, int64(s.R), 10)
			out = append(out, '"')
		}
		out = append(out, "></S>"...)
		next = s.T + s.D*uint64(s.R+1)
	}
	return out
}
