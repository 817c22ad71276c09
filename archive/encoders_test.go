package archive

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/reapd/reapd/trackfile"
)

// encoderCase is one row of the case table of issue 8, acceptance 3: what
// an encoder sends, and what the archive must then say about it.
type encoderCase struct {
	name   string
	in     encInput
	wantD  trackfile.Rational // the channel's D; zero where the input has no constant one
	minSeg float64            // the shortest full segment, s: no Period inside contiguous media may be shorter
}

var (
	d2   = trackfile.Rational{Num: 2, Den: 1}
	d192 = trackfile.Rational{Num: 48, Den: 25}
)

// encT0 is on the 2 s and the 12 s grids (testEpoch+96 is on the 1.92 s one).
const encT0 = testEpoch + 120

// encoderCases is the case table; it also seeds FuzzIngest.
func encoderCases() []encoderCase {
	return []encoderCase{
		{name: "short first segment", // an encoder joining mid-grid, with an SCTE-35 event track
			in: encInput{video: synthVideo(90000), events: true,
				spans: contiguous(at(testEpoch+96)-37, append([]int64{37}, repeat(6, 48)...)...),
				opts:  map[int]encOpt{3: {scte35: true}}},
			wantD: d192, minSeg: 1.92},
		{name: "alternating 8 s and 4 s", // livesim2 testpic_8s-like SegmentTimeline content
			in:     encInput{video: synthVideo(90000), spans: contiguous(at(encT0), 200, 100, 200, 100, 200, 100)},
			minSeg: 4},
		{name: "segment split at a splice", // 0.8 s + 1.2 s, an SCTE-35 emsg in the second part
			in: encInput{video: synthVideo(90000), spans: contiguous(at(encT0), 50, 50, 50, 20, 30, 50, 50, 50),
				opts: map[int]encOpt{4: {scte35: true}}},
			wantD: d2, minSeg: 2},
		{name: "crash-cut first fragment", // 2 frames, then the restarted encoder on the next grid point
			in: encInput{video: synthVideo(90000),
				spans: append([]encSpan{{at(encT0), 2}}, contiguous(at(encT0+2), repeat(6, 50)...)...)},
			wantD: d2, minSeg: 2},
		{name: "crash-cut last fragment",
			in:    encInput{video: synthVideo(90000), spans: contiguous(at(encT0), append(repeat(6, 50), 2)...)},
			wantD: d2, minSeg: 2},
		{name: "half a segment off the grid", // ffmpeg started on an odd second, 21 ms of audio priming
			in: encInput{video: synthVideo(12800), priming: 1024, sidx: true,
				spans: contiguous(at(encT0+1), repeat(8, 50)...)},
			wantD: d2, minSeg: 2},
		{name: "hostile first segment of many chunks", // 7700 chunks with one tfdt: 4004 s
			in: encInput{video: synthVideo(90000),
				hostile: []synthSeg{{start: (encT0 - 4104) * 90000, dur: 7700 * 46800, chunks: 7700, sampleDur: 46800, sameTfdt: true}},
				spans:   contiguous(at(encT0), repeat(6, 50)...)},
			wantD: d2, minSeg: 2},
		{name: "hostile first segment of one huge sample", // one 4004 s sample
			in: encInput{video: synthVideo(90000),
				hostile: []synthSeg{{start: (encT0 - 4104) * 90000, dur: 4004 * 90000, sampleDur: 4004 * 90000}},
				spans:   contiguous(at(encT0), repeat(6, 50)...)},
			wantD: d2, minSeg: 2},
		{name: "REaP encoder on the grid", // the control case
			in: encInput{video: synthVideo(12800), reap: d2, spans: contiguous(at(encT0), repeat(6, 50)...),
				opts: map[int]encOpt{5: {brands: []string{"lmsg"}}}},
			wantD: d2, minSeg: 2},
		{name: "REaP encoder whose headers carry no CMAF brand", // livesim2's headers: a conformance finding
			in: encInput{video: synthVideo(90000), reap: d2, ftyp: []string{"iso6", "dash"},
				spans: contiguous(at(encT0), repeat(6, 50)...)},
			wantD: d2, minSeg: 2},
		{name: "REaP encoder with a slate copy and a miss segment",
			in: encInput{video: synthVideo(90000), reap: d2, spans: contiguous(at(encT0), repeat(6, 50)...),
				opts: map[int]encOpt{2: {slate: true}, 4: {miss: true}}},
			wantD: d2, minSeg: 2},
	}
}

