package smpd

import (
	"testing"
)

// matchCases is the one case table of Match: unit test and fuzz seeds.
var matchCases = []struct {
	file string
	path string
	want PathMatch
	ok   bool
}{
	// ffmpeg: init-stream$RepresentationID$.m4s, chunk-stream$RepresentationID$-$Number%05d$.m4s
	{"ffmpeg-number-live.mpd", "init-stream0.m4s", PathMatch{Track: "0", Init: true}, true},
	{"ffmpeg-number-live.mpd", "init-stream1.m4s", PathMatch{Track: "1", Init: true}, true},
	{"ffmpeg-number-live.mpd", "chunk-stream1-00012.m4s", PathMatch{Track: "1", Number: 12, HasNumber: true}, true},
	{"ffmpeg-number-live.mpd", "chunk-stream0-00000.m4s", PathMatch{Track: "0", HasNumber: true}, true},
	{"ffmpeg-number-live.mpd", "/chunk-stream0-00001.m4s", PathMatch{Track: "0", Number: 1, HasNumber: true}, true},
	{"ffmpeg-number-live.mpd", "./chunk-stream0-00001.m4s", PathMatch{Track: "0", Number: 1, HasNumber: true}, true},
	{"ffmpeg-number-live.mpd", "chunk-stream0-123456.m4s", PathMatch{Track: "0", Number: 123456, HasNumber: true}, true},
	{"ffmpeg-timeline-static.mpd", "chunk-stream1-00003.m4s", PathMatch{Track: "1", Number: 3, HasNumber: true}, true},
	{"ffmpeg-number-live.mpd", "chunk-stream0-12.m4s", PathMatch{}, false},                   // %05d writes 00012
	{"ffmpeg-number-live.mpd", "chunk-stream0-012345.m4s", PathMatch{}, false},               // and never 012345
	{"ffmpeg-number-live.mpd", "chunk-stream2-00001.m4s", PathMatch{}, false},                // no track 2
	{"ffmpeg-number-live.mpd", "chunk-stream0-00001.m4s.tmp", PathMatch{}, false},            // suffix
	{"ffmpeg-number-live.mpd", "x/chunk-stream0-00001.m4s", PathMatch{}, false},              // prefix
	{"ffmpeg-number-live.mpd", "chunk-stream0-+0001.m4s", PathMatch{}, false},                // sign
	{"ffmpeg-number-live.mpd", "chunk-stream0-.m4s", PathMatch{}, false},                     // no number
	{"ffmpeg-number-live.mpd", "chunk-stream0-99999999999999999999.m4s", PathMatch{}, false}, // > 2^64
	{"ffmpeg-number-live.mpd", "init-stream.m4s", PathMatch{}, false},
	{"ffmpeg-number-live.mpd", "manifest.mpd", PathMatch{}, false},
	{"ffmpeg-number-live.mpd", "", PathMatch{}, false},

	// REaP: $RepresentationID$/init.m4s, $RepresentationID$/$Time$.m4s
	{"reap-time.mpd", "video-1280/init.m4s", PathMatch{Track: "video-1280", Init: true}, true},
	{"reap-time.mpd", "video-1280/153366048000000.m4s", PathMatch{Track: "video-1280", Time: 153366048000000, HasTime: true}, true},
	{"reap-time.mpd", "audio-en/81795225600000.m4s", PathMatch{Track: "audio-en", Time: 81795225600000, HasTime: true}, true},
	{"reap-time.mpd", "text-en/1704067200000.m4s", PathMatch{Track: "text-en", Time: 1704067200000, HasTime: true}, true},
	{"reap-time.mpd", "video-1280/0153366048000000.m4s", PathMatch{}, false}, // leading zero
	{"reap-time.mpd", "video-1280/init.m4s/1.m4s", PathMatch{}, false},
	{"reap-time.mpd", "video/1.m4s", PathMatch{}, false},
	{"reap-time.mpd", "video-1280/-1.m4s", PathMatch{}, false},
	{"reap-number.mpd", "ch1_v2_887535001.cmf", PathMatch{Track: "v2", Number: 887535001, HasNumber: true}, true},
	{"reap-number.mpd", "ch1_a1_000000042.cmf", PathMatch{Track: "a1", Number: 42, HasNumber: true}, true},
	{"reap-number.mpd", "ch1_a1_init.cmf", PathMatch{Track: "a1", Init: true}, true},
	{"reap-number.mpd", "ch1_a1_42.cmf", PathMatch{}, false},

	// Template text is literal: "(v)+/[a.b]*$Time%012d$$$.m4s" for Representation "a.b".
	{"match-quoting.mpd", "(v)+/[a.b]*000000000042$.m4s", PathMatch{Track: "a.b", Time: 42, HasTime: true}, true},
	{"match-quoting.mpd", "(v)+/[a.b].init", PathMatch{Track: "a.b", Init: true}, true},
	{"match-quoting.mpd", "vv/a.b000000000042$.m4s", PathMatch{}, false},
	{"match-quoting.mpd", "(v)+/[axb]*000000000042$.m4s", PathMatch{}, false},
	{"match-quoting.mpd", "(v)+/[a.b]000000000042$.m4s", PathMatch{}, false},
	{"match-quoting.mpd", "(v)+/[a.b]*000000000042.m4s", PathMatch{}, false},
	// "$RepresentationID$$Number$.m4s" for "s" and "s1": s12.m4s is s #12 or s1 #2.
	{"match-quoting.mpd", "s12.m4s", PathMatch{}, false},
	{"match-quoting.mpd", "s1.m4s", PathMatch{Track: "s", Number: 1, HasNumber: true}, true}, // s1 needs digits after "s1"
	// "init.mp4" is every audio track's header: ambiguous.
	{"match-quoting.mpd", "init.mp4", PathMatch{}, false},
}

func TestMatch(t *testing.T) {
	docs := make(map[string]*IngestMPD)
	for _, tc := range matchCases {
		m := docs[tc.file]
		if m == nil {
			m = loadIngest(t, tc.file)
			docs[tc.file] = m
		}
		got, ok := m.Match(tc.path)
		if ok != tc.ok || got != tc.want {
			t.Errorf("%s: Match(%q) = %+v, %v; want %+v, %v", tc.file, tc.path, got, ok, tc.want, tc.ok)
		}
	}
}

// TestMatchUncompiled checks Match on an IngestMPD built by hand: the
// templates are compiled on the fly, the value is not modified.
func TestMatchUncompiled(t *testing.T) {
	m := &IngestMPD{Tracks: []IngestTrack{{ID: "v", Init: "v/init.mp4", Media: "v/$Number%03d$.m4s"}}}
	if got, ok := m.Match("v/007.m4s"); !ok || got != (PathMatch{Track: "v", Number: 7, HasNumber: true}) {
		t.Errorf("Match = %+v, %v", got, ok)
	}
	if m.matchers != nil {
		t.Error("Match cached its matchers in a shared value")
	}
	var nilMPD *IngestMPD
	if _, ok := nilMPD.Match("v/007.m4s"); ok {
		t.Error("nil IngestMPD matched")
	}
}
