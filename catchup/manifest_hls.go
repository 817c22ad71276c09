package catchup

import (
	"bytes"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/Eyevinn/hls-m3u8/m3u8"
	"github.com/reapd/reapd/trackfile"
)

// hlsVersion is EXT-X-VERSION: 7 (EXT-X-MAP in a playlist without
// I-frames needs 6; hls-m3u8 would write 5).
const hlsVersion = 7

// hlsAudioGroup is the GROUP-ID of the audio renditions.
const hlsAudioGroup = "audio"

// handleHLSMaster serves GET /catchup/{channel}/master.m3u8?start=&end=:
// the multivariant playlist of a window (start alone: start-over).
func (s *Server) handleHLSMaster(w http.ResponseWriter, r *http.Request) {
	win, err := s.windowFromQuery(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.serveHLSMaster(w, r, r.PathValue("channel"), win, "")
}

// serveHLSMaster writes the multivariant playlist of a window; base is the
// path from its location to /catchup/{channel}/. A request let in by a
// signed URL gets media playlist URIs that carry a signature on.
func (s *Server) serveHLSMaster(w http.ResponseWriter, r *http.Request, channel string, win Window, base string) {
	p, err := s.present(r.Context(), channel, win)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	body, err := hlsMaster(p, base, s.carryQuery(r.Context(), channel))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.manifestHeaders(w, p, "application/vnd.apple.mpegurl")
	serveBytes(w, r, body)
}

// hlsMaster writes the multivariant playlist (RFC 8216bis 4.4.6): one
// variant per video track, the audio tracks as renditions of one group
// (EXT-X-MEDIA, named by audioRenditions), or one variant per audio track
// for a radio channel. The
// media playlists carry the asked window in canonical form, so that they
// all cut the same presentation, followed by carry (a signed-URL query, or
// ""). Text and metadata tracks are not offered in HLS.
func hlsMaster(p *presentation, base, carry string) ([]byte, error) {
	bw := bandwidths(p)
	var videos, audios []*trackTimeline
	for _, tl := range p.tracks {
		switch trackfile.ExtForHandler(tl.info().Handler) {
		case "cmfv":
			videos = append(videos, tl)
		case "cmfa":
			audios = append(audios, tl)
		}
	}
	if len(videos)+len(audios) == 0 {
		return nil, notFound("channel %q has no audio or video in the window", p.channel)
	}
	uri := func(tl *trackTimeline) string {
		u := base + "hls/" + tl.name + ".m3u8?" + p.asked.query()
		if carry != "" {
			u += "&" + carry
		}
		return u
	}
	m := m3u8.NewMasterPlaylist()
	defer m.ReleasePlaylist()
	m.SetVersion(hlsVersion)
	m.SetIndependentSegments(true)
	if tag := startTag(p); tag != nil {
		m.Custom = m3u8.CustomMap{tag.TagName(): tag}
	}
	var alts []*m3u8.Alternative
	var audioCodecs []string
	var audioBW uint32
	named := make([]namedTrack, len(audios))
	for i, tl := range audios {
		named[i] = namedTrack{tl.name, tl.info()}
	}
	names := audioRenditions(p.v.ingest, named)
	for i, tl := range audios {
		info := tl.info()
		alt := &m3u8.Alternative{Type: "AUDIO", GroupId: hlsAudioGroup, Name: names[i].Name, Language: names[i].Language,
			Default: i == 0, Autoselect: true, URI: uri(tl)}
		if info.Channels > 0 {
			alt.Channels = &m3u8.Channels{Amount: int(info.Channels)}
		}
		alts = append(alts, alt)
		if !slices.Contains(audioCodecs, info.Codecs) {
			audioCodecs = append(audioCodecs, info.Codecs)
		}
		audioBW = max(audioBW, bw[tl])
	}
	for _, tl := range videos {
		info := tl.info()
		vp := m3u8.VariantParams{Bandwidth: bw[tl] + audioBW, Codecs: strings.Join(append([]string{info.Codecs}, audioCodecs...), ","),
			Alternatives: alts}
		if info.Width > 0 && info.Height > 0 {
			vp.Resolution = fmt.Sprintf("%dx%d", info.Width, info.Height)
		}
		if len(audios) > 0 {
			vp.Audio = hlsAudioGroup
		}
		m.Append(uri(tl), nil, vp)
	}
	if len(videos) == 0 {
		for _, tl := range audios {
			m.Append(uri(tl), nil, m3u8.VariantParams{Bandwidth: bw[tl], Codecs: tl.info().Codecs})
		}
	}
	return slices.Clone(m.Encode().Bytes()), nil
}

// startTag returns the EXT-X-START tag of a presentation: at the asked
// start when the first segment starts before it, and at the start of a
// start-over presentation (whose players would otherwise begin at the
// live edge); nil when a player starts at the right place anyway.
func startTag(p *presentation) m3u8.CustomTag {
	off := startOffset(p)
	if off <= 0 && !p.dynamic {
		return nil
	}
	return startTimeTag(off)
}

// startTimeTag is EXT-X-START:TIME-OFFSET=…,PRECISE=YES (RFC 8216bis
// 4.4.2.2). hls-m3u8 cannot write a zero offset, which a start-over needs.
type startTimeTag float64

func (startTimeTag) TagName() string { return "#EXT-X-START:" }
func (t startTimeTag) String() string {
	return "#EXT-X-START:TIME-OFFSET=" + strconv.FormatFloat(float64(t), 'f', 3, 64) + ",PRECISE=YES"
}
func (t startTimeTag) Encode() *bytes.Buffer { return bytes.NewBufferString(t.String()) }

// startOffset returns where in the presentation the asked start lies, in
// seconds from the start of the first segment of the reference track
// (video first): the EXT-X-START:TIME-OFFSET that starts playback at the
// asked instant although the first segment starts before it.
func startOffset(p *presentation) float64 {
	pt := p.periods[0].tracks[0]
	first := &pt.segs[0]
	ms := p.startMs - ticksToMs(first.t, pt.tl.segInfo(first).Timescale)
	return float64(max(ms, 0)) / 1000
}
