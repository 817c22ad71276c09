package archive

import (
	"fmt"

	"github.com/reapd/reapd/trackfile"
)

// encKey identifies a media segment by what it is, not by how reapd files
// it: its track and its start time (tfdt; every case runs with STS 0).
type encKey struct {
	track string
	start uint64
}

// What must become of a posted body.
const (
	wantHeader   = "header"
	wantArchived = "archived" // answered 200, then in exactly one track file, byte-exact minus sidx
	wantReplaced = "replaced" // a slate copy: answered 200, the real copy posted later is archived instead
	wantGap      = "gap"      // a 'miss' segment: answered 200, a recorded gap, nothing archived
	wantHostile  = "hostile"  // may be refused with a 4xx; answered 200, it is archived like any segment
)

// encPost is one request of an encoder: a CMAF header or a media segment.
type encPost struct {
	track synthTrack
	path  string
	body  []byte
	want  string
	key   encKey // media segments only
}

// encSpan is one video segment: its start and length in frames at 25 fps
// on the epoch timeline. Segments of the other tracks follow the video's.
type encSpan struct{ start, frames int64 }

// contiguous returns spans that follow each other from start (in frames).
func contiguous(start int64, frames ...int64) []encSpan {
	out := make([]encSpan, len(frames))
	for i, f := range frames {
		out[i] = encSpan{start, f}
		start += f
	}
	return out
}

// repeat returns n copies of f.
func repeat(n int, f int64) []int64 {
	out := make([]int64, n)
	for i := range out {
		out[i] = f
	}
	return out
}

// at returns the frame number of an epoch second.
func at(sec int64) int64 { return sec * 25 }

// encOpt holds the options of one segment (all tracks) of an input.
type encOpt struct {
	brands []string // extra styp brands (lmsg)
	scte35 bool     // an SCTE-35 splice at its start: emsg in video, emib in the event track
	slate  bool     // a 'slat' copy is posted first, then the real one
	miss   bool     // only a 'miss' segment is posted
}

// encInput is the output of one encoder: a video track, an audio track
// and optionally an SCTE-35 event track, cut at the same segment spans.
type encInput struct {
	video   synthTrack
	events  bool
	reap    trackfile.Rational // REaP numbering with this D (mfhd = t/D + 1); zero: a counter from 1 at every (re)start
	priming uint64             // audio ticks by which the audio starts before the video at every (re)start
	sidx    bool               // per-segment sidx boxes (ffmpeg)
	spans   []encSpan
	opts    map[int]encOpt
	hostile []synthSeg // video segments posted before everything else
	ftyp    []string   // ftyp brands of every header; nil: CMAF brands
}

func (in encInput) tracks() []synthTrack {
	ts := []synthTrack{in.video, synthAudio}
	if in.events {
		ts = append(ts, synthEvents)
	}
	for i := range ts {
		ts[i].ftyp = in.ftyp
	}
	return ts
}

// posts returns the encoder's requests in the order a live encoder sends
// them: every header, the hostile segments, then segment by segment, each
// for every track.
func (in encInput) posts() []encPost {
	var out []encPost
	for _, tr := range in.tracks() {
		out = append(out, encPost{track: tr, path: fmt.Sprintf("/ingest/ch1/%s/init.%s", tr.name, tr.ext()),
			body: tr.header(), want: wantHeader})
	}
	for i, g := range in.hostile {
		g.seq = uint32(i + 1)
		out = append(out, in.media(in.tracks()[0], g, wantHostile))
	}
	runStart := 0
	for i, sp := range in.spans {
		if i > 0 && sp.start != in.spans[i-1].start+in.spans[i-1].frames {
			runStart = i // the encoder restarted
		}
		o := in.opts[i]
		for _, tr := range in.tracks() {
			g := synthSeg{seq: uint32(i - runStart + 1), brands: o.brands, scte35: o.scte35, sidx: in.sidx}
			if !in.reap.IsZero() {
				g.seq = uint32(sp.start*in.reap.Den/(25*in.reap.Num) + 1)
			}
			g.start, g.dur = in.ticks(tr, in.spans[runStart].start, sp)
			switch {
			case o.miss:
				m := g
				m.brands, m.variant = append(append([]string(nil), g.brands...), "miss"), 2
				out = append(out, in.media(tr, m, wantGap))
				continue
			case o.slate:
				s := g
				s.brands, s.variant = append(append([]string(nil), g.brands...), "slat"), 1
				out = append(out, in.media(tr, s, wantReplaced))
			}
			out = append(out, in.media(tr, g, wantArchived))
		}
	}
	return out
}

func (in encInput) media(tr synthTrack, g synthSeg, want string) encPost {
	return encPost{track: tr, path: fmt.Sprintf("/ingest/ch1/%s/%d.%s", tr.name, g.seq, tr.ext()),
		body: tr.segment(g), want: want, key: encKey{tr.name, g.start}}
}

// ticks returns the start and duration of span sp in track tr, for an
// encoder (re)started at video frame run0. Video and event tracks cut
// exactly at the span; audio frames run from the start (less the
// priming) and a segment starts at the first audio frame at or after its
// video segment's start, as encoders cut AAC.
func (in encInput) ticks(tr synthTrack, run0 int64, sp encSpan) (start, dur uint64) {
	if tr.kind != kindAudio {
		per := uint64(tr.timescale / 25)
		return uint64(sp.start) * per, uint64(sp.frames) * per
	}
	a0 := uint64(run0)*1920 - in.priming // 48000/25 audio ticks per video frame
	edge := func(f int64) uint64 {
		if f == run0 {
			return a0
		}
		d := uint64(f)*1920 - a0
		return a0 + (d+uint64(tr.frame)-1)/uint64(tr.frame)*uint64(tr.frame)
	}
	s, e := edge(sp.start), edge(sp.start+sp.frames)
	return s, e - s
}

// expected returns, from the posts and their answers, the segments the
// archive must hold (key → bytes as stored) and the headers sent per track.
// A hostile segment is expected only when it was answered 200.
func expected(posts []encPost, codes []int) (map[encKey][]byte, map[string][][]byte) {
	segs := map[encKey][]byte{}
	heads := map[string][][]byte{}
	for i, p := range posts {
		switch {
		case p.want == wantHeader:
			heads[p.track.name] = append(heads[p.track.name], p.body)
		case p.want == wantArchived, p.want == wantHostile && codes[i] == 200:
			segs[p.key] = stripSidx(p.body)
		}
	}
	return segs, heads
}
