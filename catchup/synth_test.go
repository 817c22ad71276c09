package catchup

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/reapd/reapd/blobstore"
	"github.com/reapd/reapd/trackfile"
	"github.com/reapd/reapd/trackfile/trackfiletest"
)

// A synthetic archive, written the way the archiver writes it: channel
// timing, CMAF headers, storage track files with their period indexes, and
// staged segments with header-use markers. Tracks are either "index only"
// (period index entries whose track files do not exist: enough for
// manifests, the browse API and the benchmarks) or real (trackfiletest
// audio, with track files and staged segments that can be served).

const testChannel = "ch1"

// epoch0 is 2026-01-01T00:00:00Z, on every grid used here.
var epoch0 = time.Unix(1767225600, 0).UTC()

type synth struct {
	t     testing.TB
	ctx   context.Context
	store *blobstore.Store
	grid  trackfile.Grid
	sts   trackfile.Rational
}

func newSynth(t testing.TB, url string, grid trackfile.Grid) *synth {
	return newSynthTiming(t, url, trackfile.ChannelTiming{SegmentDuration: grid.D, PeriodSegments: grid.N})
}

// newSynthTiming is newSynth with a channel timing: a grid phase, an STS.
func newSynthTiming(t testing.TB, url string, timing trackfile.ChannelTiming) *synth {
	t.Helper()
	st, err := blobstore.Open(context.Background(), url, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	s := &synth{t: t, ctx: context.Background(), store: st, grid: timing.Grid(), sts: timing.STS}
	raw, _ := trackfile.MarshalTiming(timing)
	s.put(trackfile.TimingKey(testChannel), raw)
	return s
}

// grid2s is D = 2 s with 60-second storage periods.
var grid2s = trackfile.Grid{D: trackfile.Rational{Num: 2, Den: 1}, N: 30}

// n returns the segment index at seconds after epoch0.
func (s *synth) n(seconds float64) int64 {
	return s.grid.SegmentAt(epoch0.Add(time.Duration(seconds * float64(time.Second))))
}

func (s *synth) put(key string, b []byte) {
	s.t.Helper()
	if err := s.store.Create(s.ctx, key, b); err != nil {
		s.t.Fatalf("create %s: %v", key, err)
	}
}

// Track descriptions for index-only tracks.
var (
	videoInfo = trackfile.TrackInfo{TrackID: 1, Handler: "vide", Ext: "cmfv", Timescale: 90000, Codecs: "avc1.64001f",
		Width: 1280, Height: 720, Bandwidth: 3000000}
	audioInfo = trackfile.TrackInfo{TrackID: 2, Handler: "soun", Ext: "cmfa", Timescale: 48000, Codecs: "mp4a.40.2",
		SampleRate: 48000, Channels: 2, Language: "en"}
)

// segTimes returns the start of segment n and its duration in ticks: on
// the grid for video, on the AAC frame (1024 samples) nearest the grid for
// audio, so that audio durations alternate.
func segTimes(g trackfile.Grid, info trackfile.TrackInfo, n int64) (t, d uint64) {
	start := func(n int64) uint64 {
		// Grid.SegmentStart without big.Rat (a benchmark archive has
		// a million segments): the test grids have no phase.
		t := uint64((n*g.D.Num*int64(info.Timescale) + g.D.Den/2) / g.D.Den)
		if !g.Phase.IsZero() {
			t = g.SegmentStart(n, info.Timescale)
		}
		if info.Handler == "soun" {
			t = (t + 512) / 1024 * 1024
		}
		return t
	}
	return start(n), start(n+1) - start(n)
}

// indexRun builds the index entry of an index-only run of segments
// [first, end), as trackfile.NewRun does for a real one.
func indexRun(g trackfile.Grid, track string, info trackfile.TrackInfo, hash string, first, end int64, part bool, reason string, rng *rand.Rand) trackfile.Run {
	k := g.Period(first)
	n0 := int64(-1)
	if part {
		n0 = first
	}
	infos := make([]trackfile.SegmentInfo, 0, end-first)
	sl := trackfile.NewSlotter(g, info.Timescale)
	for n := first; n < end; n++ {
		t, d := segTimes(g, info, n)
		size := int64(1000)
		if rng != nil {
			size += rng.Int64N(200000)
		}
		infos = append(infos, trackfile.SegmentInfo{N: sl.Slot(t), Time: t, EPT: t, Duration: d, Size: size,
			StartsWithSAP: true, SAPType: 1})
	}
	head := trackfile.HeadLayout{Init: trackfile.ByteRange{Start: 0, End: 700},
		Index: trackfile.ByteRange{Start: 700, End: 700 + 44 + 12*int64(len(infos))}}
	r := trackfile.NewRun(track, info, infos, head)
	r.EndN = sl.Slot(r.EndTime()) // as the archiver sets it
	r.Key = trackfile.TrackFileKey(testChannel, track, k, n0, info.Ext)
	r.HeaderKey = trackfile.HeaderKey(testChannel, track, hash, info.Ext)
	r.End = reason
	return r
}

// writeIndex writes the period index object of period k (suffix "" for
// the first one).
func (s *synth) writeIndex(k int64, suffix string, runs ...trackfile.Run) {
	s.t.Helper()
	raw, err := trackfile.MarshalIndex(&trackfile.PeriodIndex{Channel: testChannel, Period: k, SegmentDuration: s.grid.D,
		PeriodSegments: s.grid.N, STS: s.sts, Phase: s.grid.Phase, Runs: runs})
	if err != nil {
		s.t.Fatal(err)
	}
	s.put(trackfile.IndexKey(testChannel, k, suffix), raw)
}

// indexOnly writes index-only runs of the tracks for segments [first,
// end), cut at period boundaries, one index object per period. Every run
// ends "complete" unless it ends the stretch (then reason).
func (s *synth) indexOnly(first, end int64, reason string, tracks map[string]trackfile.TrackInfo, hash map[string]string) {
	for k := s.grid.Period(first); k <= s.grid.Period(end-1); k++ {
		lo, hi := max(first, s.grid.PeriodFirst(k)), min(end, s.grid.PeriodFirst(k+1))
		var runs []trackfile.Run
		for _, name := range sortedKeys(tracks) {
			why := trackfile.EndComplete
			if hi == end && hi != s.grid.PeriodFirst(k+1) {
				why = reason
			}
			part := lo != s.grid.PeriodFirst(k) || hi != s.grid.PeriodFirst(k+1)
			runs = append(runs, indexRun(s.grid, name, tracks[name], hash[name], lo, hi, part, why, nil))
		}
		suffix := ""
		if s.exists(trackfile.IndexKey(testChannel, k, "")) {
			suffix = fmt.Sprintf("late-%d", lo)
		}
		s.writeIndex(k, suffix, runs...)
	}
}

func (s *synth) exists(key string) bool {
	_, err := s.store.Stat(s.ctx, key)
	return err == nil
}

func sortedKeys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }

