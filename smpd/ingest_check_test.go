package smpd

import (
	"slices"
	"strings"
	"testing"

	"github.com/reapd/reapd/trackfile"
)

// findingKeys renders findings as "clause|level|subject", in order.
func findingKeys(fs []trackfile.Finding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Clause+"|"+f.Level+"|"+f.Subject)
	}
	return out
}

func TestCheck(t *testing.T) {
	ffmpegCommon := []string{
		"6.1 e|error|AdaptationSet 0",
		"6.1 e|error|Representation 0",
		"6.1 e|error|AdaptationSet 1",
		"6.1 e|error|Representation 1",
	}
	tests := []struct {
		file string
		want []string
	}{
		{"reap-time.mpd", nil},
		{"reap-number.mpd", nil},
		{"ffmpeg-number-live.mpd", slices.Concat(
			[]string{"6.1 a|warning|MPD", "6.1 c|warning|MPD"}, ffmpegCommon,
			[]string{"6.1 j|warning|Representation 0", "6.1 j|warning|Representation 1"})},
		{"ffmpeg-timeline-live.mpd", slices.Concat([]string{"6.1 a|warning|MPD", "6.1 c|warning|MPD"}, ffmpegCommon)},
		{"ffmpeg-number-static.mpd", slices.Concat(
			[]string{"6.1 a|warning|MPD", "6.1 c|error|MPD"}, ffmpegCommon,
			[]string{"6.1 j|warning|Representation 0", "6.1 j|warning|Representation 1"})},
		{"ffmpeg-timeline-static.mpd", slices.Concat([]string{"6.1 a|warning|MPD", "6.1 c|error|MPD"}, ffmpegCommon)},
		{"bad-structure.mpd", []string{
			"6.1|error|Representation v",  // repeated @id
			"6.1|error|Representation #0", // no @id
			"6.1 a|warning|MPD",
			"6.1 b|error|MPD",
			"6.1 b|warning|Period first", // PT10S
			"6.1 b|warning|Period #1",    // absent in a dynamic MPD
			"6.1 c|error|MPD",
			"6.1 d|error|Period first",
			"6.1 e|error|AdaptationSet 0",
			"6.1 e|error|Representation v",
			"6.1 e|error|Representation v",
			"6.1 f|error|AdaptationSet 0",
		}},
		{"bad-templates.mpd", []string{
			"6.1 c|warning|MPD",
			"6.1 g|error|AdaptationSet 0",       // init without $RepresentationID$
			"6.1 g|error|AdaptationSet 0",       // $Number$ and $Time$
			"6.1 g|error|Representation video1", // $RepresentationID$$Number$ with an id ending in a digit
			"6.1 g|error|AdaptationSet 1",       // init with two $RepresentationID$
			"6.1 g|error|Representation 1audio", // $Time$$RepresentationID$ with an id starting with a digit
			"6.1 g|error|AdaptationSet 2",       // $Foo$
			"6.1 h|error|MPD",
			"6.1 i|error|MPD",
			"6.1 j|warning|AdaptationSet 0",
		}},
		{"bad-protection.mpd", []string{
			"6.1 l 1|warning|AdaptationSet 1",    // no license URL
			"6.1 l 2|warning|AdaptationSet 0",    // http://
			"6.1 m 1|error|Representation audio", // key server in a Representation
			"6.1 m 2|error|AdaptationSet 0",      // value is not a URL
		}},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			fs := loadIngest(t, tc.file).Check()
			if got := findingKeys(fs); !slices.Equal(got, tc.want) {
				t.Errorf("findings:\n got %q\nwant %q", got, tc.want)
			}
			for _, f := range fs {
				if f.Message == "" || (f.Level != "error" && f.Level != "warning") {
					t.Errorf("bad finding %+v", f)
				}
			}
		})
	}
}

func TestCheckReportsSTS(t *testing.T) {
	fs := loadIngest(t, "bad-templates.mpd").Check()
	if !strings.Contains(fs[0].Message, "E-STS = 1704067200.5 s") {
		t.Errorf("6.1 c finding does not report the implied E-STS: %q", fs[0].Message)
	}
}

func TestNamingChanged(t *testing.T) {
	base := loadIngest(t, "reap-time.mpd")
	parse := func(raw string) *IngestMPD {
		m, err := ParseIngestMPD([]byte(raw))
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	same := parse(strings.ReplaceAll(string(base.Raw), `publishTime="2024-01-01T00:00:00Z"`, `publishTime="2024-01-01T00:01:00Z"`))
	added := parse(strings.ReplaceAll(string(base.Raw),
		`<Representation id="video-640"`, `<Representation id="video-1920" bandwidth="6000000"/><Representation id="video-640"`))
	renamed := parse(strings.ReplaceAll(string(base.Raw), `media="$RepresentationID$/$Time$.m4s"`, `media="$RepresentationID$-$Time$.m4s"`))
	otherNew := parse(strings.ReplaceAll(string(base.Raw), `<Representation id="text-en" codecs="stpp.ttml.im1t" bandwidth="2000"/>`,
		`<Representation id="text-en" codecs="stpp.ttml.im1t" bandwidth="2000"/></AdaptationSet>
		<AdaptationSet id="4" contentType="text"><SegmentTemplate initialization="x/$RepresentationID$.mp4" media="$RepresentationID$/$Time$.m4s"/>
		<Representation id="text-fr" bandwidth="2000"/>`))
	tests := []struct {
		name string
		next *IngestMPD
		want []string
	}{
		{"same", same, nil},
		{"track added with the same convention", added, nil},
		{"media renamed", renamed, []string{
			"6.1 k 1|error|Representation video-1280", "6.1 k 1|error|Representation video-640",
			"6.1 k 1|error|Representation audio-en", "6.1 k 1|error|Representation text-en",
		}},
		{"new track with another convention", otherNew, []string{"6.1 k 1|error|Representation text-fr"}},
	}
	for _, tc := range tests {
		if got := findingKeys(NamingChanged(base, tc.next)); !slices.Equal(got, tc.want) {
			t.Errorf("%s:\n got %q\nwant %q", tc.name, got, tc.want)
		}
	}
	if NamingChanged(nil, base) != nil || NamingChanged(base, nil) != nil {
		t.Error("NamingChanged with nil is not nil")
	}
}
