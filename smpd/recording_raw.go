package smpd

import (
	"slices"

	"github.com/Eyevinn/dash-mpd/mpd"
)

// rawIngest locates the elements of the parsed I-MPD in its raw XML, so
// that the recording S-MPD copies them whole, with what dash-mpd drops.
type rawIngest struct {
	root   *xnode
	period *xnode // the first Period
	sets   map[*mpd.AdaptationSetType]*xnode
	reps   map[*mpd.RepresentationType]*xnode
}

// indexRaw pairs the parsed I-MPD's Periods, AdaptationSets and
// Representations with its raw elements, in document order; nil when the
// raw XML does not have the parsed structure (then the parsed form is used
// alone).
func indexRaw(in *IngestMPD) *rawIngest {
	if in == nil || in.MPD == nil || len(in.Raw) == 0 {
		return nil
	}
	root, err := parseRawTree(in.Raw)
	if err != nil || root.name != "MPD" {
		return nil
	}
	ri := &rawIngest{root: root, sets: make(map[*mpd.AdaptationSetType]*xnode), reps: make(map[*mpd.RepresentationType]*xnode)}
	periods := root.kidsNamed("Period")
	if len(periods) != len(in.MPD.Periods) || len(periods) == 0 {
		return nil
	}
	ri.period = periods[0]
	for i, p := range in.MPD.Periods {
		sets := periods[i].kidsNamed("AdaptationSet")
		if len(sets) != len(p.AdaptationSets) {
			return nil
		}
		for j, a := range p.AdaptationSets {
			ri.sets[a] = sets[j]
			reps := sets[j].kidsNamed("Representation")
			if len(reps) != len(a.Representations) {
				return nil
			}
			for k, r := range a.Representations {
				ri.reps[r] = reps[k]
			}
		}
	}
	return ri
}

// Schema order of the children of an AdaptationSet and of a
// Representation (ISO/IEC 23009-1 DASH-MPD.xsd): RepresentationBaseType's
// elements, then its ##other wildcard (foreign elements), then the
// extension's. A raw I-MPD's children are sorted into it (stably), so
// that an I-MPD written out of order still gives a valid S-MPD.
var (
	baseOrder = []string{"FramePacking", "AudioChannelConfiguration", "ContentProtection", "OutputProtection",
		"EssentialProperty", "SupplementalProperty", "InbandEventStream", "Switching", "RandomAccess",
		"GroupLabel", "Label", "ProducerReferenceTime", "ContentPopularityRate", "Resync"}
	setOrder = slices.Concat(baseOrder, []string{"", "Accessibility", "Role", "Rating", "Viewpoint", "ContentComponent",
		"BaseURL", "SegmentBase", "SegmentList", "SegmentTemplate", "Representation"})
	repOrder = slices.Concat(baseOrder, []string{"", "BaseURL", "ExtendedBandwidth", "SubRepresentation",
		"SegmentBase", "SegmentList", "SegmentTemplate"})
)

// sortKids orders n's children as order says; a name not in it (a
// foreign element) sorts at the wildcard, "".
func (n *xnode) sortKids(order []string) {
	rank := func(k *xnode) int {
		if i := slices.Index(order, k.name); i >= 0 {
			return i
		}
		return slices.Index(order, "")
	}
	slices.SortStableFunc(n.kids, func(a, b *xnode) int { return rank(a) - rank(b) })
}

// liveOnly reports whether a child of an I-MPD AdaptationSet or
// Representation is addressing or live ingest signalling, which the
// recording S-MPD replaces or drops (as sanitizeBase does for the parsed
// form): segment addressing, producer reference times, resynchronization
// points, segment sequences, the REaP 6.1 m) key-server request and any
// period continuity of the I-MPD.
func liveOnly(k *xnode) bool {
	switch k.name {
	case "BaseURL", "RequestParam", "SegmentBase", "SegmentList", "SegmentTemplate", "Representation",
		"ProducerReferenceTime", "Resync", "SegmentSequenceProperties":
		return true
	case "EssentialProperty":
		s, _ := k.attr("schemeIdUri")
		return s == schemeEncryptionKeyServer
	case "SupplementalProperty":
		s, _ := k.attr("schemeIdUri")
		return s == schemePeriodContinuity || s == schemePeriodConnectivity
	}
	return false
}

// liveOnlyAttrs are the AdaptationSet attributes the parsed form drops too
// (sanitizeAdaptationSet): remote elements and initialization sets.
var liveOnlyAttrs = []string{"xlink:href", "xlink:actuate", "xlink:type", "xlink:show",
	"initializationSetRef", "initializationPrincipal"}

// merge returns the element gen (as written from the parsed form) with
// everything of its raw I-MPD source: the raw attributes that are not live
// only, overridden or extended by gen's (ids, codecs and sizes corrected
// from the CMAF header, subsegmentAlignment), and the raw children that
// are not live only, in their order. The caller adds gen's addressing.
func merge(raw, gen *xnode) *xnode {
	out := &xnode{name: gen.name, text: raw.text}
	for _, a := range raw.attrs {
		if !slices.Contains(liveOnlyAttrs, qname(a.Name)) {
			out.attrs = append(out.attrs, a)
		}
	}
	for _, a := range gen.attrs {
		out.setAttr(a)
	}
	for _, k := range raw.kids {
		if !liveOnly(k) {
			out.kids = append(out.kids, k)
		}
	}
	return out
}