// realTrack is a trackfiletest track archived with real bytes.
type realTrack struct {
	name string
	tr   trackfiletest.Track
	hdr  *trackfile.Header
}

// newRealTrack stores the track's CMAF header.
func (s *synth) newRealTrack(name string, tr trackfiletest.Track) *realTrack {
	s.t.Helper()
	h, err := trackfile.ParseHeader(tr.Header())
	if err != nil {
		s.t.Fatal(err)
	}
	if !s.exists(trackfile.HeaderKey(testChannel, name, h.Hash, h.Info.Ext)) {
		s.put(trackfile.HeaderKey(testChannel, name, h.Hash, h.Info.Ext), h.Raw)
	}
	return &realTrack{name: name, tr: tr, hdr: h}
}

// segment returns the raw segment n of a real track (time n·D on the
// epoch timeline, minus the STS, as an encoder without epoch times sends
// it).
func (s *synth) segment(rt *realTrack, n int64) []byte {
	return s.segmentAt(rt, s.grid.SegmentStart(n, rt.tr.Timescale), rt.tr.SamplesPerSegment)
}

// segmentAt returns a raw segment of a real track that starts at t on the
// epoch timeline and holds samples samples.
func (s *synth) segmentAt(rt *realTrack, t uint64, samples int) []byte {
	tr := rt.tr
	tr.SamplesPerSegment = samples
	return tr.Segment(uint64(int64(t)-s.sts.TicksSigned(tr.Timescale)), uint32(s.grid.SegmentIndex(t, tr.Timescale)+1))
}

// seg is a segment of a real track: its start on the epoch timeline and
// its number of samples.
type seg struct {
	t       uint64
	samples int
}

// onGrid returns the segments of slots [first, end) of a real track, one
// full segment per slot.
func (s *synth) onGrid(rt *realTrack, first, end int64) []seg {
	var out []seg
	for n := first; n < end; n++ {
		out = append(out, seg{s.grid.SegmentStart(n, rt.tr.Timescale), rt.tr.SamplesPerSegment})
	}
	return out
}

// contiguous returns segments of the given numbers of samples, one after
// the other from t.
func (rt *realTrack) contiguous(t uint64, samples ...int) []seg {
	out := make([]seg, len(samples))
	for i, n := range samples {
		out[i] = seg{t, n}
		t += uint64(n) * uint64(rt.tr.SampleDur)
	}
	return out
}

