package catchup

import (
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/Eyevinn/dash-mpd/mpd"
	"github.com/reapd/reapd/trackfile"
)

// Segment identity by start time (issue 8): split segments (two in one
// grid slot) and durations that alternate around the grid, in storage
// track files and staged, are each served once, at their exact times,
// with the bytes a storage track file holds.

// span of a segment in the track timescale.
type tdur struct{ t, d uint64 }

// dashTimelines returns per Representation the segments of the MPD's
// SegmentTimelines (all Periods) in the Representation's timescale, and
// the number of Periods.
func dashTimelines(t *testing.T, body string) (map[string][]tdur, int) {
	t.Helper()
	m, err := mpd.MPDFromBytes([]byte(body))
	if err != nil {
		t.Fatalf("%v\n%s", err, body)
	}
	out := map[string][]tdur{}
	for _, p := range m.Periods {
		for _, as := range p.AdaptationSets {
			for _, rep := range as.Representations {
				var at uint64
				for _, s := range rep.SegmentTemplate.SegmentTimeline.S {
					if s.T != nil {
						at = *s.T
					}
					for range s.R + 1 {
						out[rep.Id] = append(out[rep.Id], tdur{at, s.D})
						at += s.D
					}
				}
			}
		}
	}
	return out, len(m.Periods)
}

// hlsSegments returns the segments of a media playlist: start time (from
// the URI) and EXTINF duration in ticks of ts, with the segment paths.
func hlsSegments(t *testing.T, h http.Handler, u string, ts uint32) ([]tdur, []string) {
	t.Helper()
	_, paths := playlistURIs(t, h, u)
	var out []tdur
	var dur float64
	for _, line := range strings.Split(body(t, mustGet(t, h, u)), "\n") {
		if v, ok := strings.CutPrefix(line, "#EXTINF:"); ok {
			dur, _ = strconv.ParseFloat(strings.TrimSuffix(v, ","), 64)
		}
		if line != "" && !strings.HasPrefix(line, "#") {
			tt, err := strconv.ParseUint(strings.TrimSuffix(line[strings.LastIndexByte(line, '/')+1:], ".m4s"), 10, 64)
			if err != nil {
				t.Fatalf("segment URI %q: %v", line, err)
			}
			out = append(out, tdur{tt, uint64(math.Round(dur * float64(ts)))})
		}
	}
	return out, paths
}

// timeCase is an archive of two real tracks whose segments are not one
// per slot, partly in storage track files, partly staged.
type timeCase struct {
	name       string
	grid       trackfile.Grid
	a, b       func(s *synth, rt *realTrack) []seg // a track's segments, in time order
	finalUntil float64                             // seconds after epoch0: segments before are in track files
	now        float64
}

func timeCases() []timeCase {
	return []timeCase{
		// 2 s grid, 60 s periods: track a splits the segments of slots 5
		// and 40 (0.8 s + 1.2 s: two segments in one slot), in a track
		// file and staged; b is regular.
		{name: "split", grid: grid2s, finalUntil: 60, now: 100,
			a: func(s *synth, rt *realTrack) []seg {
				n0 := s.n(0)
				return slices.Concat(s.onGrid(rt, n0, n0+5), rt.contiguous(s.grid.SegmentStart(n0+5, 48000), 40, 60),
					s.onGrid(rt, n0+6, n0+40), rt.contiguous(s.grid.SegmentStart(n0+40, 48000), 40, 60), s.onGrid(rt, n0+41, n0+45))
			},
			b: func(s *synth, rt *realTrack) []seg { return s.onGrid(rt, s.n(0), s.n(90)) },
		},
		// 4 s grid, 60 s periods: a alternates 8 s and 4 s segments (every
		// third slot has no segment start), b has 4 s segments.
		{name: "alternating", grid: trackfile.Grid{D: trackfile.Rational{Num: 4, Den: 1}, N: 15}, finalUntil: 60, now: 110,
			a: func(s *synth, rt *realTrack) []seg {
				var samples []int
				for range 8 {
					samples = append(samples, 400, 200)
				}
				return rt.contiguous(s.grid.SegmentStart(s.n(0), 48000), samples...)
			},
			b: func(s *synth, rt *realTrack) []seg {
				return rt.contiguous(s.grid.SegmentStart(s.n(0), 96000), slices.Repeat([]int{200}, 24)...)
			},
		},
	}
}

