package smpd

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/Eyevinn/dash-mpd/mpd"
	"github.com/reapd/reapd/trackfile"
)

func readIngest(t testing.TB, name string) []byte {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", "ingest", name))
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func loadIngest(t testing.TB, name string) *IngestMPD {
	t.Helper()
	m, err := ParseIngestMPD(readIngest(t, name))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return m
}

func TestParseIngestMPD(t *testing.T) {
	ffmpegTracks := func(timescale0, timescale1 uint32, duration uint64) []IngestTrack {
		return []IngestTrack{
			{ID: "0", AdaptationSetID: "0", ContentType: "video", MimeType: "video/mp4", Codecs: "avc1.42c00c", Width: 320, Height: 180,
				Init: "init-stream0.m4s", Media: "chunk-stream0-$Number%05d$.m4s", Timescale: timescale0, Duration: duration, StartNumber: 1},
			{ID: "1", AdaptationSetID: "1", ContentType: "audio", MimeType: "audio/mp4", Codecs: "mp4a.40.2", Bandwidth: 69000,
				Init: "init-stream1.m4s", Media: "chunk-stream1-$Number%05d$.m4s", Timescale: timescale1, Duration: duration, StartNumber: 1},
		}
	}
	tests := []struct {
		file   string
		d      trackfile.Rational
		ast    time.Time
		tracks []IngestTrack
	}{
		{"ffmpeg-number-live.mpd", trackfile.Rational{Num: 2, Den: 1}, time.Date(2026, 11, 21, 5, 34, 5, 146e6, time.UTC),
			ffmpegTracks(1000000, 1000000, 2000000)},
		{"ffmpeg-timeline-live.mpd", trackfile.Rational{Num: 2, Den: 1}, time.Date(2026, 11, 21, 5, 33, 53, 293e6, time.UTC),
			ffmpegTracks(12800, 48000, 0)},
		{"ffmpeg-number-static.mpd", trackfile.Rational{Num: 2, Den: 1}, time.Time{}, ffmpegTracks(1000000, 1000000, 2000000)},
		{"ffmpeg-timeline-static.mpd", trackfile.Rational{Num: 2, Den: 1}, time.Time{}, ffmpegTracks(12800, 48000, 0)},
		{"reap-number.mpd", trackfile.Rational{Num: 48, Den: 25}, time.Unix(0, 0).UTC(), []IngestTrack{
			{ID: "v1", AdaptationSetID: "0", ContentType: "video", MimeType: "video/mp4", Codecs: "hvc1.1.6.L93.B0", Bandwidth: 2500000, Width: 960, Height: 540,
				Init: "ch1_v1_init.cmf", Media: "ch1_v1_$Number%09d$.cmf", Timescale: 1000, StartNumber: 887535001},
			{ID: "v2", AdaptationSetID: "0", ContentType: "video", MimeType: "video/mp4", Codecs: "hvc1.1.6.L120.B0", Bandwidth: 6000000, Width: 1920, Height: 1080,
				Init: "ch1_v2_init.cmf", Media: "ch1_v2_$Number%09d$.cmf", Timescale: 1000, StartNumber: 887535001},
			{ID: "a1", AdaptationSetID: "1", ContentType: "audio", MimeType: "audio/mp4", Codecs: "mp4a.40.2", Bandwidth: 96000, Lang: "nl",
				Init: "ch1_a1_init.cmf", Media: "ch1_a1_$Number%09d$.cmf", Timescale: 1000, StartNumber: 887535001},
		}},
		{"reap-time.mpd", trackfile.Rational{Num: 2, Den: 1}, time.Unix(0, 0).UTC(), []IngestTrack{
			{ID: "video-1280", AdaptationSetID: "1", ContentType: "video", MimeType: "video/mp4", Codecs: "avc1.64001f", Bandwidth: 3000000, Width: 1280, Height: 720,
				Roles: []string{"urn:mpeg:dash:role:2011 main"}, Init: "video-1280/init.m4s", Media: "video-1280/$Time$.m4s", Timescale: 90000, StartNumber: 1},
			{ID: "video-640", AdaptationSetID: "1", ContentType: "video", MimeType: "video/mp4", Codecs: "avc1.64001e", Bandwidth: 800000, Width: 640, Height: 360,
				Roles: []string{"urn:mpeg:dash:role:2011 main"}, Init: "video-640/init.m4s", Media: "video-640/$Time$.m4s", Timescale: 90000, StartNumber: 1},
			{ID: "audio-en", AdaptationSetID: "2", ContentType: "audio", MimeType: "audio/mp4", Codecs: "mp4a.40.2", Bandwidth: 128000, Lang: "en", Label: "English",
				Roles: []string{"urn:mpeg:dash:role:2011 main"}, Init: "audio-en/init.m4s", Media: "audio-en/$Time$.m4s", Timescale: 48000, StartNumber: 1},
			{ID: "text-en", AdaptationSetID: "3", ContentType: "text", MimeType: "application/mp4", Codecs: "stpp.ttml.im1t", Bandwidth: 2000, Lang: "en",
				Roles: []string{"urn:mpeg:dash:role:2011 subtitle"}, Init: "text-en/init.m4s", Media: "text-en/$Time$.m4s", Timescale: 1000, StartNumber: 1},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			raw := readIngest(t, tc.file)
			m, err := ParseIngestMPD(raw)
			if err != nil {
				t.Fatal(err)
			}
			if string(m.Raw) != string(raw) || m.MPD == nil {
				t.Error("Raw or MPD not kept")
			}
			if m.SegmentDuration != tc.d {
				t.Errorf("SegmentDuration = %v, want %v", m.SegmentDuration, tc.d)
			}
			if !m.AvailabilityStartTime.Equal(tc.ast) || m.AvailabilityStartTime.IsZero() != tc.ast.IsZero() {
				t.Errorf("AvailabilityStartTime = %v, want %v", m.AvailabilityStartTime, tc.ast)
			}
			if len(m.Tracks) != len(tc.tracks) {
				t.Fatalf("%d tracks, want %d: %+v", len(m.Tracks), len(tc.tracks), m.Tracks)
			}
			for i, want := range tc.tracks {
				got := m.Tracks[i]
				if want.Bandwidth == 0 { // ffmpeg's measured video bandwidth varies between runs
					got.Bandwidth = 0
				}
				if !equalTracks(got, want) {
					t.Errorf("track %d:\n got %+v\nwant %+v", i, got, want)
				}
			}
		})
	}
}

func equalTracks(a, b IngestTrack) bool {
	return slices.Equal(a.Roles, b.Roles) && reflect.DeepEqual(withoutRoles(a), withoutRoles(b))
}

func withoutRoles(t IngestTrack) IngestTrack {
	t.Roles = nil
	return t
}

func TestParseIngestMPDErrors(t *testing.T) {
	for _, raw := range []string{
		"",
		"not xml at all",
		`{"MPD": true}`,
		`<?xml version="1.0"?><html><body>MPD</body></html>`,
		`<MPD xmlns="urn:mpeg:dash:schema:mpd:2011"><Period>`,
		`<MPD mediaPresentationDuration="PTxS"/>`,
	} {
		if _, err := ParseIngestMPD([]byte(raw)); !errors.Is(err, ErrNotMPD) {
			t.Errorf("ParseIngestMPD(%q) = %v, want ErrNotMPD", raw, err)
		}
	}
	m, err := ParseIngestMPD([]byte(`<MPD xmlns="urn:mpeg:dash:schema:mpd:2011" availabilityStartTime="yesterday"/>`))
	if err != nil {
		t.Fatalf("an empty MPD is an MPD: %v", err)
	}
	if len(m.Tracks) != 0 || !m.SegmentDuration.IsZero() || !m.AvailabilityStartTime.IsZero() {
		t.Errorf("empty MPD gave %+v", m)
	}
}

// TestTemplateLevels checks that the SegmentTemplate is resolved attribute
// by attribute across Period, AdaptationSet and Representation.
func TestTemplateLevels(t *testing.T) {
	m, err := ParseIngestMPD([]byte(`<MPD xmlns="urn:mpeg:dash:schema:mpd:2011"><Period>
	<SegmentTemplate timescale="1000" duration="2000" startNumber="7" initialization="p-init-$RepresentationID$.mp4"/>
	<AdaptationSet mimeType="audio/mp4" codecs="mp4a.40.2">
	  <SegmentTemplate media="$RepresentationID$/$Bandwidth%08d$/$Number%03d$.m4s"/>
	  <Representation id="a$1" bandwidth="64000"/>
	  <Representation id="b" bandwidth="96000"><SegmentTemplate timescale="48000" initialization="b.mp4"/></Representation>
	</AdaptationSet></Period></MPD>`))
	if err != nil {
		t.Fatal(err)
	}
	want := []IngestTrack{
		{ID: "a$1", ContentType: "audio", MimeType: "audio/mp4", Codecs: "mp4a.40.2", Bandwidth: 64000,
			Init: "p-init-a$$1.mp4", Media: "a$$1/00064000/$Number%03d$.m4s", Timescale: 1000, Duration: 2000, StartNumber: 7},
		{ID: "b", ContentType: "audio", MimeType: "audio/mp4", Codecs: "mp4a.40.2", Bandwidth: 96000,
			Init: "b.mp4", Media: "b/00096000/$Number%03d$.m4s", Timescale: 48000, Duration: 2000, StartNumber: 7},
	}
	for i := range want {
		if !equalTracks(m.Tracks[i], want[i]) {
			t.Errorf("track %d:\n got %+v\nwant %+v", i, m.Tracks[i], want[i])
		}
	}
	if m.SegmentDuration != (trackfile.Rational{Num: 2, Den: 1}) {
		t.Errorf("SegmentDuration = %v", m.SegmentDuration)
	}
	if pm, ok := m.Match("a$1/00064000/012.m4s"); !ok || pm.Track != "a$1" || pm.Number != 12 {
		t.Errorf("Match of a '$' id = %+v %v", pm, ok)
	}
}

func TestSegmentDuration(t *testing.T) {
	tl := func(ds ...uint64) *mpd.SegmentTimelineType {
		out := &mpd.SegmentTimelineType{}
		for _, d := range ds {
			out.S = append(out.S, &mpd.S{D: d})
		}
		return out
	}
	tests := []struct {
		name   string
		tracks []trackTimeline
		want   trackfile.Rational
	}{
		{"none", nil, trackfile.Rational{}},
		{"empty timeline", []trackTimeline{{timescale: 1000, timeline: tl()}}, trackfile.Rational{}},
		{"duration", []trackTimeline{{timescale: 1000, duration: 1920}}, trackfile.Rational{Num: 48, Den: 25}},
		{"constant", []trackTimeline{{timescale: 90000, timeline: tl(180000, 180000)}}, trackfile.Rational{Num: 2, Den: 1}},
		{"short last", []trackTimeline{{timescale: 90000, timeline: tl(180000, 180000, 3600)}}, trackfile.Rational{Num: 2, Den: 1}},
		{"one segment is no evidence", []trackTimeline{{video: true, timescale: 90000, timeline: tl(180000)}}, trackfile.Rational{}},
		{"audio says nothing beside video", []trackTimeline{
			{timescale: 48000, timeline: tl(95232, 95232, 95232)},
			{video: true, timescale: 90000, timeline: tl()},
		}, trackfile.Rational{}},
		{"variable audio only", []trackTimeline{{timescale: 48000, timeline: tl(95232, 96256, 96256, 95232)}}, trackfile.Rational{}},
		{"video first", []trackTimeline{
			{timescale: 48000, timeline: tl(96000)},
			{video: true, timescale: 12800, timeline: tl(25600, 25600)},
		}, trackfile.Rational{Num: 2, Den: 1}},
		{"duration before timeline", []trackTimeline{
			{video: true, timescale: 90000, timeline: tl(180000)},
			{timescale: 1000, duration: 1920},
		}, trackfile.Rational{Num: 48, Den: 25}},
	}
	for _, tc := range tests {
		if got := segmentDuration(tc.tracks); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestParseTemplate(t *testing.T) {
	good := map[string]string{
		"a$$b":                      "a$$b",
		"$RepresentationID$-$Time$": "$RepresentationID$-$Time$",
		"$Number%05d$.m4s":          "$Number%05d$.m4s",
		"$Number%d$":                "$Number$",
		"$Bandwidth%032d$":          "$Bandwidth%032d$",
		"x$SubNumber$":              "x$SubNumber$",
	}
	for in, want := range good {
		toks, err := parseTemplate(in)
		if err != nil {
			t.Errorf("parseTemplate(%q): %v", in, err)
			continue
		}
		var got string
		for _, tok := range toks {
			got += tok.String()
		}
		if got != want {
			t.Errorf("parseTemplate(%q) renders %q, want %q", in, got, want)
		}
	}
	for _, in := range []string{"$Number", "$Foo$", "$Number%5d$", "$Number%05x$", "$Number%033d$", "$RepresentationID%05d$", "$Time%0-5d$"} {
		if _, err := parseTemplate(in); err == nil {
			t.Errorf("parseTemplate(%q) accepted", in)
		}
	}
}

// TestParseIngestMPDGreaterThan: a '>' in character data is legal XML, and
// must neither hang the parser nor change the text.
func TestParseIngestMPDGreaterThan(t *testing.T) {
	raw := []byte(`<?xml version="1.0"?>
<MPD xmlns="urn:mpeg:dash:schema:mpd:2011"><ProgramInformation><Title>news > sport</Title>` +
		`<Source><![CDATA[a > b]]></Source></ProgramInformation><Period><AdaptationSet>` +
		`<Representation id="v&gt;1" bandwidth="1"/></AdaptationSet></Period></MPD>`)
	done := make(chan *IngestMPD, 1)
	go func() {
		m, err := ParseIngestMPD(raw)
		if err != nil {
			t.Error(err)
		}
		done <- m
	}()
	select {
	case m := <-done:
		if m == nil {
			return
		}
		if pi := m.MPD.ProgramInformation[0]; pi.Title != "news > sport" || pi.Source != "a > b" {
			t.Errorf("text changed: %+v", pi)
		}
		if string(m.Raw) != string(raw) {
			t.Error("Raw changed")
		}
		if len(m.Tracks) != 1 || m.Tracks[0].ID != "v>1" {
			t.Errorf("tracks %+v", m.Tracks)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("ParseIngestMPD hangs on '>' in character data")
	}
}

// IngestTrack.Label is the Representation's Label, else the AdaptationSet's.
func TestIngestTrackLabel(t *testing.T) {
	raw := []byte(`<MPD xmlns="urn:mpeg:dash:schema:mpd:2011" type="dynamic"><Period>
  <AdaptationSet contentType="audio" lang="sv"><Label> Svenska </Label>
    <SegmentTemplate initialization="$RepresentationID$/init.cmfa" media="$RepresentationID$/$Number$.cmfa" duration="2"/>
    <Representation id="a1" bandwidth="1"><Label>Svenska, syntolkning</Label></Representation>
    <Representation id="a2" bandwidth="1"/>
  </AdaptationSet>
  <AdaptationSet contentType="audio">
    <Representation id="a3" bandwidth="1"><Label></Label></Representation>
  </AdaptationSet></Period></MPD>`)
	m, err := ParseIngestMPD(raw)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"a1": "Svenska, syntolkning", "a2": "Svenska", "a3": ""}
	for _, tr := range m.Tracks {
		if tr.Label != want[tr.ID] {
			t.Errorf("%s: Label %q, want %q", tr.ID, tr.Label, want[tr.ID])
		}
	}
}