func encoderCaseNamed(name string) encoderCase {
	for _, c := range encoderCases() {
		if c.name == name {
			return c
		}
	}
	panic("no encoder case " + name)
}

// TestEncodersAreArchivedWhole feeds each case of the table to an archiver
// without a configured D, finalizes, and checks the archive: every
// segment acknowledged with 200 is in exactly one track file, byte-exact
// minus sidx, at its own time, in files contiguous in time; the channel's
// D is right; the archive S-MPD has no Period shorter than a segment
// inside contiguous media and none that leaves out a track with media in
// it (issue 8, acceptance 3).
//
// Each case is sent twice: one POST per header and segment (DASH-IF
// ingest Interface 2), and one long-running Streams() POST per track
// (Interface 1; not for hostile input, whose refusal ends the body).
func TestEncodersAreArchivedWhole(t *testing.T) {
	for _, c := range encoderCases() {
		t.Run(c.name, func(t *testing.T) {
			r := newEncRig(t)
			posts := c.in.posts()
			codes := sendAll(t, r, posts)
			reportArchive(t, r, c, posts, codes)
		})
		if len(c.in.hostile) > 0 {
			continue
		}
		t.Run(c.name+"/Streams", func(t *testing.T) {
			r := newEncRig(t)
			posts := c.in.posts()
			for _, tr := range c.in.tracks() {
				var body []byte
				for _, p := range posts {
					if p.track.name == tr.name {
						body = append(body, p.body...)
					}
				}
				if code, msg := r.post(fmt.Sprintf("/ingest/ch1/Streams(%s.%s)", tr.name, tr.ext()), body); code != http.StatusOK {
					t.Errorf("Streams(%s.%s): %d %s", tr.name, tr.ext(), code, strings.TrimSpace(msg))
				}
			}
			codes := make([]int, len(posts))
			for i := range codes {
				codes[i] = http.StatusOK
			}
			reportArchive(t, r, c, posts, codes)
		})
	}
}

// reportArchive reports every problem of the archive, and what the
// archive holds when there is one.
func reportArchive(t *testing.T, r *encRig, c encoderCase, posts []encPost, codes []int) {
	t.Helper()
	problems, v := archiveProblems(r, c, posts, codes)
	for _, p := range problems {
		t.Error(p)
	}
	if len(problems) > 0 && v != nil {
		t.Logf("track files (segment start+duration, s):\n%s%s", v.summary(), v.periodSummary())
	}
}

// sendAll posts every request in order and returns the status codes. A
// hostile segment may be refused with a 4xx; everything else must be 200.
func sendAll(t *testing.T, r *encRig, posts []encPost) []int {
	t.Helper()
	codes := make([]int, len(posts))
	for i, p := range posts {
		code, msg := r.post(p.path, p.body)
		codes[i] = code
		switch {
		case p.want == wantHostile && code != http.StatusOK && (code < 400 || code >= 500):
			t.Errorf("hostile segment %s: %d %s (want 200 or a 4xx)", p.path, code, strings.TrimSpace(msg))
		case p.want != wantHostile && code != http.StatusOK:
			t.Errorf("%s (%s segment at %d): %d %s", p.path, p.track.name, p.key.start, code, strings.TrimSpace(msg))
		}
	}
	return codes
}

// archiveProblems finalizes everything and returns what is wrong with the
// archive of case c after posts were answered with codes.
func archiveProblems(r *encRig, c encoderCase, posts []encPost, codes []int) ([]string, *archiveView) {
	ctx := context.Background()
	var problems []string
	if err := r.finalizeAll(); err != nil {
		problems = append(problems, fmt.Sprintf("FinalizeAll: %v", err))
	}
	want, heads := expected(posts, codes)
	v, ps := readArchive(ctx, r.store, "ch1", heads)
	problems = append(problems, ps...)
	problems = append(problems, v.checkWhole(want)...)
	problems = append(problems, v.checkRuns()...)
	if !c.wantD.IsZero() {
		problems = append(problems, v.checkD(ctx, r.store, c.wantD)...)
	}
	if v.mpd != nil {
		periods, ps := parsePeriods(v.mpd, "ch1", v.runs)
		problems = append(problems, ps...)
		cov, files := v.coverage()
		problems = append(problems, checkPeriods(periods, cov, files, c.minSeg)...)
	}
	return problems, v
}