// build writes the case: the segments before finalUntil into one track
// file per track and period, the rest staged; it returns every segment of
// both tracks as the catch-up must list them.
func (c timeCase) build(s *synth) (a, b *realTrack, want map[string][]tdur) {
	a, b = s.newRealTrack("a", audio48), s.newRealTrack("b", audio96)
	want = map[string][]tdur{}
	limit := epoch0.Unix() + int64(c.finalUntil)
	for _, tr := range []struct {
		rt   *realTrack
		segs []seg
	}{{a, c.a(s, a)}, {b, c.b(s, b)}} {
		ts := tr.rt.tr.Timescale
		byPeriod := map[int64][]seg{}
		var staged []seg
		for _, sg := range tr.segs {
			want[tr.rt.name] = append(want[tr.rt.name], tdur{sg.t, tr.rt.end(sg) - sg.t})
			if sg.t/uint64(ts) < uint64(limit) {
				k := s.grid.Period(s.grid.SegmentIndex(sg.t, ts))
				byPeriod[k] = append(byPeriod[k], sg)
			} else {
				staged = append(staged, sg)
			}
		}
		for k, segs := range byPeriod {
			run := s.trackFileOf(tr.rt, segs, false, trackfile.EndComplete)
			if s.exists(trackfile.IndexKey(testChannel, k, "")) {
				s.writeIndex(k, "track-"+tr.rt.name, run)
			} else {
				s.writeIndex(k, "", run)
			}
		}
		s.stageSegs(tr.rt, staged...)
	}
	return a, b, want
}

func TestSplitAndAlternatingSegments(t *testing.T) {
	for _, c := range timeCases() {
		t.Run(c.name, func(t *testing.T) {
			s := newSynth(t, "mem://", c.grid)
			a, b, want := c.build(s)
			h := s.server(at(c.now)).Handler()
			end := max(ticksToMs(want["a"][len(want["a"])-1].t+want["a"][len(want["a"])-1].d, 48000),
				ticksToMs(want["b"][len(want["b"])-1].t+want["b"][len(want["b"])-1].d, 96000))
			win := "start=" + epochSeconds(at(0)) + "&end=" + strconv.FormatFloat(float64(end)/1000, 'f', 3, 64)

			dash, periods := dashTimelines(t, body(t, mustGet(t, h, "/catchup/ch1/manifest.mpd?"+win)))
			if periods != 1 {
				t.Errorf("%d Periods, want 1: both tracks play without a break", periods)
			}
			for _, rt := range []*realTrack{a, b} {
				if !slices.Equal(dash[rt.name], want[rt.name]) {
					t.Errorf("DASH %s:\n got %v\nwant %v", rt.name, dash[rt.name], want[rt.name])
				}
				segs, paths := hlsSegments(t, h, "/catchup/ch1/hls/"+rt.name+".m3u8?"+win, rt.tr.Timescale)
				if !slices.Equal(segs, want[rt.name]) {
					t.Errorf("HLS %s:\n got %v\nwant %v", rt.name, segs, want[rt.name])
				}
				for i, p := range paths {
					if i >= len(want[rt.name]) {
						break
					}
					w := want[rt.name][i]
					norm, _ := s.prepared(rt, seg{w.t, int(w.d / uint64(rt.tr.SampleDur))})
					if got := body(t, mustGet(t, h, p)); got != string(norm) {
						t.Errorf("%s: %d bytes, not the %d a track file holds", p, len(got), len(norm))
					}
				}
			}
		})
	}
}

