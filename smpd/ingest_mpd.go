package smpd

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/Eyevinn/dash-mpd/mpd"
	"github.com/reapd/reapd/trackfile"
)

// ErrNotMPD is returned for bodies that are not an MPD document.
var ErrNotMPD = errors.New("smpd: not an MPD")

// IngestTrack is one Representation of an I-MPD, with its naming templates
// resolved for its Representation@id.
//
// ISO/IEC 23009-9 clause 5.3, NOTE 3: "The track name identified by
// Representation@id is used as a key for the track."
type IngestTrack struct {
	ID              string // Representation@id: the track name (REaP 5.3 NOTE 3)
	AdaptationSetID string
	ContentType     string // video, audio, text, ...
	MimeType        string
	Codecs          string
	Bandwidth       uint32
	Width, Height   uint32
	Lang            string   // AdaptationSet@lang
	Label           string   // the Representation's first Label, else the AdaptationSet's (ISO/IEC 23009-1 5.3.10)
	Roles           []string // Role descriptors as "schemeIdUri value", the form of trackfile.TrackInfo.Roles
	Init            string   // SegmentTemplate@initialization with $RepresentationID$ (and $Bandwidth$) substituted
	Media           string   // SegmentTemplate@media with $RepresentationID$ (and $Bandwidth$) substituted
	Timescale       uint32
	Duration        uint64 // SegmentTemplate@duration (0 if absent)
	StartNumber     uint64
}

// IngestMPD is a parsed ingest MPD (REaP clause 6.1). Raw keeps the bytes:
// dash-mpd drops elements it does not know.
type IngestMPD struct {
	Raw                   []byte
	MPD                   *mpd.MPD
	Tracks                []IngestTrack
	SegmentDuration       trackfile.Rational // zero when neither @duration nor SegmentTimeline gives it
	AvailabilityStartTime time.Time          // zero if absent

	matchers []trackMatcher // compiled Init/Media templates of Tracks, see Match
}

// ParseIngestMPD parses an I-MPD: ffmpeg's form (SegmentTemplate in
// Representation, $Number%05d$) as well as the clause 6.1 form.
//
// Every Representation with an @id becomes an IngestTrack (the first one
// wins for a repeated @id). Its SegmentTemplate is resolved across the
// Representation, AdaptationSet and Period levels, attribute by attribute,
// the lowest level winning (ISO/IEC 23009-1 5.3.9.1), and its templates
// are compiled for [IngestMPD.Match]. Violations of clause 6.1 do not fail
// the parse: see [IngestMPD.Check]. A body that is not well-formed XML or
// whose root is not an MPD element gives an error wrapping [ErrNotMPD].
func ParseIngestMPD(raw []byte) (*IngestMPD, error) {
	safe, err := guardXML(raw)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNotMPD, err)
	}
	doc, err := mpd.MPDFromBytes(safe)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNotMPD, err)
	}
	m := &IngestMPD{Raw: raw, MPD: doc}
	m.AvailabilityStartTime, _ = parseDateTime(doc.AvailabilityStartTime)
	var timelines []trackTimeline
	seen := make(map[string]bool)
	for _, p := range doc.Periods {
		for _, a := range p.AdaptationSets {
			for _, r := range a.Representations {
				if r.Id == "" || seen[r.Id] {
					continue
				}
				seen[r.Id] = true
				t, st := ingestTrack(p, a, r)
				m.Tracks = append(m.Tracks, t)
				if st != nil {
					timelines = append(timelines, trackTimeline{video: t.ContentType == "video", timescale: t.Timescale, duration: t.Duration, timeline: st.SegmentTimeline})
				}
			}
		}
	}
	m.SegmentDuration = segmentDuration(timelines)
	m.matchers = compileMatchers(m.Tracks)
	return m, nil
}

// ingestTrack describes Representation r; st is its resolved template.
func ingestTrack(p *mpd.Period, a *mpd.AdaptationSetType, r *mpd.RepresentationType) (t IngestTrack, st *mpd.SegmentTemplateType) {
	t = IngestTrack{
		ID:          r.Id,
		ContentType: string(a.ContentType),
		MimeType:    firstNonEmpty(r.MimeType, a.MimeType),
		Codecs:      firstNonEmpty(r.Codecs, a.Codecs),
		Bandwidth:   r.Bandwidth,
		Width:       firstNonZero(r.Width, a.Width),
		Height:      firstNonZero(r.Height, a.Height),
		Lang:        a.Lang,
		Label:       firstLabel(r.Labels, a.Labels),
	}
	if a.Id != nil {
		t.AdaptationSetID = strconv.FormatUint(uint64(*a.Id), 10)
	}
	if t.ContentType == "" {
		t.ContentType = contentTypeOf(t.MimeType, t.Codecs)
	}
	for _, role := range a.Roles {
		t.Roles = append(t.Roles, strings.TrimSpace(string(role.SchemeIdUri)+" "+role.Value))
	}
	st = resolveTemplate(p.SegmentTemplate, a.SegmentTemplate, r.SegmentTemplate)
	if st == nil {
		return t, nil
	}
	// An unusable template leaves Init or Media empty; Check reports it.
	t.Init, _ = substituteTemplate(st.Initialization, r.Id, r.Bandwidth)
	t.Media, _ = substituteTemplate(st.Media, r.Id, r.Bandwidth)
	t.Timescale, t.StartNumber = 1, 1
	if st.Timescale != nil {
		t.Timescale = *st.Timescale
	}
	if st.Duration != nil {
		t.Duration = uint64(*st.Duration)
	}
	if st.StartNumber != nil {
		t.StartNumber = uint64(*st.StartNumber)
	}
	return t, st
}

