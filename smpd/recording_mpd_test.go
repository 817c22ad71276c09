package smpd

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/Eyevinn/dash-mpd/mpd"
	"github.com/reapd/reapd/test/mpdschema"
	"github.com/reapd/reapd/trackfile"
)

// hourT returns 2024-01-01T00:00:00Z plus d.
func hourT(d time.Duration) time.Time { return mustTime("2024-01-01T00:00:00Z").Add(d) }

// recordingCases is the one case table of RecordingMPD: golden files,
// schema validation, structure and determinism.
func recordingCases(t testing.TB) []struct {
	name string
	in   RecordingInput
} {
	g, g2 := grid192, grid2
	m0 := g2.first()
	video1080 := videoInfo
	video1080.Codecs, video1080.Width, video1080.Height = "avc1.640028", 1920, 1080
	audioFr := audioInfo
	audioFr.Language, audioFr.Bandwidth = "fr", 96000
	ffmpegVideo := videoInfo
	ffmpegVideo.Timescale, ffmpegVideo.Codecs, ffmpegVideo.Width, ffmpegVideo.Height = 12800, "avc1.42c00c", 320, 180
	ffmpegAudio := audioInfo
	ffmpegAudio.Channels, ffmpegAudio.Language = 1, ""
	return []struct {
		name string
		in   RecordingInput
	}{
		// The full I-MPD (ladder, two languages, subtitles, DRM,
		// accessibility, foreign elements): 20 minutes across the hour.
		{"full", RecordingInput{Channel: testChannel, Ingest: loadIngest(t, "recording-full.mpd"),
			Start: hourT(50 * time.Minute), End: hourT(70 * time.Minute), Runs: slices.Concat(
				g.hours("video-1080", video1080, "111111111111", 3),
				g.hours("video-720", videoInfo, "222222222222", 3),
				g.hours("video-360", video640, "333333333333", 3),
				g.hours("audio-en", audioInfo, "444444444444", 3),
				g.hours("audio-fr", audioFr, "555555555555", 3),
				g.hours("text-en", textInfo, "666666666666", 3),
			)}},
		// ffmpeg's I-MPD; a header change inside the window; the window
		// starts and ends inside segments.
		{"ffmpeg-header-change", RecordingInput{Channel: testChannel, Ingest: loadIngest(t, "ffmpeg-timeline-live.mpd"),
			Start: hourT(29*time.Minute + 1500*time.Millisecond), End: hourT(31*time.Minute + 300*time.Millisecond), Runs: slices.Concat(
				[]trackfile.Run{
					g2.build(runSpec{track: "0", info: ffmpegVideo, header: "aaaaaaaaaaaa", firstN: m0, count: 900, part: true}),
					g2.build(runSpec{track: "0", info: ffmpegVideo, header: "bbbbbbbbbbbb", firstN: m0 + 900, count: 900, part: true}),
				},
				g2.hours("1", ffmpegAudio, "cccccccccccc", 1),
			)}},
		// No I-MPD: synthesized from the CMAF headers; video has a gap of
		// 20 s inside the window, audio plays on.
		{"synthesized-gap", RecordingInput{Channel: testChannel,
			Start: hourT(3 * time.Minute), End: hourT(4 * time.Minute), Runs: slices.Concat(
				[]trackfile.Run{
					g2.build(runSpec{track: "video", info: videoInfo, header: "aaaaaaaaaaaa", firstN: m0, count: 100, part: true}),
					g2.build(runSpec{track: "video", info: videoInfo, header: "aaaaaaaaaaaa", firstN: m0 + 110, count: 1690, part: true}),
				},
				g2.hours("audio", audioInfo, "bbbbbbbbbbbb", 1),
			)}},
		// A window that starts 10 ms before an hour boundary: the sliver
		// of the first hour gives way to the second.
		{"edge-sliver", RecordingInput{Channel: testChannel, Ingest: loadIngest(t, "reap-time.mpd"),
			Start: hourT(time.Hour - 10*time.Millisecond), End: hourT(time.Hour + 10*time.Second), Runs: slices.Concat(
				g.hours("video-1280", videoInfo, "111111111111", 2),
				g.hours("audio-en", audioInfo, "333333333333", 2),
			)}},
	}
}

func TestRecordingMPDGolden(t *testing.T) {
	for _, tc := range recordingCases(t) {
		t.Run(tc.name, func(t *testing.T) {
			out, err := RecordingMPD(tc.in)
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join("testdata", "recording", tc.name+".mpd")
			checkGolden(t, path, out)
			mpdschema.Validate(t, out)

			// Deterministic: the order of the runs does not matter, and
			// the input is not modified (a second call gives the same).
			shuffled := slices.Clone(tc.in.Runs)
			rand.New(rand.NewPCG(1, 2)).Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
			in := tc.in
			in.Runs = shuffled
			if out2, err := RecordingMPD(in); err != nil || !bytes.Equal(out2, out) {
				t.Errorf("shuffled runs give other bytes (%v)", err)
			}
		})
	}
}