// TestStagedCopyOfTrackFileSegment: segments staged again after their
// period was finalized (a late duplicate, a shorter crash-cut copy of the
// same start time) are listed and served once, from the track file.
func TestStagedCopyOfTrackFileSegment(t *testing.T) {
	s := newSynth(t, "mem://", grid2s)
	a := s.newRealTrack("a", audio48)
	n0 := s.n(0)
	run := s.trackFile(a, n0, n0+30, false, trackfile.EndComplete)
	s.writeIndex(s.grid.Period(n0), "", run)
	dup := s.onGrid(a, n0+20, n0+21)[0]
	s.stageSegs(a, dup)                                       // the same segment
	s.stageSegs(a, seg{s.grid.SegmentStart(n0+25, 48000), 2}) // a 2-sample fragment of segment n0+25
	s.stage(a, n0+30, n0+40)
	h := s.server(at(100)).Handler()
	win := "start=" + epochSeconds(at(0)) + "&end=" + epochSeconds(at(80))

	dash, _ := dashTimelines(t, body(t, mustGet(t, h, "/catchup/ch1/manifest.mpd?"+win)))
	segs, paths := hlsSegments(t, h, "/catchup/ch1/hls/a.m3u8?"+win, 48000)
	var want []tdur
	for _, sg := range s.onGrid(a, n0, n0+40) {
		want = append(want, tdur{sg.t, a.end(sg) - sg.t})
	}
	if !slices.Equal(dash["a"], want) || !slices.Equal(segs, want) {
		t.Errorf("segments:\nDASH %v\nHLS  %v\nwant %v", dash["a"], segs, want)
	}
	for _, i := range []int{20, 25} {
		r := mustGet(t, h, paths[i])
		if got, wantB := body(t, r), s.expected(t, a, n0+int64(i)); got != string(wantB) {
			t.Errorf("%s: %d bytes, want the track file's %d", paths[i], len(got), len(wantB))
		}
		if cc := r.Header.Get("Cache-Control"); cc != immutable {
			t.Errorf("%s: Cache-Control %q", paths[i], cc)
		}
	}
	var cov coverageJSON
	decode(t, h, "/api/channels/ch1/coverage?from="+epochSeconds(at(0))+"&to="+epochSeconds(at(80)), &cov)
	if len(cov.Tracks) != 1 || len(cov.Tracks[0].Ranges) != 1 || cov.Tracks[0].Ranges[0].Segments != 40 {
		t.Errorf("coverage: %+v, want one range of 40 segments", cov.Tracks)
	}
}

// TestPhaseAndPriming: a channel whose grid has a phase (an encoder
// started on an odd second), track b starting one AAC-sized frame (20 ms)
// before track a: both first segments are in one slot, so neither is
// trimmed as "one track ahead", and one Period starts at a's first sample.
func TestPhaseAndPriming(t *testing.T) {
	g := grid2s
	g.Phase = trackfile.Rational{Num: 1, Den: 1}
	s := newSynthTiming(t, "mem://", trackfile.ChannelTiming{SegmentDuration: g.D, PeriodSegments: g.N, Phase: g.Phase})
	a, b := s.newRealTrack("a", audio48), s.newRealTrack("b", audio96)
	n0 := s.n(1)
	bSegs := s.onGrid(b, n0, n0+40)
	bSegs[0] = seg{bSegs[0].t - 1920, b.tr.SamplesPerSegment + 1} // priming: one sample more, before the slot start
	s.writeIndex(s.grid.Period(n0), "", s.trackFile(a, n0, n0+29, false, trackfile.EndComplete),
		s.trackFileOf(b, bSegs[:29], false, trackfile.EndComplete))
	s.stage(a, n0+29, n0+40)
	s.stageSegs(b, bSegs[29:]...)
	h := s.server(at(120)).Handler()
	body := body(t, mustGet(t, h, "/catchup/ch1/manifest.mpd?start="+epochSeconds(at(0))+"&end="+epochSeconds(at(82))))
	dash, periods := dashTimelines(t, body)
	if periods != 1 || !strings.Contains(body, `<Period id="p1767225601000"`) {
		t.Errorf("%d Periods, want 1 from the grid phase (1 s):\n%s", periods, body)
	}
	for _, tr := range []struct {
		rt   *realTrack
		segs []seg
	}{{a, s.onGrid(a, n0, n0+40)}, {b, bSegs}} {
		var want []tdur
		for _, sg := range tr.segs {
			want = append(want, tdur{sg.t, tr.rt.end(sg) - sg.t})
		}
		if !slices.Equal(dash[tr.rt.name], want) {
			t.Errorf("%s:\n got %v\nwant %v", tr.rt.name, dash[tr.rt.name], want)
		}
	}
}
