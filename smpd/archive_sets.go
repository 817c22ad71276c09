package smpd

import (
	"cmp"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/Eyevinn/dash-mpd/mpd"
	"github.com/reapd/reapd/trackfile"
)

// Descriptor schemes of ISO/IEC 23009-1 5.3.2.4 (period continuity and
// connectivity) and 5.8.4.2 (roles).
const (
	schemePeriodContinuity   = "urn:mpeg:dash:period-continuity:2015"
	schemePeriodConnectivity = "urn:mpeg:dash:period-connectivity:2015"
	schemeRole               = "urn:mpeg:dash:role:2011"
	schemeChannelConfig      = "urn:mpeg:dash:23003:3:audio_channel_configuration:2011"
)

// setPlan is one AdaptationSet of the archive S-MPD, the same in every
// Period in which one of its tracks plays.
type setPlan struct {
	tmpl *mpd.AdaptationSetType // @id, attributes and descriptors; no Representations
	src  *mpd.AdaptationSetType // the I-MPD's AdaptationSet; nil: synthesized
}

// trackPlan places a track in an AdaptationSet.
type trackPlan struct {
	set   *setPlan
	order int                     // position among the I-MPD's Representations
	rep   *mpd.RepresentationType // the I-MPD's Representation, sanitized; nil: synthesized
	src   *mpd.RepresentationType // the I-MPD's Representation as parsed; nil: synthesized
}

// layout is the AdaptationSet structure of the archive S-MPD.
type layout struct {
	sets   []*setPlan // in output order
	tracks map[string]*trackPlan
}

// newLayout groups the tracks into AdaptationSets: the I-MPD's, for the
// tracks it has a Representation@id for, else one AdaptationSet per
// (handler, codec family, language, roles) of the track's first run.
// AdaptationSet@ids are kept; missing (or repeated) ones are numbered after
// the largest.
func newLayout(ingest *IngestMPD, runs []*archRun) *layout {
	l := &layout{tracks: make(map[string]*trackPlan)}
	first := make(map[string]*archRun)
	for _, r := range runs {
		if first[r.Track] == nil {
			first[r.Track] = r
		}
	}
	var unnumbered []*setPlan
	var nextID uint32
	if ingest != nil && ingest.MPD != nil {
		fromIngest := make(map[*mpd.AdaptationSetType]*setPlan)
		used := make(map[uint32]bool)
		pos := 0
		for _, p := range ingest.MPD.Periods {
			for _, a := range p.AdaptationSets {
				if a.Id != nil && *a.Id < math.MaxUint32 {
					nextID = max(nextID, *a.Id+1)
				}
				for _, r := range a.Representations {
					pos++
					if first[r.Id] == nil || l.tracks[r.Id] != nil {
						continue
					}
					sp := fromIngest[a]
					if sp == nil {
						sp = &setPlan{tmpl: sanitizeAdaptationSet(a), src: a}
						fromIngest[a] = sp
						l.sets = append(l.sets, sp)
						if a.Id == nil || used[*a.Id] || *a.Id == math.MaxUint32 {
							unnumbered = append(unnumbered, sp)
						} else {
							used[*a.Id] = true
						}
					}
					l.tracks[r.Id] = &trackPlan{set: sp, order: pos, rep: sanitizeRepresentation(r), src: r}
				}
			}
		}
	}
	synthesized := make(map[string]*setPlan)
	var keys []string
	for _, r := range runs {
		if l.tracks[r.Track] != nil {
			continue
		}
		key := groupKey(r)
		sp := synthesized[key]
		if sp == nil {
			sp = &setPlan{tmpl: synthesizeAdaptationSet(r)}
			synthesized[key] = sp
			keys = append(keys, key)
		}
		l.tracks[r.Track] = &trackPlan{set: sp}
	}
	slices.Sort(keys)
	for _, k := range keys {
		l.sets = append(l.sets, synthesized[k])
		unnumbered = append(unnumbered, synthesized[k])
	}
	for _, sp := range unnumbered {
		id := nextID
		sp.tmpl.Id = &id
		nextID++
	}
	return l
}