// resolveTemplate merges SegmentTemplates from the highest level to the
// lowest; nil when none is present.
func resolveTemplate(levels ...*mpd.SegmentTemplateType) *mpd.SegmentTemplateType {
	var out *mpd.SegmentTemplateType
	for _, st := range levels {
		if st == nil {
			continue
		}
		if out == nil {
			out = &mpd.SegmentTemplateType{}
		}
		if st.Media != "" {
			out.Media = st.Media
		}
		if st.Initialization != "" {
			out.Initialization = st.Initialization
		}
		if st.Timescale != nil {
			out.Timescale = st.Timescale
		}
		if st.Duration != nil {
			out.Duration = st.Duration
		}
		if st.StartNumber != nil {
			out.StartNumber = st.StartNumber
		}
		if st.SegmentTimeline != nil {
			out.SegmentTimeline = st.SegmentTimeline
		}
	}
	return out
}

// contentTypeOf guesses AdaptationSet@contentType from a MIME type.
func contentTypeOf(mimeType, codecs string) string {
	major, _, _ := strings.Cut(mimeType, "/")
	switch {
	case major == "video" || major == "audio" || major == "text" || major == "image":
		return major
	case strings.HasPrefix(codecs, "stpp") || strings.HasPrefix(codecs, "wvtt") || mimeType == mpd.MIME_TYPE_TTML:
		return "text"
	}
	return major
}

// trackTimeline is what segmentDuration needs of one track's template.
type trackTimeline struct {
	video     bool
	timescale uint32
	duration  uint64
	timeline  *mpd.SegmentTimelineType
}

// segmentDuration derives D (design section 2) from the templates: the
// first @duration, else the first constant SegmentTimeline of at least
// minTimelineSegments segments (or an open-ended S@r = -1) (its last S may be shorter: a partial last
// segment), video tracks first — and audio only when no track is video,
// since audio segments vary by a frame around D; else zero. A timeline of
// one segment is no evidence (an encoder's first MPD lists its
// first, possibly short, segment).
func segmentDuration(tracks []trackTimeline) trackfile.Rational {
	ordered := make([]trackTimeline, 0, len(tracks))
	for _, video := range []bool{true, false} {
		for _, t := range tracks {
			if t.video == video && t.timescale > 0 {
				ordered = append(ordered, t)
			}
		}
	}
	for _, t := range ordered {
		if t.duration > 0 && t.duration <= 1<<62 {
			return trackfile.Rational{Num: int64(t.duration), Den: int64(t.timescale)}.Reduce()
		}
	}
	hasVideo := len(ordered) > 0 && ordered[0].video
	for _, t := range ordered {
		if t.video != hasVideo {
			break
		}
		if d := constantD(t.timeline); d > 0 {
			return trackfile.Rational{Num: int64(d), Den: int64(t.timescale)}.Reduce()
		}
	}
	return trackfile.Rational{}
}

// minTimelineSegments is how many segments of one duration a
// SegmentTimeline must list to give D.
const minTimelineSegments = 2

// constantD returns the d of a SegmentTimeline whose S@d are all equal,
// except perhaps for a single last segment; 0 otherwise.
func constantD(tl *mpd.SegmentTimelineType) uint64 {
	if tl == nil || len(tl.S) == 0 {
		return 0
	}
	ss := tl.S
	if len(ss) > 1 && ss[len(ss)-1].R == 0 && ss[len(ss)-1].D != ss[0].D {
		ss = ss[:len(ss)-1]
	}
	d, n := ss[0].D, 0
	for _, s := range ss {
		if s.D != d {
			return 0
		}
		if s.R < 0 {
			n = minTimelineSegments // repeated until the next S or the Period's end: a statement of D
		}
		n += max(s.R, 0) + 1
	}
	if n < minTimelineSegments {
		return 0
	}
	if d > 1<<62 {
		return 0
	}
	return d
}

// parseDateTime parses an xs:dateTime; one without a time zone is UTC.
func parseDateTime(dt mpd.DateTime) (time.Time, error) {
	if dt == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, string(dt))
	if err != nil {
		var err2 error
		if t, err2 = time.Parse("2006-01-02T15:04:05.999999999", string(dt)); err2 != nil {
			return time.Time{}, err
		}
	}
	return t.UTC(), nil
}

// firstLabel returns the text of the first non-empty Label of the first
// level that has one.
func firstLabel(levels ...[]*mpd.LabelType) string {
	for _, labels := range levels {
		for _, l := range labels {
			if l != nil && strings.TrimSpace(l.Value) != "" {
				return strings.TrimSpace(l.Value)
			}
		}
	}
	return ""
}

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}

func firstNonZero(v ...uint32) uint32 {
	for _, x := range v {
		if x != 0 {
			return x
		}
	}
	return 0
}
