package catchup

import (
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/Eyevinn/hls-m3u8/m3u8"
	"github.com/reapd/reapd/trackfile"
)

// handleHLSMedia serves GET /catchup/{channel}/hls/{track}.m3u8?start=&end=:
// the media playlist of one track over the window.
func (s *Server) handleHLSMedia(w http.ResponseWriter, r *http.Request) {
	track, ok := strings.CutSuffix(r.PathValue("file"), ".m3u8")
	if !ok {
		s.writeError(w, r, notFound("no such playlist %q: want {track}.m3u8", r.PathValue("file")))
		return
	}
	if err := trackfile.CheckName(track); err != nil {
		s.writeError(w, r, badRequest("track: %v", err))
		return
	}
	win, err := s.windowFromQuery(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	channel := r.PathValue("channel")
	p, err := s.present(r.Context(), channel, win)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	i := slices.IndexFunc(p.tracks, func(tl *trackTimeline) bool { return tl.name == track })
	if i < 0 {
		s.writeError(w, r, notFound("channel %q has no track %q in the window", channel, track))
		return
	}
	body, err := hlsMedia(p, p.tracks[i], "../", withQuery(s.carryQuery(r.Context(), channel)))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.manifestHeaders(w, p, "application/vnd.apple.mpegurl")
	serveBytes(w, r, body)
}

// hlsMedia writes the media playlist of track tl (RFC 8216bis 4.4.3, 4.4.4):
// version 7, EXT-X-MAP per CMAF header, EXT-X-PROGRAM-DATE-TIME on the
// first segment of every Period, EXT-X-DISCONTINUITY at every Period
// boundary in every track's playlist (so that the discontinuity sequence
// numbers of all renditions agree), and EXT-X-GAP segments for the Periods
// in which the track has no media while others have. A closed window is a
// VOD playlist with EXT-X-ENDLIST; a start-over window an EVENT playlist.
// Segment URIs are the DASH ones: one URL per segment, immutable, followed
// by q ("" or a signed-URL query "?…").
//
// hls-m3u8 writes the playlist's header; the segment lines, in the order
// and form its encoder writes them, are appended here. A 24 h playlist
// holds 43,200 segments: building one of the library's segment objects for
// each, encoding and releasing them took two thirds of a request (13 of
// 20 ms), and the garbage made the tail; the golden files hold the
// library's own output for every kind of line.
func hlsMedia(p *presentation, tl *trackTimeline, base, q string) ([]byte, error) {
	mts := mpdTimescale(tl.info().Timescale)
	dMs := max(p.grid.D.Duration().Milliseconds(), 1)
	w := hlsSegmentWriter{target: 1}
	count, uriLen := 0, 0
	for _, per := range p.periods {
		if pt := per.track(tl); pt != nil {
			count += len(pt.segs)
			uriLen = max(uriLen, len(base)+len(segmentDir(tl.name, pt.tl.hash(&pt.segs[0]), mts))+len(".m4s")+20+len(q))
			ts := float64(pt.tl.segInfo(&pt.segs[0]).Timescale)
			for j := range pt.segs {
				w.fit(float64(pt.segs[j].d) / ts)
			}
		} else {
			gaps := gapSeconds(per, dMs)
			count += len(gaps)
			for _, d := range gaps {
				w.fit(d)
			}
		}
	}
	header, err := hlsMediaHeader(p, w.target)
	if err != nil {
		return nil, err
	}
	w.b = make([]byte, 0, len(header)+count*(uriLen+len("#EXTINF:2.000,\n\n"))+len("#EXT-X-ENDLIST\n")+1024)
	w.b = append(w.b, header...)
	for i, per := range p.periods {
		pt := per.track(tl)
		if pt == nil {
			w.gap(tl.name, per, dMs, base, i > 0)
			continue
		}
		ts := pt.tl.segInfo(&pt.segs[0]).Timescale
		hash := pt.tl.hash(&pt.segs[0])
		mapURI := base + initPath(tl.name, hash) + q
		dir := base + segmentDir(tl.name, hash, mts)
		for j := range pt.segs {
			sg := &pt.segs[j]
			if j == 0 && i > 0 {
				w.b = append(w.b, "#EXT-X-DISCONTINUITY\n"...)
			}
			w.setMap(mapURI)
			if j == 0 {
				w.programDateTime(time.UnixMilli(ticksToMs(sg.t, ts)))
			}
			w.extinf(float64(sg.d) / float64(ts))
			w.b = append(w.b, dir...)
			w.b = strconv.AppendUint(w.b, scaleTicks(sg.t, ts, mts), 10)
			w.b = append(w.b, ".m4s"...)
			w.b = append(w.b, q...)
			w.b = append(w.b, '\n')
		}
	}
	if !p.dynamic {
		w.b = append(w.b, "#EXT-X-ENDLIST\n"...)
	}
	return w.b, nil
}

// hlsMediaHeader returns the lines of a media playlist before its first
// segment, as hls-m3u8 writes them.
func hlsMediaHeader(p *presentation, target uint) ([]byte, error) {
	pl, err := m3u8.NewMediaPlaylist(0, 1)
	if err != nil {
		return nil, err
	}
	defer pl.ReleasePlaylist()
	pl.SetVersion(hlsVersion)
	pl.SetIndependentSegments(true)
	pl.SetTargetDuration(target)
	pl.MediaType = m3u8.VOD
	if p.dynamic {
		pl.MediaType = m3u8.EVENT
	}
	if tag := startTag(p); tag != nil {
		pl.Custom = m3u8.CustomMap{tag.TagName(): tag}
	}
	return slices.Clone(pl.Encode().Bytes()), nil
}

// hlsSegmentWriter appends the lines of media segments (RFC 8216bis 4.4.4)
// in hls-m3u8's order: EXT-X-DISCONTINUITY, EXT-X-GAP, EXT-X-MAP when it
// changes, EXT-X-PROGRAM-DATE-TIME, EXTINF (milliseconds), the URI.
type hlsSegmentWriter struct {
	b       []byte
	target  uint            // EXT-X-TARGETDURATION: the longest segment, rounded (version ≥ 6)
	lastMap string          // URI of the EXT-X-MAP in force
	durs    [4]durationText // EXTINF values written last (audio alternates between two or three)
	next    int             // the entry of durs to replace
}

// durationText is an EXTINF duration and its text.
type durationText struct {
	d    float64
	text []byte
}

// fit makes the target duration hold a segment of d seconds.
func (w *hlsSegmentWriter) fit(d float64) { w.target = max(w.target, uint(math.Round(d))) }

func (w *hlsSegmentWriter) setMap(uri string) {
	if uri == w.lastMap {
		return
	}
	w.lastMap = uri
	w.b = append(w.b, `#EXT-X-MAP:URI="`...)
	w.b = append(w.b, uri...)
	w.b = append(w.b, "\"\n"...)
}

func (w *hlsSegmentWriter) programDateTime(t time.Time) {
	w.b = append(w.b, "#EXT-X-PROGRAM-DATE-TIME:"...)
	w.b = t.UTC().AppendFormat(w.b, time.RFC3339Nano)
	w.b = append(w.b, '\n')
}

func (w *hlsSegmentWriter) extinf(d float64) {
	w.b = append(w.b, "#EXTINF:"...)
	w.b = append(w.b, w.durationText(d)...)
	w.b = append(w.b, ",\n"...)
}

// durationText returns d as EXTINF writes it (milliseconds, like hls-m3u8).
func (w *hlsSegmentWriter) durationText(d float64) []byte {
	for i := range w.durs {
		if e := &w.durs[i]; e.text != nil && e.d == d {
			return e.text
		}
	}
	e := &w.durs[w.next]
	w.next = (w.next + 1) % len(w.durs)
	e.d, e.text = d, strconv.AppendFloat(e.text[:0], d, 'f', m3u8.DefaultFloatPrecision, 64)
	return e.text
}

// gapSeconds returns the durations of the EXT-X-GAP segments, of at most
// D each and split to the millisecond, that fill Period per.
func gapSeconds(per *period, dMs int64) []float64 {
	dur := per.durationMs()
	count := max((dur+dMs-1)/dMs, 1)
	out := make([]float64, count)
	for j := range count {
		out[j] = float64((j+1)*dur/count-j*dur/count) / 1000
	}
	return out
}

// gap fills a Period in which the track has no media with EXT-X-GAP
// segments of at most D each, so that the track's playlist keeps the same
// timeline and discontinuities as the others. Their URIs are never
// fetched (RFC 8216bis 4.4.4.7) and name no segment; they carry no
// EXT-X-MAP.
func (w *hlsSegmentWriter) gap(track string, per *period, dMs int64, base string, discontinuity bool) {
	for j, d := range gapSeconds(per, dMs) {
		if j == 0 && discontinuity {
			w.b = append(w.b, "#EXT-X-DISCONTINUITY\n"...)
		}
		w.b = append(w.b, "#EXT-X-GAP\n"...)
		if j == 0 {
			w.programDateTime(time.UnixMilli(per.startMs))
		}
		w.extinf(d)
		w.b = append(w.b, base+"seg/"+track+"/gap/"+per.id+"-"...)
		w.b = strconv.AppendInt(w.b, int64(j), 10)
		w.b = append(w.b, ".m4s\n"...)
	}
}
