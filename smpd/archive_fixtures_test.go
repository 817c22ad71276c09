package smpd

import (
	"github.com/reapd/reapd/trackfile"
)

const testChannel = "ch1"

// A test grid: the channel's segment duration D, storage period N and
// grid phase.
type testGrid struct {
	d     trackfile.Rational
	n     int64
	phase trackfile.Rational
}

var (
	grid192 = testGrid{d: trackfile.Rational{Num: 48, Den: 25}, n: 1875}                                          // 1.92 s: 48 frames at 25 fps, 90 AAC frames at 48 kHz
	grid2   = testGrid{d: trackfile.Rational{Num: 2, Den: 1}, n: 1800}                                            // 2 s: AAC frames do not fit
	grid4   = testGrid{d: trackfile.Rational{Num: 4, Den: 1}, n: 900}                                             // 4 s, with segments of 8 s and 4 s
	grid2p  = testGrid{d: trackfile.Rational{Num: 2, Den: 1}, n: 1800, phase: trackfile.Rational{Num: 1, Den: 1}} // ffmpeg started on an odd second
)

func (g testGrid) grid() trackfile.Grid { return trackfile.Grid{D: g.d, N: g.n, Phase: g.phase} }

// first returns the first slot of the hour that starts at 2024-01-01T00:00:00Z.
func (g testGrid) first() int64 {
	return g.grid().SegmentAt(mustTime("2024-01-01T00:00:00Z"))
}

// t0 is 2024-01-01T00:00:00Z in seconds.
const t0 = 1704067200

// seg is one segment of a synthetic run: its presentation start on the
// epoch timeline and its duration, in the track timescale.
type seg struct{ ept, d uint64 }

// contiguous returns count segments one after the other from ept, of the
// durations given, cycling through them.
func contiguous(ept uint64, count int, durs ...uint64) []seg {
	out := make([]seg, count)
	for i := range out {
		out[i] = seg{ept, durs[i%len(durs)]}
		ept += out[i].d
	}
	return out
}

// buildSegs makes a run of the given segments (contiguous in time) as the
// archive does: FirstN and EndN the slots of its start and end on the grid
// (with its phase), video decoded two frames ahead of its presentation.
func (g testGrid) buildSegs(track string, info trackfile.TrackInfo, header string, segs []seg, part bool) trackfile.Run {
	ts := info.Timescale
	var cto uint64
	if info.Handler == "vide" {
		cto = uint64(ts) / 25 * 2
	}
	grid := g.grid()
	infos := make([]trackfile.SegmentInfo, len(segs))
	for i, s := range segs {
		infos[i] = trackfile.SegmentInfo{N: grid.SegmentIndex(s.ept-cto, ts), Time: s.ept - cto, EPT: s.ept, Duration: s.d,
			Size: 40000 + int64(i%13)*1000, StartsWithSAP: true, SAPType: 1}
	}
	const initSize = 721
	head := trackfile.HeadLayout{
		Init:  trackfile.ByteRange{Start: 0, End: initSize},
		Index: trackfile.ByteRange{Start: initSize, End: initSize + 44 + 12*int64(len(segs))},
	}
	r := trackfile.NewRun(track, info, infos, head)
	r.EndN = grid.SegmentIndex(r.EndTime(), ts)
	n0 := int64(-1)
	if part {
		n0 = r.FirstN
	}
	r.Key = trackfile.TrackFileKey(testChannel, track, grid.Period(r.FirstN), n0, info.Ext)
	r.HeaderKey = trackfile.HeaderKey(testChannel, track, header, info.Ext)
	r.End = trackfile.EndComplete
	return r
}

var (
	videoInfo = trackfile.TrackInfo{TrackID: 1, Handler: "vide", Ext: "cmfv", Timescale: 90000, Codecs: "avc1.64001f", Width: 1280, Height: 720}
	video640  = trackfile.TrackInfo{TrackID: 1, Handler: "vide", Ext: "cmfv", Timescale: 90000, Codecs: "avc1.64001e", Width: 640, Height: 360}
	audioInfo = trackfile.TrackInfo{TrackID: 1, Handler: "soun", Ext: "cmfa", Timescale: 48000, Codecs: "mp4a.40.2",
		Bandwidth: 128000, SampleRate: 48000, Channels: 2, Language: "en"}
	textInfo = trackfile.TrackInfo{TrackID: 1, Handler: "subt", Ext: "cmft", Timescale: 1000, Codecs: "stpp.ttml.im1t",
		Language: "en", Roles: []string{"urn:mpeg:dash:role:2011 subtitle"}}
)

// runSpec describes a storage track file run to build.
type runSpec struct {
	track  string
	info   trackfile.TrackInfo
	header string // header hash
	firstN int64
	count  int
	part   bool // key "{k}-{n0}" rather than "{k}"
}

// build makes the run as the archive would: segment presentation times on
// the grid, audio segments starting on the AAC frame nearest the grid,
// video decoded two frames ahead (B-frames, no edit list: REaP 6.2 g),
// sizes that vary.
func (g testGrid) build(s runSpec) trackfile.Run {
	ts := s.info.Timescale
	start := func(n int64) uint64 {
		t := uint64((n*g.d.Num*int64(ts) + g.d.Den/2) / g.d.Den) // Grid.SegmentStart, without big.Int
		if s.info.Handler == "soun" {
			t = (t + 512) / 1024 * 1024
		}
		return t
	}
	var cto uint64
	if s.info.Handler == "vide" {
		cto = uint64(ts) / 25 * 2
	}
	segs := make([]trackfile.SegmentInfo, s.count)
	for i := range segs {
		n := s.firstN + int64(i)
		segs[i] = trackfile.SegmentInfo{N: n, Time: start(n) - cto, EPT: start(n), Duration: start(n+1) - start(n),
			Size: 40000 + int64(n%13)*1000, StartsWithSAP: true, SAPType: 1}
	}
	const initSize = 721
	head := trackfile.HeadLayout{
		Init:  trackfile.ByteRange{Start: 0, End: initSize},
		Index: trackfile.ByteRange{Start: initSize, End: initSize + 44 + 12*int64(s.count)},
	}
	r := trackfile.NewRun(s.track, s.info, segs, head)
	k := trackfile.Grid{D: g.d, N: g.n}.Period(s.firstN)
	n0 := int64(-1)
	if s.part {
		n0 = s.firstN
	}
	r.Key = trackfile.TrackFileKey(testChannel, s.track, k, n0, s.info.Ext)
	r.HeaderKey = trackfile.HeaderKey(testChannel, s.track, s.header, s.info.Ext)
	r.End = trackfile.EndComplete
	return r
}

// hours builds complete one-hour runs of a track for periods k0 … k0+h-1.
func (g testGrid) hours(track string, info trackfile.TrackInfo, header string, h int) []trackfile.Run {
	var runs []trackfile.Run
	for i := int64(0); i < int64(h); i++ {
		runs = append(runs, g.build(runSpec{track: track, info: info, header: header, firstN: g.first() + i*g.n, count: int(g.n)}))
	}
	return runs
}
