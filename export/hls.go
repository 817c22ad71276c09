package export

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/reapd/reapd/trackfile"
)

// hlsTrack is one track of the package as HLS sees it.
type hlsTrack struct {
	name      string
	info      trackfile.TrackInfo
	files     []*File
	bandwidth uint32
}

// hlsPlaylists writes the HLS side of a package (RFC 8216bis, version 7):
// a multivariant playlist (one variant per video track, the audio tracks
// as renditions of one group, or one variant per audio track without
// video) and one VOD media playlist per track over the same files as the
// MPD: EXT-X-MAP with the BYTERANGE of the CMAF header, and per segment an
// EXT-X-BYTERANGE into its file. A new file of a track starts with a new
// EXT-X-MAP and EXT-X-PROGRAM-DATE-TIME, and after a gap (or header change)
// with EXT-X-DISCONTINUITY; media is never shifted. Text and metadata
// tracks are not offered in HLS.
func hlsPlaylists(p *Plan) []Manifest {
	byName := map[string]*hlsTrack{}
	var tracks []*hlsTrack
	for i := range p.Files {
		f := &p.Files[i]
		t := byName[f.Run.Track]
		if t == nil {
			t = &hlsTrack{name: f.Run.Track, info: f.Run.Info}
			byName[t.name] = t
			tracks = append(tracks, t)
		}
		t.files = append(t.files, f)
		t.bandwidth = max(t.bandwidth, fileBandwidth(&f.Run))
	}
	var videos, audios []*hlsTrack
	for _, t := range tracks {
		switch t.info.Handler {
		case "vide":
			videos = append(videos, t)
		case "soun":
			audios = append(audios, t)
		}
	}
	var out []Manifest
	var b strings.Builder
	b.WriteString("#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-INDEPENDENT-SEGMENTS\n")
	var maxAudio uint32
	for i, a := range audios {
		maxAudio = max(maxAudio, a.bandwidth)
		if len(videos) == 0 {
			continue
		}
		def := "NO"
		if i == 0 {
			def = "YES"
		}
		name := a.name
		lang := ""
		if a.info.Language != "" {
			lang = fmt.Sprintf(",LANGUAGE=%q", a.info.Language)
		}
		fmt.Fprintf(&b, "#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"audio\",NAME=%q%s,DEFAULT=%s,AUTOSELECT=YES,CHANNELS=\"%d\",URI=%q\n",
			name, lang, def, max(a.info.Channels, 1), a.name+".m3u8")
	}
	for _, v := range videos {
		codecs := []string{v.info.Codecs}
		audio := ""
		if len(audios) > 0 {
			for _, a := range audios {
				if !slices.Contains(codecs, a.info.Codecs) {
					codecs = append(codecs, a.info.Codecs)
				}
			}
			audio = ",AUDIO=\"audio\""
		}
		res := ""
		if v.info.Width > 0 && v.info.Height > 0 {
			res = fmt.Sprintf(",RESOLUTION=%dx%d", v.info.Width, v.info.Height)
		}
		fmt.Fprintf(&b, "#EXT-X-STREAM-INF:BANDWIDTH=%d,CODECS=%q%s%s\n%s.m3u8\n",
			uint64(v.bandwidth)+uint64(maxAudio), strings.Join(codecs, ","), res, audio, v.name)
	}
	if len(videos) == 0 {
		for _, a := range audios {
			fmt.Fprintf(&b, "#EXT-X-STREAM-INF:BANDWIDTH=%d,CODECS=%q\n%s.m3u8\n", a.bandwidth, a.info.Codecs, a.name)
		}
	}
	out = append(out, Manifest{Name: MasterName, Data: []byte(b.String())})
	for _, t := range slices.Concat(videos, audios) {
		out = append(out, Manifest{Name: t.name + ".m3u8", Data: mediaPlaylist(t)})
	}
	return out
}

// mediaPlaylist writes the VOD media playlist of one track.
func mediaPlaylist(t *hlsTrack) []byte {
	ts := float64(t.info.Timescale)
	var maxDur uint64
	for _, f := range t.files {
		for _, d := range f.Run.Durations {
			maxDur = max(maxDur, d.D)
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-TARGETDURATION:%d\n#EXT-X-PLAYLIST-TYPE:VOD\n#EXT-X-MEDIA-SEQUENCE:0\n#EXT-X-INDEPENDENT-SEGMENTS\n",
		int64(math.Ceil(float64(maxDur)/ts)))
	var prevEnd uint64
	for i, f := range t.files {
		r := &f.Run
		if i > 0 && (r.Time != prevEnd || r.HeaderKey != t.files[i-1].Run.HeaderKey) {
			b.WriteString("#EXT-X-DISCONTINUITY\n")
		}
		fmt.Fprintf(&b, "#EXT-X-MAP:URI=%q,BYTERANGE=\"%d@%d\"\n", f.Name, r.InitRange.End-r.InitRange.Start, r.InitRange.Start)
		fmt.Fprintf(&b, "#EXT-X-PROGRAM-DATE-TIME:%s\n", at(r.Time, r.Info.Timescale).Format("2006-01-02T15:04:05.000Z"))
		for _, s := range r.Segments() {
			fmt.Fprintf(&b, "#EXTINF:%.5f,\n#EXT-X-BYTERANGE:%d@%d\n%s\n", float64(s.Duration)/ts, s.Size, s.Offset, f.Name)
		}
		prevEnd = r.EndTime()
	}
	b.WriteString("#EXT-X-ENDLIST\n")
	return []byte(b.String())
}

// fileBandwidth returns the declared bit rate of a file's track, else its
// measured average, rounded up.
func fileBandwidth(r *trackfile.Run) uint32 {
	if r.Info.Bandwidth > 0 {
		return r.Info.Bandwidth
	}
	var bytes int64
	for _, s := range r.Sizes {
		bytes += s
	}
	d := float64(r.EndTime()-r.Time) / float64(r.Info.Timescale)
	if d <= 0 {
		return 0
	}
	return uint32(min(math.Ceil(float64(bytes)*8/d), math.MaxUint32))
}