// recordingSummary is summarize for a recording S-MPD, with each
// Representation's presentationTimeOffset in ms on the epoch timeline.
func recordingSummary(t *testing.T, out []byte) []string {
	t.Helper()
	m, err := mpd.MPDFromBytes(out)
	if err != nil {
		t.Fatal(err)
	}
	if m.GetType() != mpd.STATIC_TYPE || m.AvailabilityStartTime != "" || m.PublishTime != "" || m.MinimumUpdatePeriod != nil {
		t.Errorf("not a plain static MPD: type %s, AST %q, publishTime %q", m.GetType(), m.AvailabilityStartTime, m.PublishTime)
	}
	var lines []string
	for _, p := range m.Periods {
		line := p.Id + " " + p.Start.String() + " " + p.Duration.String()
		for _, a := range p.AdaptationSets {
			for _, r := range a.Representations {
				pto, ts := *r.SegmentBase.PresentationTimeOffset, uint64(*r.SegmentBase.Timescale)
				ms := pto/ts*1000 + (pto%ts*1000+ts/2)/ts
				line += " " + r.Id + "@" + time.UnixMilli(int64(ms)).UTC().Format("15:04:05.000") + " " + string(r.BaseURLs[0].Value)
			}
		}
		lines = append(lines, line)
	}
	return append(lines, "end "+m.MediaPresentationDuration.String())
}

func TestRecordingMPDStructure(t *testing.T) {
	want := map[string][]string{
		"full": {
			"p1704070200000 PT0S PT10M video-1080@00:50:00.000 ../video-1080/473352.cmfv video-720@00:50:00.000 ../video-720/473352.cmfv video-360@00:50:00.000 ../video-360/473352.cmfv audio-en@00:50:00.000 ../audio-en/473352.cmfa audio-fr@00:50:00.000 ../audio-fr/473352.cmfa text-en@00:50:00.000 ../text-en/473352.cmft",
			"p1704070800000 PT10M PT10M video-1080@01:00:00.000 ../video-1080/473353.cmfv video-720@01:00:00.000 ../video-720/473353.cmfv video-360@01:00:00.000 ../video-360/473353.cmfv audio-en@01:00:00.000 ../audio-en/473353.cmfa audio-fr@01:00:00.000 ../audio-fr/473353.cmfa text-en@01:00:00.000 ../text-en/473353.cmft",
			"end PT20M",
		},
		"ffmpeg-header-change": {
			"p1704068941500 PT0S PT58.5S 0@00:29:01.500 ../0/473352-852033600.cmfv 1@00:29:01.500 ../1/473352.cmfa",
			"p1704069000000 PT58.5S PT1M0.3S 0@00:30:00.000 ../0/473352-852034500.cmfv 1@00:30:00.000 ../1/473352.cmfa",
			"end PT1M58.8S",
		},
		"synthesized-gap": {
			"p1704067380000 PT0S PT20S video@00:03:00.000 ../video/473352-852033600.cmfv audio@00:03:00.000 ../audio/473352.cmfa",
			"p1704067400000 PT20S PT20S audio@00:03:20.000 ../audio/473352.cmfa",
			"p1704067420000 PT40S PT20S video@00:03:40.000 ../video/473352-852033710.cmfv audio@00:03:40.000 ../audio/473352.cmfa",
			"end PT1M",
		},
		"edge-sliver": {
			"p1704070799990 PT0S PT10.01S video-1280@00:59:59.990 ../video-1280/473353.cmfv audio-en@00:59:59.990 ../audio-en/473353.cmfa",
			"end PT10.01S",
		},
	}
	for _, tc := range recordingCases(t) {
		out, err := RecordingMPD(tc.in)
		if err != nil {
			t.Fatal(err)
		}
		if got := recordingSummary(t, out); !slices.Equal(got, want[tc.name]) {
			t.Errorf("%s:\n got %q\nwant %q", tc.name, got, want[tc.name])
		}
	}
}