// periodSummary lists the archive S-MPD's Periods for a failing test's log.
func (v *archiveView) periodSummary() string {
	if v.mpd == nil {
		return ""
	}
	periods, _ := parsePeriods(v.mpd, v.channel, v.runs)
	var b strings.Builder
	b.WriteString("archive S-MPD Periods:\n")
	for _, p := range periods {
		fmt.Fprintf(&b, "  [%.3f, %.3f) %.3f s:", p.from, p.to, p.to-p.from)
		for track, key := range p.files {
			fmt.Fprintf(&b, " %s=%s", track, strings.TrimPrefix(key, v.channel+"/"))
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// TestEncoderChecksCatchALostSegment breaks the rule once: a segment the
// checks expect never reaches the archiver, and they must say it is lost.
func TestEncoderChecksCatchALostSegment(t *testing.T) {
	c := encoderCaseNamed("REaP encoder on the grid")
	r := newEncRig(t)
	posts := c.in.posts()
	codes := make([]int, len(posts))
	var dropped *encPost
	for i, p := range posts {
		codes[i] = http.StatusOK
		if dropped == nil && p.want == wantArchived && p.track.kind == kindVideo && p.key.start > uint64(encT0+4)*12800 {
			dropped = &posts[i] // expected, never sent
			continue
		}
		if code, msg := r.post(p.path, p.body); code != http.StatusOK {
			t.Fatalf("%s: %d %s", p.path, code, msg)
		}
	}
	problems, _ := archiveProblems(r, c, posts, codes)
	lost := fmt.Sprintf("lost: the video segment at tfdt %d ", dropped.key.start)
	found := false
	for _, p := range problems {
		found = found || strings.HasPrefix(p, lost)
	}
	if !found {
		t.Errorf("the checks did not report the segment that was never sent; they said %q", problems)
	}
}

// TestPeriodChecksCatchPrimingAndDroppedTracks breaks the S-MPD rules of
// issue 8 once each: a 21 ms audio-only Period of priming, a video-only
// Period over audio that is in the files, and media in no Period.
func TestPeriodChecksCatchPrimingAndDroppedTracks(t *testing.T) {
	cov := map[string][]interval{"video": {{100, 110}}, "audio": {{99.979, 110.005}}}
	files := map[string]interval{"v": {100, 110}, "a": {99.979, 110.005}}
	both := map[string]string{"video": "v", "audio": "a"}
	p := func(from, to float64, files map[string]string) smpdPeriod {
		return smpdPeriod{interval{from, to}, files}
	}
	for _, tc := range []struct {
		name    string
		periods []smpdPeriod
		want    string // a substring of a problem; "" for none
	}{
		{"one Period", []smpdPeriod{p(100, 110, both)}, ""},
		{"priming Period", []smpdPeriod{p(99.979, 100, map[string]string{"audio": "a"}), p(100, 110, both)},
			"shorter than a segment"},
		{"video-only Period over audio", []smpdPeriod{p(100, 104, map[string]string{"video": "v"}), p(104, 110, both)},
			"leaves out track audio"},
		{"media in no Period", []smpdPeriod{p(100, 104, both)}, "in no Period that plays"},
	} {
		got := checkPeriods(tc.periods, cov, files, 2)
		if tc.want == "" && len(got) > 0 || tc.want != "" && !strings.Contains(strings.Join(got, "\n"), tc.want) {
			t.Errorf("%s: problems %q, want one with %q", tc.name, got, tc.want)
		}
	}
}

// FuzzIngest posts any body as a long-running Streams() POST, seeded with
// every track of every case of the table (header and segments as one
// body), and finalizes: no panic, no 5xx for what a client sends, and
// nothing it accepted that cannot be finalized.
func FuzzIngest(f *testing.F) {
	kinds := []synthTrack{synthVideo(90000), synthAudio, synthEvents}
	for _, c := range encoderCases() {
		bodies := map[string][]byte{}
		for _, p := range c.in.posts() {
			bodies[p.track.kind] = append(bodies[p.track.kind], p.body...)
		}
		for i, k := range kinds {
			// Go's fuzzer mutates megabytes slowly: the 7700-chunk
			// hostile body stays a table case only.
			if b := bodies[k.kind]; b != nil && len(b) < 64<<10 {
				f.Add(uint8(i), b)
			}
		}
	}
	f.Fuzz(func(t *testing.T, kind uint8, body []byte) {
		tr := kinds[int(kind)%len(kinds)]
		r := newEncRig(t)
		code, msg := r.post(fmt.Sprintf("/ingest/ch1/Streams(%s.%s)", tr.name, tr.ext()), body)
		if code >= 500 {
			t.Fatalf("answered %d to a client's body: %s", code, msg)
		}
		if err := r.finalizeAll(); err != nil {
			t.Fatalf("answered %d, then finalizing failed: %v", code, err)
		}
	})
}