// recordingTree turns the recording S-MPD written from the parsed form
// (gen) into one that keeps the raw I-MPD's descriptive content: MPD
// level (namespace declarations, ProgramInformation, ContentProtection,
// Metrics, properties, foreign elements), Period level (AssetIdentifier,
// ContentProtection, SupplementalProperty, GroupLabel) and every element
// and attribute of the AdaptationSets and Representations the layout took
// from the I-MPD. Synthesized AdaptationSets are kept as written.
func (ri *rawIngest) recordingTree(gen *xnode, l *layout) *xnode {
	root := &xnode{name: gen.name, attrs: slices.Clone(gen.attrs)}
	for _, a := range ri.root.attrs {
		// Namespace declarations, @id and foreign attributes; not the
		// I-MPD's own schema location hint.
		keep := a.Name.Space == "xmlns" || a.Name.Space != "" && a.Name.Space != "xml" || a.Name.Space == "" && a.Name.Local == "id"
		if keep && qname(a.Name) != "xsi:schemaLocation" {
			if _, ok := root.attr(qname(a.Name)); !ok {
				root.attrs = append(root.attrs, a)
			}
		}
	}
	before, after := ri.rootKids()
	root.kids = append(root.kids, before...)
	for _, k := range gen.kids {
		if k.name == "Period" {
			root.kids = append(root.kids, ri.period1(k, l))
		} else {
			root.kids = append(root.kids, k)
		}
	}
	root.kids = append(root.kids, after...)
	return root
}

// rootKids returns the raw MPD children kept before and after the Periods.
func (ri *rawIngest) rootKids() (before, after []*xnode) {
	for _, k := range ri.root.kids {
		switch {
		case k.name == "ProgramInformation" || k.name == "ContentProtection":
			before = append(before, k)
		case k.name == "Metrics" || k.name == "EssentialProperty" || k.name == "SupplementalProperty" && !liveOnly(k):
			after = append(after, k)
		case slices.Contains([]string{"BaseURL", "Location", "PatchLocation", "ServiceDescription", "InitializationSet",
			"InitializationGroup", "InitializationPresentation", "Period", "UTCTiming", "LeapSecondInformation", "SupplementalProperty"}, k.name):
		default: // a foreign element (##other)
			after = append(after, k)
		}
	}
	return before, after
}

// period1 rebuilds one Period of gen with the raw Period's descriptive
// children and namespace declarations, and its AdaptationSets merged.
func (ri *rawIngest) period1(gen *xnode, l *layout) *xnode {
	p := &xnode{name: gen.name, attrs: slices.Clone(gen.attrs)}
	for _, a := range ri.period.attrs {
		if a.Name.Space == "xmlns" {
			p.attrs = append(p.attrs, a)
		}
	}
	var after []*xnode
	for _, k := range ri.period.kids {
		switch {
		case k.name == "AssetIdentifier" || k.name == "ContentProtection":
			p.kids = append(p.kids, k)
		case k.name == "GroupLabel" || k.name == "SupplementalProperty" && !liveOnly(k):
			after = append(after, k)
		}
	}
	for _, k := range gen.kids {
		if k.name == "AdaptationSet" {
			k = ri.adaptationSet(k, l)
		}
		p.kids = append(p.kids, k)
	}
	p.kids = append(p.kids, after...)
	return p
}

// adaptationSet merges a generated AdaptationSet with its raw source, if
// the layout took it from the I-MPD.
func (ri *rawIngest) adaptationSet(gen *xnode, l *layout) *xnode {
	reps := gen.kidsNamed("Representation")
	if len(reps) == 0 {
		return gen
	}
	id, _ := reps[0].attr("id")
	tp := l.tracks[id]
	if tp == nil || tp.set.src == nil || ri.sets[tp.set.src] == nil {
		return gen
	}
	as := merge(ri.sets[tp.set.src], gen)
	for _, k := range gen.kids {
		if s, _ := k.attr("schemeIdUri"); k.name == "SupplementalProperty" && s == schemePeriodContinuity {
			as.kids = append(as.kids, k)
		}
	}
	as.sortKids(setOrder)
	for _, r := range reps {
		as.kids = append(as.kids, ri.representation(r, l))
	}
	return as
}

// representation merges a generated Representation with its raw source
// and adds the generated BaseURL and SegmentBase at their schema places.
func (ri *rawIngest) representation(gen *xnode, l *layout) *xnode {
	id, _ := gen.attr("id")
	tp := l.tracks[id]
	if tp == nil || tp.src == nil || ri.reps[tp.src] == nil {
		return gen
	}
	rep := merge(ri.reps[tp.src], gen)
	for _, k := range gen.kids {
		if k.name == "BaseURL" || k.name == "SegmentBase" {
			rep.kids = append(rep.kids, k)
		}
	}
	rep.sortKids(repOrder)
	return rep
}
