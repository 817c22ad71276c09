package smpd

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/Eyevinn/dash-mpd/mpd"
	"github.com/reapd/reapd/trackfile"
)

func mustTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

// archiveCases is the one case table of ArchiveMPD: golden files,
// round trips and determinism.
func archiveCases(t testing.TB) []struct {
	name string
	in   ArchiveInput
} {
	g, g2 := grid192, grid2
	m0 := g2.first()
	ffmpegVideo := videoInfo
	ffmpegVideo.Timescale, ffmpegVideo.Codecs, ffmpegVideo.Width, ffmpegVideo.Height = 12800, "avc1.42c00c", 320, 180
	ffmpegVideoB := ffmpegVideo
	ffmpegVideoB.Codecs = "avc1.64000d"
	ffmpegAudio := audioInfo
	ffmpegAudio.Channels, ffmpegAudio.Language = 1, ""
	return append([]struct {
		name string
		in   ArchiveInput
	}{
		// One video track, one hour, no I-MPD: synthesized from the header.
		{"one-track", ArchiveInput{Channel: testChannel, Runs: g.hours("video", videoInfo, "aaaaaaaaaaaa", 1)}},
		// Two video Representations and audio over three hours, with the
		// conforming I-MPD: its AdaptationSets, continuity between the hours.
		{"av-periods", ArchiveInput{Channel: testChannel, Ingest: loadIngest(t, "reap-time.mpd"), Runs: slices.Concat(
			g.hours("video-1280", videoInfo, "111111111111", 3),
			g.hours("video-640", video640, "222222222222", 3),
			g.hours("audio-en", audioInfo, "333333333333", 3),
		)}},
		// D = 2 s: video misses ten segments in its first hour, audio
		// (AAC, off the grid by up to half a frame) and subtitles do not.
		{"video-gap", ArchiveInput{Channel: testChannel, Runs: slices.Concat(
			[]trackfile.Run{
				g2.build(runSpec{track: "video", info: videoInfo, header: "aaaaaaaaaaaa", firstN: m0, count: 100, part: true}),
				g2.build(runSpec{track: "video", info: videoInfo, header: "aaaaaaaaaaaa", firstN: m0 + 110, count: 1690, part: true}),
			},
			g2.hours("audio", audioInfo, "bbbbbbbbbbbb", 1),
			g2.hours("subs", textInfo, "cccccccccccc", 1),
		)}},
		// ffmpeg's I-MPD; the video header changes half way through the
		// first hour (a new codec profile), then stays for the next hour.
		{"header-change", ArchiveInput{Channel: testChannel, Ingest: loadIngest(t, "ffmpeg-timeline-live.mpd"), Runs: slices.Concat(
			[]trackfile.Run{
				g2.build(runSpec{track: "0", info: ffmpegVideo, header: "aaaaaaaaaaaa", firstN: m0, count: 900, part: true}),
				g2.build(runSpec{track: "0", info: ffmpegVideoB, header: "bbbbbbbbbbbb", firstN: m0 + 900, count: 900, part: true}),
				g2.build(runSpec{track: "0", info: ffmpegVideoB, header: "bbbbbbbbbbbb", firstN: m0 + 1800, count: 1800}),
			},
			g2.hours("1", ffmpegAudio, "cccccccccccc", 2),
		)}},
	}, timeCases()...)
}

func TestArchiveMPDGolden(t *testing.T) {
	for _, tc := range archiveCases(t) {
		t.Run(tc.name, func(t *testing.T) {
			out, err := ArchiveMPD(tc.in)
			if err != nil {
				t.Fatal(err)
			}
			checkGolden(t, filepath.Join("testdata", "archive", tc.name+".mpd"), out)

			// Round trip: dash-mpd reads the S-MPD and writes the same bytes.
			m, err := mpd.MPDFromBytes(out)
			if err != nil {
				t.Fatal(err)
			}
			var again bytes.Buffer
			if _, err := m.Write(&again, "  ", true); err != nil {
				t.Fatal(err)
			}
			again.WriteByte('\n')
			if !bytes.Equal(again.Bytes(), out) {
				t.Errorf("decode+encode changes the S-MPD:\n%s", again.Bytes())
			}

			// Deterministic: the order of the runs does not matter.
			shuffled := slices.Clone(tc.in.Runs)
			rand.New(rand.NewPCG(1, 2)).Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
			in := tc.in
			in.Runs = shuffled
			if out2, err := ArchiveMPD(in); err != nil || !bytes.Equal(out2, out) {
				t.Errorf("shuffled runs give other bytes (%v)", err)
			}
		})
	}
}

