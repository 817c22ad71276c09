package smpd

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/Eyevinn/dash-mpd/mpd"
)

// catchupInput is a two-Period catch-up presentation: video and AAC audio
// (alternating durations) in the first, video continuing alone in the
// second.
func catchupInput(dynamic bool) CatchupInput {
	video := CatchupTrack{Track: "video", Info: videoInfo, Timescale: 90000, PresentationTimeOffset: 159050306700000,
		Initialization: "init/video/aaaaaaaaaaaa.mp4", Media: "seg/video/aaaaaaaaaaaa/90000/$Time$.m4s",
		Timeline: []CatchupS{{T: 159050306610000, D: 180000, R: 4}}}
	audio := CatchupTrack{Track: "audio", Info: audioInfo, Timescale: 48000, PresentationTimeOffset: 84826830240000,
		Initialization: "init/audio/bbbbbbbbbbbb.mp4", Media: "seg/audio/bbbbbbbbbbbb/48000/$Time$.m4s",
		Timeline: []CatchupS{{T: 84826830239744, D: 96256, R: 2}, {T: 84826830528512, D: 95232}, {T: 84826830623744, D: 96256}}}
	video2 := video
	video2.PresentationTimeOffset, video2.Timeline, video2.Continues = 159050307600000, []CatchupS{{T: 159050307600000, D: 180000, R: 9}}, true
	p2 := CatchupPeriod{ID: "p2", Start: 10 * time.Second, Tracks: []CatchupTrack{video2}}
	if !dynamic {
		p2.Duration = 20 * time.Second
	}
	return CatchupInput{Channel: testChannel, Dynamic: dynamic, Start: time.Unix(1767225630, 0), Duration: 30 * time.Second,
		Now: time.Unix(1767225700, 0), MinimumUpdatePeriod: 2 * time.Second, TimeShiftBufferDepth: time.Hour,
		Periods: []CatchupPeriod{{ID: "p1", Duration: 10 * time.Second, Tracks: []CatchupTrack{audio, video}}, p2}}
}

func TestCatchupMPD(t *testing.T) {
	out, err := CatchupMPD(catchupInput(false))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(out), "1844674400000000000") {
		t.Fatalf("a timeline placeholder is left:\n%s", out)
	}
	m, err := mpd.MPDFromBytes(out)
	if err != nil {
		t.Fatalf("output does not parse: %v\n%s", err, out)
	}
	if m.GetType() != "static" || m.MediaPresentationDuration == nil || time.Duration(*m.MediaPresentationDuration) != 30*time.Second {
		t.Errorf("type %s, duration %v", m.GetType(), m.MediaPresentationDuration)
	}
	if len(m.Periods) != 2 {
		t.Fatalf("%d Periods", len(m.Periods))
	}
	// Video first (its AdaptationSet sorts first), audio's S elements as
	// given: t only where the timeline jumps.
	as := m.Periods[0].AdaptationSets
	if len(as) != 2 || as[0].ContentType != "video" || as[1].ContentType != "audio" {
		t.Fatalf("AdaptationSets %v", as)
	}
	st := as[1].Representations[0].SegmentTemplate
	s := st.SegmentTimeline.S
	if len(s) != 3 || *s[0].T != 84826830239744 || s[0].R != 2 || s[1].T != nil || s[2].T != nil || s[1].D != 95232 {
		t.Errorf("audio timeline %+v", s)
	}
	if *st.PresentationTimeOffset != 84826830240000 || *st.Timescale != 48000 || st.Media != "seg/audio/bbbbbbbbbbbb/48000/$Time$.m4s" {
		t.Errorf("audio template %+v", st)
	}
	// The video AdaptationSet continues into the second Period.
	v2 := m.Periods[1].AdaptationSets[0]
	if len(v2.SupplementalProperties) != 1 || v2.SupplementalProperties[0].SchemeIdUri != schemePeriodContinuity ||
		v2.SupplementalProperties[0].Value != "p1" {
		t.Errorf("no period continuity in the second Period: %+v", v2.SupplementalProperties)
	}
	if *m.Periods[1].AdaptationSets[0].Id != *as[0].Id {
		t.Errorf("AdaptationSet ids differ between Periods")
	}
}

func TestCatchupMPDDynamic(t *testing.T) {
	out, err := CatchupMPD(catchupInput(true))
	if err != nil {
		t.Fatal(err)
	}
	m, err := mpd.MPDFromBytes(out)
	if err != nil {
		t.Fatal(err)
	}
	if m.GetType() != "dynamic" || m.AvailabilityStartTime != "2026-01-01T00:00:30Z" || m.PublishTime != "2026-01-01T00:01:40Z" ||
		m.MinimumUpdatePeriod == nil || m.MediaPresentationDuration != nil || len(m.UTCTimings) != 1 {
		t.Errorf("dynamic MPD attributes:\n%s", out)
	}
	if m.Periods[1].Duration != nil || m.Periods[1].Start == nil {
		t.Errorf("the last Period of a dynamic MPD is open: %+v", m.Periods[1])
	}
}

func TestCatchupMPDFollowsIngestMPD(t *testing.T) {
	in := catchupInput(false)
	in.Ingest = loadIngest(t, "ffmpeg-timeline-live.mpd")
	for i := range in.Periods {
		for j := range in.Periods[i].Tracks {
			tr := &in.Periods[i].Tracks[j]
			tr.Track = map[string]string{"video": "0", "audio": "1"}[tr.Track]
		}
	}
	out, err := CatchupMPD(in)
	if err != nil {
		t.Fatal(err)
	}
	m, err := mpd.MPDFromBytes(out)
	if err != nil {
		t.Fatal(err)
	}
	rep := m.Periods[0].AdaptationSets[0].Representations[0]
	if rep.Id != "0" || rep.SegmentTemplate == nil || rep.SegmentTemplate.Media != "seg/video/aaaaaaaaaaaa/90000/$Time$.m4s" {
		t.Errorf("Representation %+v", rep)
	}
	if rep.Codecs != videoInfo.Codecs {
		t.Errorf("codecs %q: the header's should win over the I-MPD's", rep.Codecs)
	}
}

func TestCatchupMPDErrors(t *testing.T) {
	if _, err := CatchupMPD(CatchupInput{}); !errors.Is(err, ErrNoPeriods) {
		t.Errorf("no periods: %v", err)
	}
	in := catchupInput(false)
	in.Periods[1].Tracks = nil
	if _, err := CatchupMPD(in); !errors.Is(err, ErrNoPeriods) {
		t.Errorf("empty period: %v", err)
	}
	in = catchupInput(false)
	in.Periods[0].Tracks[0].Timeline = nil
	if _, err := CatchupMPD(in); err == nil {
		t.Error("a track without timeline is accepted")
	}
}

func TestAppendTimeline(t *testing.T) {
	got := string(appendTimeline(nil, []CatchupS{{T: 10, D: 2, R: 1}, {T: 14, D: 3}, {T: 20, D: 3, R: 2}}, []byte("  ")))
	want := `<S t="10" d="2" r="1"></S>` + "\n  " + `<S d="3"></S>` + "\n  " + `<S t="20" d="3" r="2"></S>`
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}

}
