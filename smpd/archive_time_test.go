package smpd

import (
	"slices"
	"testing"
	"time"

	"github.com/Eyevinn/dash-mpd/mpd"
	"github.com/reapd/reapd/trackfile"
)

// timeCases are the archive S-MPD cases of segment identity by start
// time (issue 8): segments that share a slot, slots without a segment
// start, a grid phase, audio priming, and a track that starts a slot
// late. They join archiveCases (golden files, round trip, determinism).
func timeCases() []struct {
	name string
	in   ArchiveInput
} {
	const v, a = 90000, 48000 // timescales
	aac := func(t uint64) uint64 { return (t + 512) / 1024 * 1024 }
	// audioRun: AAC audio from ept (48 kHz) to end, in segments that end on
	// the AAC frame nearest every 2 s after start (the last one at end).
	audioRun := func(ept, start, end uint64) []seg {
		var out []seg
		for b := start + 2*a; ept < end; b += 2 * a {
			e := aac(b)
			if e+a > end {
				e = end
			}
			out = append(out, seg{ept, e - ept})
			ept = e
		}
		return out
	}
	g2 := grid2
	return []struct {
		name string
		in   ArchiveInput
	}{
		// Video segments split at splice points (two segments in one
		// slot): at 100 s within a run, at 200.8 s with a new header (a
		// new run from the middle of slot 100); audio plays on. Two
		// Periods, cut at 200.8 s, not at the slot's grid time.
		{"split-segment", ArchiveInput{Channel: testChannel, Runs: []trackfile.Run{
			g2.buildSegs("video", videoInfo, "aaaaaaaaaaaa", slices.Concat(
				contiguous(t0*v, 50, 2*v), contiguous((t0+100)*v, 2, 72000, 108000),
				contiguous((t0+102)*v, 49, 2*v), contiguous((t0+200)*v, 1, 72000)), true),
			g2.buildSegs("video", videoInfo, "bbbbbbbbbbbb", slices.Concat(
				contiguous((t0+200)*v+72000, 1, 108000), contiguous((t0+202)*v, 199, 2*v)), true),
			g2.buildSegs("audio", audioInfo, "cccccccccccc", audioRun(t0*a, t0*a, (t0+600)*a), true),
		}}},
		// Video segments alternating 8 s and 4 s on a 4 s grid (every
		// third slot has no segment start), audio in 4 s segments: 600
		// and 900 segments over the same 900 slots, one Period.
		{"alternating-8-4", ArchiveInput{Channel: testChannel, Runs: []trackfile.Run{
			grid4.buildSegs("video", videoInfo, "aaaaaaaaaaaa", contiguous(t0*v, 600, 8*v, 4*v), false),
			grid4.buildSegs("audio", audioInfo, "cccccccccccc", contiguous(t0*a, 900, 4*a), false),
		}}},
		// ffmpeg started on an odd second (phase 1 s) with 21.3 ms of AAC
		// priming: the audio run starts 1024 samples before the video, in
		// the same slot. One Period, from the video's first frame.
		{"off-grid-priming", ArchiveInput{Channel: testChannel, Runs: []trackfile.Run{
			grid2p.buildSegs("video", videoInfo, "aaaaaaaaaaaa", contiguous((t0+1)*v, 300, 2*v), true),
			grid2p.buildSegs("audio", audioInfo, "cccccccccccc", audioRun((t0+1)*a-1024, (t0+1)*a, (t0+601)*a), true),
		}}},
		// The same priming on a grid without the phase, the encoder 1.01 s
		// off it: the audio start (0.989 s) rounds to slot 0, the video's
		// (1.01 s) to slot 1. The 0.1 s audio-only sliver is no Period.
		{"priming-across-slots", ArchiveInput{Channel: testChannel, Runs: []trackfile.Run{
			g2.buildSegs("video", videoInfo, "aaaaaaaaaaaa", contiguous(t0*v+90900+7200, 300, 2*v), true),
			g2.buildSegs("audio", audioInfo, "cccccccccccc", audioRun(t0*a+48480-1024, t0*a+48480, (t0+601)*a+480), true),
		}}},
		// The video run starts a slot after the audio (the video encoder
		// joined a segment later): a 2 s audio-only Period, then both.
		{"video-late", ArchiveInput{Channel: testChannel, Runs: []trackfile.Run{
			g2.buildSegs("video", videoInfo, "aaaaaaaaaaaa", contiguous((t0+2)*v, 299, 2*v), true),
			g2.buildSegs("audio", audioInfo, "cccccccccccc", audioRun(t0*a, t0*a, (t0+600)*a), true),
		}}},
	}
}

// TestArchiveMPDPeriodRules checks the rules of issue 8 on every case:
// no Period shorter than the shortest segment, and no Period without a
// track whose run has media in it (beyond a few ms at its edges).
func TestArchiveMPDPeriodRules(t *testing.T) {
	for _, tc := range archiveCases(t) {
		out, err := ArchiveMPD(tc.in)
		if err != nil {
			t.Fatal(err)
		}
		m, err := mpd.MPDFromBytes(out)
		if err != nil {
			t.Fatal(err)
		}
		shortest := time.Duration(1 << 62)
		type span struct {
			track, url string
			start, end time.Duration // since the epoch
		}
		var runs []span
		for _, r := range tc.in.Runs {
			ts := uint64(r.Info.Timescale)
			at := func(ticks uint64) time.Duration {
				return time.Duration(ticks/ts)*time.Second + time.Duration(ticks%ts*uint64(time.Second)/ts)
			}
			var total uint64
			for _, d := range r.Durations {
				shortest = min(shortest, at(d.D))
				total += d.D * uint64(d.R+1)
			}
			runs = append(runs, span{r.Track, r.Key[len(testChannel)+1:], at(r.EPT), at(r.EPT + total)})
		}
		for _, p := range m.Periods {
			start, dur := time.Duration(*p.Start), time.Duration(*p.Duration)
			if dur < shortest {
				t.Errorf("%s: Period %s lasts %v, less than the shortest segment (%v)", tc.name, p.Id, dur, shortest)
			}
			for _, r := range runs {
				overlap := min(r.end, start+dur) - max(r.start, start)
				if overlap <= 100*time.Millisecond {
					continue
				}
				found := false
				for _, as := range p.AdaptationSets {
					for _, rep := range as.Representations {
						found = found || rep.Id == r.track && string(rep.BaseURLs[0].Value) == r.url
					}
				}
				if !found {
					t.Errorf("%s: Period %s drops %s (%s), which has %v of media in it", tc.name, p.Id, r.track, r.url, overlap)
				}
			}
		}
	}
}