func TestArchiveMPDErrors(t *testing.T) {
	run := grid192.build(runSpec{track: "video", info: videoInfo, header: "aaaaaaaaaaaa", firstN: grid192.first(), count: 10})
	if _, err := ArchiveMPD(ArchiveInput{Channel: testChannel}); !errors.Is(err, ErrNoRuns) {
		t.Errorf("no runs: %v", err)
	}
	empty := run
	empty.Sizes, empty.Durations = nil, nil
	if _, err := ArchiveMPD(ArchiveInput{Channel: testChannel, Runs: []trackfile.Run{empty}}); !errors.Is(err, ErrNoRuns) {
		t.Errorf("only an empty run: %v", err)
	}
	bad := map[string]func(r *trackfile.Run){
		"other channel": func(r *trackfile.Run) { r.Key = "ch2/video/1.cmfv" },
		"no timescale":  func(r *trackfile.Run) { r.Info.Timescale = 0 },
		"no index":      func(r *trackfile.Run) { r.IndexRange = trackfile.ByteRange{} },
		"no init":       func(r *trackfile.Run) { r.InitRange = trackfile.ByteRange{Start: 5, End: 5} },
		"durations":     func(r *trackfile.Run) { r.Durations[0].R++ },
		"zero duration": func(r *trackfile.Run) { r.Durations[0].D = 0 },
	}
	for name, f := range bad {
		r := run
		r.Durations = slices.Clone(run.Durations)
		f(&r)
		if _, err := ArchiveMPD(ArchiveInput{Channel: testChannel, Runs: []trackfile.Run{r}}); err == nil || errors.Is(err, ErrNoRuns) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// summarize renders the Period structure of an S-MPD: per Period its id,
// start and duration, per AdaptationSet its id, Representations and
// period continuity ("<" + the Period it continues).
func summarize(t *testing.T, out []byte) []string {
	t.Helper()
	m, err := mpd.MPDFromBytes(out)
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, p := range m.Periods {
		line := p.Id + " " + p.Start.String() + " " + p.Duration.String()
		for _, a := range p.AdaptationSets {
			line += " " + strconv.FormatUint(uint64(*a.Id), 10) + "["
			for i, r := range a.Representations {
				if i > 0 {
					line += ","
				}
				line += r.Id
				// Every track's presentationTimeOffset is the Period start.
				pto, ts := *r.SegmentBase.PresentationTimeOffset, uint64(*r.SegmentBase.Timescale)
				ms := pto/ts*1000 + (pto%ts*1000+ts/2)/ts
				if got, want := time.Duration(ms)*time.Millisecond, time.Duration(*p.Start); got != want {
					t.Errorf("period %s, %s: presentationTimeOffset is %v, Period@start %v", p.Id, r.Id, got, want)
				}
			}
			line += "]"
			for _, sp := range a.SupplementalProperties {
				if sp.SchemeIdUri == schemePeriodContinuity {
					line += "<" + sp.Value
				}
			}
		}
		lines = append(lines, line)
	}
	return append(lines, "end "+m.MediaPresentationDuration.String())
}

func TestArchiveMPDStructure(t *testing.T) {
	want := map[string][]string{
		"one-track": {
			"p1704067200000 PT473352H PT1H 0[video]",
			"end PT473353H",
		},
		"av-periods": {
			"p1704067200000 PT473352H PT1H 1[video-1280,video-640] 2[audio-en]",
			"p1704070800000 PT473353H PT1H 1[video-1280,video-640]<p1704067200000 2[audio-en]<p1704067200000",
			"p1704074400000 PT473354H PT1H 1[video-1280,video-640]<p1704070800000 2[audio-en]<p1704070800000",
			"end PT473355H",
		},
		"video-gap": { // the gap in video splits the hour; audio and subtitles play on
			"p1704067200000 PT473352H PT3M20S 0[video] 1[audio] 2[subs]",
			"p1704067400000 PT473352H3M20S PT20S 1[audio]<p1704067200000 2[subs]<p1704067200000",
			"p1704067420000 PT473352H3M40S PT56M20S 0[video] 1[audio]<p1704067400000 2[subs]<p1704067400000",
			"end PT473353H",
		},
		"header-change": { // a new header is no continuation; the next file with the same header is
			"p1704067200000 PT473352H PT30M 0[0] 1[1]",
			"p1704069000000 PT473352H30M PT30M 0[0] 1[1]<p1704067200000",
			"p1704070800000 PT473353H PT1H 0[0]<p1704069000000 1[1]<p1704069000000",
			"end PT473354H",
		},
		// The time cases (archive_time_test.go).
		"split-segment": {
			"p1704067200000 PT473352H PT3M20.8S 0[video] 1[audio]",
			"p1704067400800 PT473352H3M20.8S PT6M39.2S 0[video] 1[audio]<p1704067200000",
			"end PT473352H10M",
		},
		"alternating-8-4": {
			"p1704067200000 PT473352H PT1H 0[video] 1[audio]",
			"end PT473353H",
		},
		"off-grid-priming": {
			"p1704067201000 PT473352H0M1S PT10M 0[video] 1[audio]",
			"end PT473352H10M1S",
		},
		"priming-across-slots": {
			"p1704067201090 PT473352H0M1.09S PT10M 0[video] 1[audio]",
			"end PT473352H10M1.09S",
		},
		"video-late": {
			"p1704067200000 PT473352H PT2S 1[audio]",
			"p1704067202000 PT473352H0M2S PT9M58S 0[video] 1[audio]<p1704067200000",
			"end PT473352H10M",
		},
	}
	for _, tc := range archiveCases(t) {
		out, err := ArchiveMPD(tc.in)
		if err != nil {
			t.Fatal(err)
		}
		if got := summarize(t, out); !slices.Equal(got, want[tc.name]) {
			t.Errorf("%s:\n got %q\nwant %q", tc.name, got, want[tc.name])
		}
	}
}

// TestConcurrentUse runs ArchiveMPD and Match on one shared I-MPD from
// several goroutines: neither may modify it (run with -race).
func TestConcurrentUse(t *testing.T) {
	tc := archiveCases(t)[1] // av-periods, with an I-MPD
	want, err := ArchiveMPD(tc.in)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 4)
	for range 4 {
		go func() {
			out, err := ArchiveMPD(tc.in)
			if err == nil && !bytes.Equal(out, want) {
				err = errors.New("different bytes")
			}
			if pm, ok := tc.in.Ingest.Match("audio-en/81795225600000.m4s"); !ok || pm.Track != "audio-en" {
				err = errors.New("no match")
			}
			done <- err
		}()
	}
	for range 4 {
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
}