// groupKey is what tracks without an I-MPD share an AdaptationSet by. It
// sorts video first, then audio, text and the rest.
func groupKey(r *archRun) string {
	family, _, _ := strings.Cut(r.Info.Codecs, ".")
	rank := map[string]string{"cmfv": "0", "cmfa": "1", "cmft": "2"}[trackfile.ExtForHandler(r.Info.Handler)]
	return strings.Join([]string{cmp.Or(rank, "3"), r.Info.Handler, family, r.Info.Language, strings.Join(r.Info.Roles, ",")}, "|")
}

// adaptationSets returns the AdaptationSets of period p. prev is the
// period just before p when their runs meet at p.startN, else nil.
func (l *layout) adaptationSets(p, prev *archPeriod) []*mpd.AdaptationSetType {
	bySet := make(map[*setPlan][]*archRun)
	for _, r := range p.runs {
		sp := l.tracks[r.Track].set
		bySet[sp] = append(bySet[sp], r)
	}
	var out []*mpd.AdaptationSetType
	for _, sp := range l.sets {
		runs := bySet[sp]
		if len(runs) == 0 {
			continue
		}
		slices.SortFunc(runs, func(a, b *archRun) int {
			return cmp.Or(cmp.Compare(l.tracks[a.Track].order, l.tracks[b.Track].order), cmp.Compare(a.Track, b.Track))
		})
		as := *sp.tmpl
		as.Representations = nil
		if prev != nil && l.continuousSet(sp, runs, p, prev) {
			as.SupplementalProperties = append(slices.Clip(as.SupplementalProperties),
				mpd.NewDescriptor(schemePeriodContinuity, prev.id, ""))
		}
		for _, r := range runs {
			as.AppendRepresentation(l.representation(r, msToTicks(p.startMs, r.Info.Timescale)))
		}
		out = append(out, &as)
	}
	return out
}

// continuousSet reports whether every Representation of AdaptationSet sp
// in period p continues the one of the same track in prev, with the same
// set of tracks.
//
// ISO/IEC 23009-1 5.3.2.4: period continuity lets a client play the
// Representations of the two Periods as one, without re-initialization.
func (l *layout) continuousSet(sp *setPlan, runs []*archRun, p, prev *archPeriod) bool {
	n := 0
	for _, r := range prev.runs {
		if l.tracks[r.Track].set == sp {
			n++
		}
	}
	if n != len(runs) {
		return false
	}
	for _, r := range runs {
		pr := prev.byTrack[r.Track]
		if pr == nil || !continues(pr, r, p) {
			return false
		}
	}
	return true
}

// representation describes run r in a Period that starts at pto, the
// Period start in the run's timescale (ISO/IEC 23009-1 5.3.9.2,
// SegmentBase: the storage track file's sidx indexes its segments as
// subsegments).
func (l *layout) representation(r *archRun, pto uint64) *mpd.RepresentationType {
	rep := l.baseRepresentation(r)
	ts := r.Info.Timescale
	rep.BaseURLs = []*mpd.BaseURLType{mpd.NewBaseURL(r.baseURL)}
	rep.SegmentBase = &mpd.SegmentBaseType{
		Timescale:              &ts,
		PresentationTimeOffset: &pto,
		IndexRange:             byteRange(r.IndexRange.Start, r.IndexRange.End),
		Initialization:         &mpd.URLType{Range: byteRange(r.InitRange.Start, r.InitRange.End)},
	}
	return &rep
}

// byteRange renders [start, end) as an inclusive RFC 7233 range.
func byteRange(start, end int64) string {
	return strconv.FormatInt(start, 10) + "-" + strconv.FormatInt(end-1, 10)
}

// baseRepresentation is a run's Representation before its segment
// addressing: the I-MPD's, updated from the CMAF header, or one
// synthesized from the header alone.
func (l *layout) baseRepresentation(r *archRun) mpd.RepresentationType {
	tp := l.tracks[r.Track]
	if tp.rep == nil {
		return synthesizeRepresentation(r)
	}
	rep := *tp.rep
	updateFromHeader(&rep, tp.set.tmpl, r)
	return rep
}
