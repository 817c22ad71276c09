package smpd

import (
	"slices"
	"strconv"
	"strings"

	"github.com/Eyevinn/dash-mpd/mpd"
	"github.com/reapd/reapd/trackfile"
)

// sanitizeAdaptationSet returns a copy of an I-MPD AdaptationSet for the
// archive S-MPD: without Representations, addressing (SegmentTemplate,
// BaseURL, …), remote-element attributes and live-only signalling. The
// I-MPD is never modified: the copy is shallow and slices are replaced,
// never appended to.
func sanitizeAdaptationSet(a *mpd.AdaptationSetType) *mpd.AdaptationSetType {
	c := *a
	c.SetParent(nil)
	c.XlinkHref, c.XlinkActuate, c.XlinkType, c.XlinkShow = "", "", "", ""
	c.InitializationSetRef, c.InitializationPrincipal = nil, ""
	c.BaseURLs, c.RequestParam = nil, nil
	c.SegmentBase, c.SegmentList, c.SegmentTemplate = nil, nil, nil
	c.Representations = nil
	c.RepresentationBaseType = sanitizeBase(c.RepresentationBaseType)
	if c.Id != nil {
		id := *c.Id
		c.Id = &id
	}
	// REaP tracks share the segment grid: their subsegments align.
	c.SubsegmentAlignment = true
	return &c
}

// sanitizeRepresentation is sanitizeAdaptationSet for a Representation.
func sanitizeRepresentation(r *mpd.RepresentationType) *mpd.RepresentationType {
	c := *r
	c.SetParent(nil)
	c.BaseURLs, c.RequestParam = nil, nil
	c.SegmentBase, c.SegmentList, c.SegmentTemplate = nil, nil, nil
	c.RepresentationBaseType = sanitizeBase(c.RepresentationBaseType)
	return &c
}

// sanitizeBase drops what describes live ingest only: producer reference
// times, resynchronization points, segment sequences, the encryption
// request of REaP 6.1 m) (an EssentialProperty a player does not know makes
// it ignore the AdaptationSet) and any period continuity of the I-MPD.
func sanitizeBase(b mpd.RepresentationBaseType) mpd.RepresentationBaseType {
	b.ProducerReferenceTimes, b.Resyncs, b.SegmentSequenceProperties = nil, nil, nil
	b.EssentialProperties = dropSchemes(b.EssentialProperties, schemeEncryptionKeyServer)
	b.SupplementalProperties = dropSchemes(b.SupplementalProperties, schemePeriodContinuity, schemePeriodConnectivity)
	return b
}

func dropSchemes(ds []*mpd.DescriptorType, schemes ...string) []*mpd.DescriptorType {
	var out []*mpd.DescriptorType
	for _, d := range ds {
		if !slices.Contains(schemes, string(d.SchemeIdUri)) {
			out = append(out, d)
		}
	}
	return out
}

// updateFromHeader corrects an I-MPD Representation with what the run's
// CMAF header says (design section 5: the header is what plays): codecs,
// dimensions and sampling rate where they differ or are absent, and a
// bandwidth where the I-MPD has none.
func updateFromHeader(rep *mpd.RepresentationType, as *mpd.AdaptationSetType, r *archRun) {
	info := r.Info
	if info.Codecs != "" && info.Codecs != firstNonEmpty(rep.Codecs, as.Codecs) {
		rep.Codecs = info.Codecs
	}
	if info.Width != 0 && info.Height != 0 &&
		(info.Width != firstNonZero(rep.Width, as.Width) || info.Height != firstNonZero(rep.Height, as.Height)) {
		rep.Width, rep.Height = info.Width, info.Height
	}
	if info.SampleRate != 0 && rep.AudioSamplingRate == nil && as.AudioSamplingRate == nil {
		rep.AudioSamplingRate = mpd.Ptr(mpd.UIntVectorType(strconv.FormatUint(uint64(info.SampleRate), 10)))
	}
	if rep.Bandwidth == 0 {
		rep.Bandwidth = r.bandwidth
	}
}

// synthesizeAdaptationSet describes the AdaptationSet of a track that the
// I-MPD does not describe, from its CMAF header (design section 5).
func synthesizeAdaptationSet(r *archRun) *mpd.AdaptationSetType {
	contentType, mimeType := mediaType(r.Info.Handler)
	as := &mpd.AdaptationSetType{
		ContentType:         mpd.RFC6838ContentTypeType(contentType),
		Lang:                r.Info.Language,
		SubsegmentAlignment: true,
	}
	as.MimeType = mimeType
	for _, role := range r.Info.Roles {
		scheme, value, ok := strings.Cut(role, " ")
		if !ok {
			scheme, value = schemeRole, role
		}
		as.Roles = append(as.Roles, mpd.NewDescriptor(scheme, value, ""))
	}
	return as
}

// mediaType maps a handler to AdaptationSet@contentType and @mimeType. A
// CMAF text track (stpp or wvtt) is application/mp4 (DASH-IF IOP 6.4.5):
// text/vtt would announce a plain WebVTT file.
func mediaType(handler string) (contentType, mimeType string) {
	switch trackfile.ExtForHandler(handler) {
	case "cmfv":
		return "video", mpd.MIME_TYPE_VIDEO_MP4
	case "cmfa":
		return "audio", mpd.MIME_TYPE_AUDIO_MP4
	case "cmft":
		return "text", "application/mp4"
	}
	return "application", "application/mp4"
}

// synthesizeRepresentation describes a run from its CMAF header.
func synthesizeRepresentation(r *archRun) mpd.RepresentationType {
	info := r.Info
	rep := mpd.RepresentationType{Id: r.Track, Bandwidth: r.bandwidth}
	rep.Codecs = info.Codecs
	rep.Width, rep.Height = info.Width, info.Height
	if info.SampleRate != 0 {
		rep.AudioSamplingRate = mpd.Ptr(mpd.UIntVectorType(strconv.FormatUint(uint64(info.SampleRate), 10)))
	}
	if info.Channels != 0 {
		rep.AudioChannelConfigurations = []*mpd.DescriptorType{
			mpd.NewDescriptor(schemeChannelConfig, strconv.Itoa(int(info.Channels)), ""),
		}
	}
	return rep
}