// end returns the time just after sg.
func (rt *realTrack) end(sg seg) uint64 { return sg.t + uint64(sg.samples)*uint64(rt.tr.SampleDur) }

// prepared returns a segment as a storage track file holds it.
func (s *synth) prepared(rt *realTrack, sg seg) ([]byte, trackfile.SegmentInfo) {
	s.t.Helper()
	norm, info, err := trackfile.PrepareSegment(s.segmentAt(rt, sg.t, sg.samples), rt.hdr, s.grid.SegmentIndex(sg.t, rt.tr.Timescale),
		s.sts.TicksSigned(rt.tr.Timescale))
	if err != nil {
		s.t.Fatal(err)
	}
	return norm, info
}

// trackFile writes a real storage track file of segments [first, end) and
// returns its index entry.
func (s *synth) trackFile(rt *realTrack, first, end int64, part bool, reason string) trackfile.Run {
	return s.trackFileOf(rt, s.onGrid(rt, first, end), part, reason)
}

// trackFileOf writes a real storage track file of segments (contiguous in
// time) as the archiver does and returns its index entry: FirstN the slot
// of the first segment, EndN that of the end, key "{k}-{FirstN}" for a
// part.
func (s *synth) trackFileOf(rt *realTrack, segs []seg, part bool, reason string) trackfile.Run {
	s.t.Helper()
	var norms [][]byte
	var infos []trackfile.SegmentInfo
	for _, sg := range segs {
		norm, info := s.prepared(rt, sg)
		norms, infos = append(norms, norm), append(infos, info)
	}
	var buf bytes.Buffer
	lay, err := trackfile.WriteTrackFile(&buf, rt.hdr, infos, func(i int) ([]byte, error) { return norms[i], nil })
	if err != nil {
		s.t.Fatal(err)
	}
	r := trackfile.NewRun(rt.name, rt.hdr.Info, infos, lay)
	r.EndN = s.grid.SegmentIndex(r.EndTime(), rt.tr.Timescale)
	n0 := int64(-1)
	if part {
		n0 = r.FirstN
	}
	r.Key = trackfile.TrackFileKey(testChannel, rt.name, s.grid.Period(r.FirstN), n0, rt.hdr.Info.Ext)
	r.HeaderKey = trackfile.HeaderKey(testChannel, rt.name, rt.hdr.Hash, rt.hdr.Info.Ext)
	r.End = reason
	s.put(r.Key, buf.Bytes())
	return r
}

// stage stages real segments [first, end) with a header-use marker at
// the first one of each period.
func (s *synth) stage(rt *realTrack, first, end int64) {
	s.stageSegs(rt, s.onGrid(rt, first, end)...)
}

// stageSegs stages real segments as the archiver does ("{t}-{d}" keys),
// with a header-use marker at the first one and at the first one of each
// period.
func (s *synth) stageSegs(rt *realTrack, segs ...seg) {
	s.t.Helper()
	ts := rt.tr.Timescale
	for i, sg := range segs {
		n := s.grid.SegmentIndex(sg.t, ts)
		if i == 0 || s.grid.Period(n) != s.grid.Period(s.grid.SegmentIndex(segs[i-1].t, ts)) {
			s.put(trackfile.HeaderUseKey(testChannel, rt.name, sg.t, rt.hdr.Hash), nil)
		}
		s.put(s.stagedKey(rt, sg, trackfile.VariantReal), s.segmentAt(rt, sg.t, sg.samples))
	}
}

// stagedKey returns the key of a staged copy of sg.
func (s *synth) stagedKey(rt *realTrack, sg seg, variant string) string {
	return trackfile.StagedKey(testChannel, rt.name, trackfile.StagedName{T: sg.t, D: rt.end(sg) - sg.t, Variant: variant, Ext: rt.hdr.Info.Ext})
}

// server returns a catch-up server over the synthetic store with the
// clock at now.
func (s *synth) server(now time.Time) *Server {
	return New(s.store, &Options{Now: func() time.Time { return now }})
}

// audio48 and audio96 are two real audio tracks: 2 s segments at 48 kHz
// and at 96 kHz.
var (
	audio48 = trackfiletest.Track{ID: 1, Timescale: 48000, SampleDur: 960, SamplesPerSegment: 100, SampleSize: 64}
	audio96 = trackfiletest.Track{ID: 1, Timescale: 96000, SampleDur: 1920, SamplesPerSegment: 100, SampleSize: 64}
)
