package catchup

import (
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/reapd/reapd/smpd"
)

// handleDASH serves GET /catchup/{channel}/manifest.mpd?start=&end=: a
// static MPD of a closed window, or with start alone a dynamic start-over
// MPD from start to the live edge.
func (s *Server) handleDASH(w http.ResponseWriter, r *http.Request) {
	win, err := s.windowFromQuery(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.serveDASH(w, r, r.PathValue("channel"), win, "")
}

// serveDASH writes the MPD of a window; base is the path from the
// manifest's location to /catchup/{channel}/ ("" when it is there). A
// request let in by a signed URL gets an MPD whose header and segment
// URLs carry a signature on (carryQuery).
func (s *Server) serveDASH(w http.ResponseWriter, r *http.Request, channel string, win Window, base string) {
	p, err := s.present(r.Context(), channel, win)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	body, err := smpd.CatchupMPD(s.dashInput(p, base, withQuery(s.carryQuery(r.Context(), channel))))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.manifestHeaders(w, p, "application/dash+xml")
	serveBytes(w, r, body)
}

// dashInput turns a presentation into the input of smpd.CatchupMPD.
//
// Times: each Representation's timeline and presentationTimeOffset are in
// mpdTimescale(track timescale), which keeps epoch media times exact in a
// JavaScript player's float64; Period@start is in ms, Periods being cut at
// ms boundaries. q ("" or "?…") is appended to the header and segment
// URLs: after $Time$, so that every segment URL a player makes carries it.
func (s *Server) dashInput(p *presentation, base, q string) smpd.CatchupInput {
	in := smpd.CatchupInput{Channel: p.channel, Ingest: p.v.ingest, Dynamic: p.dynamic,
		Start: time.UnixMilli(p.startMs).UTC(), Duration: time.Duration(p.lengthMs()) * time.Millisecond,
		Now: s.opts.Now().UTC()}
	if p.dynamic {
		d := p.grid.D.Duration()
		in.MinimumUpdatePeriod = d
		in.SuggestedPresentationDelay = 3 * d
		in.TimeShiftBufferDepth = s.opts.MaxWindow
	}
	bw := bandwidths(p)
	for i, per := range p.periods {
		cp := smpd.CatchupPeriod{ID: per.id, Start: time.Duration(per.presMs) * time.Millisecond}
		if !p.dynamic || i < len(p.periods)-1 {
			cp.Duration = time.Duration(per.durationMs()) * time.Millisecond
		}
		for _, pt := range per.tracks {
			info := pt.tl.segInfo(&pt.segs[0])
			mts := mpdTimescale(info.Timescale)
			hash := pt.tl.hash(&pt.segs[0])
			cp.Tracks = append(cp.Tracks, smpd.CatchupTrack{
				Track: pt.tl.name, Info: *info, Bandwidth: bw[pt.tl], Timescale: mts,
				PresentationTimeOffset: msToTicks(per.startMs, mts),
				Initialization:         base + initPath(pt.tl.name, hash) + q,
				Media:                  base + segmentDir(pt.tl.name, hash, mts) + "$Time$.m4s" + q,
				Timeline:               timeline(pt.segs, info.Timescale, mts),
				Continues:              pt.continues,
			})
		}
		in.Periods = append(in.Periods, cp)
	}
	return in
}

// timeline run-length encodes segments as S elements in timescale mts.
// Durations are differences of converted start times, so a converted
// timeline never drifts from the media.
func timeline(segs []segment, ts, mts uint32) []smpd.CatchupS {
	var out []smpd.CatchupS
	var next uint64
	for i := range segs {
		t := scaleTicks(segs[i].t, ts, mts)
		d := scaleTicks(segs[i].t+segs[i].d, ts, mts) - t
		if n := len(out); n > 0 && t == next && out[n-1].D == d {
			out[n-1].R++
		} else {
			out = append(out, smpd.CatchupS{T: t, D: d})
		}
		next = t + d
	}
	return out
}

// bandwidths returns each track's bandwidth: from its CMAF header (btrt),
// else measured over the presentation's segments (bits per second, rounded
// up).
func bandwidths(p *presentation) map[*trackTimeline]uint32 {
	out := make(map[*trackTimeline]uint32, len(p.tracks))
	for _, tl := range p.tracks {
		info := tl.info()
		if info.Bandwidth != 0 {
			out[tl] = info.Bandwidth
			continue
		}
		var bytes, ticks uint64
		for i := range tl.segs {
			bytes += uint64(tl.segs[i].size)
			ticks += tl.segs[i].d
		}
		if ticks == 0 {
			continue
		}
		bps := math.Ceil(float64(bytes) * 8 * float64(info.Timescale) / float64(ticks))
		out[tl] = uint32(min(bps, 1<<32-1))
	}
	return out
}

// withQuery returns "?"+q, or "" when q is empty.
func withQuery(q string) string {
	if q == "" {
		return ""
	}
	return "?" + q
}

// URL paths below /catchup/{channel}/. Track names and header hashes are
// storage-key safe ([A-Za-z0-9._-]): they need no escaping.

func initPath(track, hash string) string { return "init/" + track + "/" + hash + ".mp4" }

func segmentDir(track, hash string, mts uint32) string {
	return "seg/" + track + "/" + hash + "/" + strconv.FormatUint(uint64(mts), 10) + "/"
}

func segmentPath(track, hash string, mts uint32, t uint64) string {
	return segmentDir(track, hash, mts) + strconv.FormatUint(t, 10) + ".m4s"
}