// TestRecordingKeepsIngestXML checks, element by element, that every
// descriptive element and attribute of the I-MPD's AdaptationSets and
// Representations is in the recording S-MPD, and that the live-only ones
// are not.
func TestRecordingKeepsIngestXML(t *testing.T) {
	tc := recordingCases(t)[0]
	out, err := RecordingMPD(tc.in)
	if err != nil {
		t.Fatal(err)
	}
	in, err := parseRawTree(tc.in.Ingest.Raw)
	if err != nil {
		t.Fatal(err)
	}
	rec, err := parseRawTree(out)
	if err != nil {
		t.Fatal(err)
	}
	recSets := rec.kidsNamed("Period")[0].kidsNamed("AdaptationSet")
	inSets := in.kidsNamed("Period")[0].kidsNamed("AdaptationSet")
	if len(recSets) != len(inSets) {
		t.Fatalf("%d AdaptationSets, want %d", len(recSets), len(inSets))
	}
	for i, want := range inSets {
		got := recSets[i]
		containsNode(t, got, want, "AdaptationSet "+want.attrs[0].Value)
		for j, wr := range want.kidsNamed("Representation") {
			containsNode(t, got.kidsNamed("Representation")[j], wr, "Representation "+wr.attrs[0].Value)
		}
	}
	for _, gone := range []string{"SegmentTemplate", "ProducerReferenceTime", "urn:mpeg:dash:encryptionkey-server",
		"UTCTiming", "ServiceDescription", "publishTime", "minimumUpdatePeriod", "availabilityStartTime", "timeShiftBufferDepth"} {
		if bytes.Contains(out, []byte(gone)) {
			t.Errorf("live-only %s kept", gone)
		}
	}
	for _, kept := range []string{`<Title>Evening News</Title>`, `ext:origin="studio-3"`, `xmlns:clearkey="http://dashif.org/guidelines/clearKey"`,
		`<AssetIdentifier schemeIdUri="urn:org:dashif:asset-id:2013" value="news-feed-1"/>`} {
		if !bytes.Contains(out, []byte(kept)) {
			t.Errorf("%s not kept", kept)
		}
	}
}

// containsNode fails unless got has every attribute of want (but the
// live-only ones) and, in order, every child of want that is not live
// only, equal as subtrees.
func containsNode(t *testing.T, got, want *xnode, what string) {
	t.Helper()
	for _, a := range want.attrs {
		if slices.Contains(liveOnlyAttrs, qname(a.Name)) {
			continue
		}
		if _, ok := got.attr(qname(a.Name)); !ok {
			t.Errorf("%s: attribute %s dropped", what, qname(a.Name))
		}
	}
	var wantKids, gotKids []string
	for _, k := range want.kids {
		if !liveOnly(k) {
			wantKids = append(wantKids, string(k.writeXML()))
		}
	}
	for _, k := range got.kids {
		if k.name != "Representation" && k.name != "BaseURL" && k.name != "SegmentBase" {
			gotKids = append(gotKids, string(k.writeXML()))
		}
	}
	if !slices.Equal(gotKids, wantKids) {
		t.Errorf("%s: children\n got %s\nwant %s", what, strings.Join(gotKids, ""), strings.Join(wantKids, ""))
	}
}

func TestRecordingMPDErrors(t *testing.T) {
	runs := grid192.hours("video", videoInfo, "aaaaaaaaaaaa", 1)
	for name, tc := range map[string]struct {
		in   RecordingInput
		want error
	}{
		"reversed": {RecordingInput{Channel: testChannel, Start: hourT(time.Minute), End: hourT(0), Runs: runs}, ErrBadWindow},
		"empty":    {RecordingInput{Channel: testChannel, Start: hourT(time.Minute), End: hourT(time.Minute), Runs: runs}, ErrBadWindow},
		"no media": {RecordingInput{Channel: testChannel, Start: hourT(2 * time.Hour), End: hourT(3 * time.Hour), Runs: runs}, ErrEmptyWindow},
		"no runs":  {RecordingInput{Channel: testChannel, Start: hourT(0), End: hourT(time.Hour)}, ErrEmptyWindow},
	} {
		if _, err := RecordingMPD(tc.in); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", name, err, tc.want)
		}
	}
}

// BenchmarkRecordingMPD24h30d measures a 24 h recording of a 30-day
// archive (720 hourly periods of video and audio, with the full I-MPD):
// the runs of the whole archive are passed, as a caller that does not
// filter them would.
func BenchmarkRecordingMPD24h30d(b *testing.B) {
	g := grid192
	in := RecordingInput{Channel: testChannel, Ingest: loadIngest(b, "recording-full.mpd"),
		Start: hourT(15*24*time.Hour + 30*time.Minute), End: hourT(16*24*time.Hour + 30*time.Minute),
		Runs: slices.Concat(g.hours("video-720", videoInfo, "222222222222", 720), g.hours("audio-en", audioInfo, "444444444444", 720))}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := RecordingMPD(in); err != nil {
			b.Fatal(err)
		}
	}
}
