package catchup

import (
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
func hlsMedia(p *presentation, tl *trackTimeline, base, q string) ([]byte, error) {
	info := tl.info()
	mts := mpdTimescale(info.Timescale)
	dMs := max(p.grid.D.Duration().Milliseconds(), 1)
	capacity := 0
	for _, per := range p.periods {
		if pt := per.track(tl); pt != nil {
			capacity += len(pt.segs)
		} else {
			capacity += int((per.durationMs() + dMs - 1) / dMs)
		}
	}
	pl, err := m3u8.NewMediaPlaylist(0, uint(max(capacity, 1)))
	if err != nil {
		return nil, err
	}
	defer pl.ReleasePlaylist()
	pl.SetVersion(hlsVersion)
	pl.SetIndependentSegments(true)
	pl.MediaType = m3u8.VOD
	if p.dynamic {
		pl.MediaType = m3u8.EVENT
	}
	if tag := startTag(p); tag != nil {
		pl.Custom = m3u8.CustomMap{tag.TagName(): tag}
	}
	// The URIs of all segments are written into one buffer and cut from
	// one string, and the segments come from the library's pool: a 24 h
	// playlist holds 43,200 segments, and an allocation or two for each
	// made the garbage collector most of a request's time (and its tail).
	var uris []byte
	var segs []*m3u8.MediaSegment
	var ends []int // where each segment's URI ends in uris
	for i, per := range p.periods {
		pt := per.track(tl)
		if pt == nil {
			appendGap(pl, tl.name, per, dMs, base, i > 0)
			continue
		}
		ts := pt.tl.segInfo(&pt.segs[0]).Timescale
		hash := pt.tl.hash(&pt.segs[0])
		mp := &m3u8.Map{URI: base + initPath(tl.name, hash) + q}
		dir := base + segmentDir(tl.name, hash, mts)
		if uris == nil {
			uris = make([]byte, 0, capacity*(len(dir)+len(".m4s")+20+len(q)))
			segs, ends = make([]*m3u8.MediaSegment, 0, capacity), make([]int, 0, capacity)
		}
		for j := range pt.segs {
			sg := &pt.segs[j]
			uris = append(strconv.AppendUint(append(uris, dir...), scaleTicks(sg.t, ts, mts), 10), ".m4s"...)
			uris = append(uris, q...)
			ms := m3u8.GetSegment()
			ms.Duration, ms.Map = float64(sg.d)/float64(ts), mp
			if j == 0 {
				ms.Discontinuity = i > 0
				ms.ProgramDateTime = time.UnixMilli(ticksToMs(sg.t, ts)).UTC()
			}
			if err := pl.AppendSegment(ms); err != nil {
				return nil, err
			}
			segs, ends = append(segs, ms), append(ends, len(uris))
		}
	}
	all, from := string(uris), 0
	for k, ms := range segs {
		ms.URI, from = all[from:ends[k]], ends[k]
	}
	if !p.dynamic {
		pl.Close()
	}
	return slices.Clone(pl.Encode().Bytes()), nil
}

// appendGap fills a Period in which the track has no media with EXT-X-GAP
// segments of at most D each, so that the track's playlist keeps the same
// timeline and discontinuities as the others. Their URIs are never
// fetched (RFC 8216bis 4.4.4.7) and name no segment.
func appendGap(pl *m3u8.MediaPlaylist, track string, per *period, dMs int64, base string, discontinuity bool) {
	dur := per.durationMs()
	count := max((dur+dMs-1)/dMs, 1)
	for j := int64(0); j < count; j++ {
		lo, hi := j*dur/count, (j+1)*dur/count
		ms := &m3u8.MediaSegment{URI: base + "seg/" + track + "/gap/" + per.id + "-" + strconv.FormatInt(j, 10) + ".m4s",
			Duration: float64(hi-lo) / 1000, Gap: true}
		if j == 0 {
			ms.Discontinuity = discontinuity
			ms.ProgramDateTime = time.UnixMilli(per.startMs).UTC()
		}
		_ = pl.AppendSegment(ms)
	}
}
