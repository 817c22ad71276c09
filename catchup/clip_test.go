package catchup

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/Eyevinn/mp4ff/mp4"
	"github.com/reapd/reapd/trackfile"
	"github.com/reapd/reapd/trackfile/trackfiletest"
)

func clipWin(from, to float64) string {
	return "start=" + epochSeconds(at(from)) + "&end=" + epochSeconds(at(to))
}

func decodeClip(t *testing.T, b []byte) *mp4.File {
	t.Helper()
	f, err := mp4.DecodeFile(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// TestClipRequests: a clip over finalized and staged periods, the tracks
// asked for, HEAD, and the answers to bad requests.
func TestClipRequests(t *testing.T) {
	s, _ := realArchive(t) // [0 s, 120 s) in track files, [120 s, 150 s) staged
	h := s.server(at(200)).Handler()

	resp := mustGet(t, h, "/catchup/ch1/clip.mp4?"+clipWin(10, 140)+"&tracks=b,a")
	b := []byte(body(t, resp))
	f := decodeClip(t, b)
	if len(f.Moov.Traks) != 2 || f.Moov.Mvex != nil {
		t.Fatalf("%d traks (mvex %v), want 2, progressive", len(f.Moov.Traks), f.Moov.Mvex != nil)
	}
	// Track order is presentation order (by name), not the order asked.
	for i, want := range []uint32{48000, 96000} {
		trak := f.Moov.Traks[i]
		if ts := trak.Mdia.Mdhd.Timescale; ts != want {
			t.Errorf("trak %d: timescale %d, want %d", i, ts, want)
		}
		if n := trak.Mdia.Minf.Stbl.Stsz.SampleNumber; n != 6500 {
			t.Errorf("trak %d: %d samples, want 6500 (130 s of 20 ms, through the staged period)", i, n)
		}
	}
	if resp.Header.Get("Reapd-Gaps") != "" {
		t.Errorf("Reapd-Gaps %q without a gap", resp.Header.Get("Reapd-Gaps"))
	}

	head := httptest.NewRequest(http.MethodHead, "/catchup/ch1/clip.mp4?"+clipWin(10, 140)+"&tracks=a,b", nil)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, head)
	if rec.Code != http.StatusOK || rec.Header().Get("Content-Length") != resp.Header.Get("Content-Length") || rec.Body.Len() != 0 {
		t.Errorf("HEAD: %d, Content-Length %q (GET %q), %d body bytes", rec.Code, rec.Header().Get("Content-Length"),
			resp.Header.Get("Content-Length"), rec.Body.Len())
	}

	for _, c := range []struct {
		query  string
		status int
	}{
		{clipWin(10, 20) + "&accurate=2", 400},
		{clipWin(10, 20) + "&format=mkv", 400},
		{clipWin(10, 20) + "&format=fmp4&accurate=1", 400},
		{"start=" + epochSeconds(at(10)), 400},
		{clipWin(10, 20) + "&tracks=zz", 400},
		{clipWin(10, 20) + "&download=a/b", 400},
		{clipWin(10, 20) + "&download=a%0Db", 400},
		{clipWin(300, 310), 400}, // in the future
		{clipWin(-100, -90), 404},
		{clipWin(10, 20) + "&format=fmp4", 200},
		{clipWin(10, 20) + "&accurate=1&download=x", 200},
	} {
		if r := get(t, h, "/catchup/ch1/clip.mp4?"+c.query); r.StatusCode != c.status {
			t.Errorf("%s: %d, want %d", c.query, r.StatusCode, c.status)
		}
	}
	// A window reaching before the archive starts where the archive does.
	r := mustGet(t, h, "/catchup/ch1/clip.mp4?"+clipWin(-30, 10)+"&accurate=1&tracks=a")
	if w := r.Header.Get("Reapd-Window"); w != "start=2026-01-01T00:00:00Z; end=2026-01-01T00:00:10Z" {
		t.Errorf("Reapd-Window %q, want the archive's start", w)
	}
	if elst := decodeClip(t, []byte(body(t, r))).Moov.Trak.Edts.Elst[0].Entries; len(elst) != 1 || elst[0].SegmentDuration != 480000 {
		t.Errorf("edit list %+v, want 10 s of media and no empty edit", elst)
	}
	if r := get(t, h, "/catchup/nope/clip.mp4?"+clipWin(10, 20)); r.StatusCode != 404 {
		t.Errorf("unknown channel: %d", r.StatusCode)
	}
}

// TestClipHeaderChangeAndMiss: a header change inside the window gives the
// track a second sample entry; a 'miss' segment is a gap that keeps its
// time and is named in Reapd-Gaps.
func TestClipHeaderChangeAndMiss(t *testing.T) {
	s := newSynth(t, "mem://", grid2s)
	a, b := s.newRealTrack("a", audio48), s.newRealTrack("b", audio96)
	n0 := s.n(0)
	s.writeIndex(s.grid.Period(n0), "", s.trackFile(a, n0, n0+30, false, trackfile.EndComplete),
		s.trackFile(b, n0, n0+30, false, trackfile.EndComplete))
	s.stage(b, n0+30, n0+46)
	s.put(s.stagedKey(b, s.onGrid(b, n0+46, n0+47)[0], trackfile.VariantMiss), s.segment(b, n0+46))
	s.stage(b, n0+47, n0+50)
	a2 := s.newRealTrack("a", trackfiletest.Track{ID: 2, Timescale: 48000, SampleDur: 960, SamplesPerSegment: 100, SampleSize: 80})
	s.stage(a, n0+30, n0+48)
	s.stage(a2, n0+48, n0+50)
	h := s.server(at(110)).Handler()

	resp := mustGet(t, h, "/catchup/ch1/clip.mp4?"+clipWin(80, 100)+"&tracks=a,b")
	f := decodeClip(t, []byte(body(t, resp)))
	stbl := f.Moov.Traks[0].Mdia.Minf.Stbl
	if stbl.Stsd.SampleCount != 2 {
		t.Errorf("track a: %d sample entries, want 2 (the header changes at 96 s)", stbl.Stsd.SampleCount)
	}
	if ids := stbl.Stsc.SampleDescriptionID; len(ids) < 2 || ids[0] != 1 || ids[len(ids)-1] != 2 {
		t.Errorf("track a: chunks use sample entries %v, want 1 then 2", ids)
	}
	if got := resp.Header.Get("Reapd-Gaps"); got != "2026-01-01T00:01:32Z/2026-01-01T00:01:34Z" {
		t.Errorf("Reapd-Gaps %q, want b's miss segment at [92 s, 94 s)", got)
	}
	bt := f.Moov.Traks[1].Mdia
	var total uint64
	for i, c := range bt.Minf.Stbl.Stts.SampleCount {
		total += uint64(c) * uint64(bt.Minf.Stbl.Stts.SampleTimeDelta[i])
	}
	if n, want := bt.Minf.Stbl.Stsz.SampleNumber, uint32(900); n != want || total != 20*96000 {
		t.Errorf("track b: %d samples over %d ticks, want %d over 20 s (the gap keeps its time)", n, total, want)
	}
	if !strings.Contains(resp.Header.Get("Access-Control-Expose-Headers"), "Reapd-Gaps") {
		t.Error("Reapd-Gaps is not exposed to scripts")
	}
}

var rangeCases = []struct {
	h      string
	off, n int64
	ok     bool
}{
	{"bytes=0-99", 0, 100, true},
	{"bytes=900-", 900, 100, true},
	{"bytes=900-5000", 900, 100, true},
	{"bytes=-10", 990, 10, true},
	{"bytes=-5000", 0, 1000, true},
	{"bytes=1000-", 0, 0, false},
	{"bytes=5-4", 0, 0, false},
	{"bytes=-0", 0, 0, false},
	{"bytes=x-1", 0, 0, false},
	{"bytes=0-1,5-6", 0, -1, true}, // several: the whole body
	{"items=0-1", 0, -1, true},     // another unit: ignored
}

func TestParseRange(t *testing.T) {
	for _, c := range rangeCases {
		if off, n, ok := parseRange(c.h, 1000); ok != c.ok || ok && (off != c.off || n != c.n) {
			t.Errorf("%q: %d, %d, %v; want %d, %d, %v", c.h, off, n, ok, c.off, c.n, c.ok)
		}
	}
}

// FuzzParseRange: a satisfiable single range lies inside the body.
func FuzzParseRange(f *testing.F) {
	for _, c := range rangeCases {
		f.Add(c.h, int64(1000))
	}
	f.Fuzz(func(t *testing.T, h string, size int64) {
		if size <= 0 {
			return
		}
		if off, n, ok := parseRange(h, size); ok && n >= 0 && (off < 0 || n <= 0 || off+n > size) {
			t.Fatalf("%q over %d bytes: [%d, +%d)", h, size, off, n)
		}
	})
}

// TestClipAcrossFinalize: a clip planned while its last period was open
// writes the same bytes after the period is finalized and its staged
// segments are deleted (read from the track files then).
func TestClipAcrossFinalize(t *testing.T) {
	s := newSynth(t, "mem://", grid2s)
	a, b := s.newRealTrack("a", audio48), s.newRealTrack("b", audio96)
	k0 := s.grid.Period(s.n(0))
	s.writeIndex(k0, "", s.trackFile(a, s.grid.PeriodFirst(k0), s.grid.PeriodFirst(k0+1), false, trackfile.EndComplete),
		s.trackFile(b, s.grid.PeriodFirst(k0), s.grid.PeriodFirst(k0+1), false, trackfile.EndComplete))
	first := s.grid.PeriodFirst(k0 + 1)
	s.stage(a, first, first+15)
	s.stage(b, first, first+15)
	srv := s.server(at(200))
	req := ClipRequest{Start: at(40), End: at(80), Tracks: []string{"a", "b"}}
	p, err := srv.PlanClip(s.ctx, testChannel, req)
	if err != nil {
		t.Fatal(err)
	}
	var before bytes.Buffer
	if _, err := p.WriteTo(s.ctx, &before); err != nil {
		t.Fatal(err)
	}
	// Finalize period 1 as the archiver does: track files, index, then
	// the staged segments go.
	s.writeIndex(k0+1, "", s.trackFile(a, first, first+15, false, trackfile.EndComplete),
		s.trackFile(b, first, first+15, false, trackfile.EndComplete))
	for _, tr := range []string{"a", "b"} {
		objs, err := s.store.List(s.ctx, trackfile.StagedPrefix(testChannel, tr))
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range objs {
			if err := s.store.Delete(s.ctx, o.Key); err != nil {
				t.Fatal(err)
			}
		}
	}
	var after bytes.Buffer
	if _, err := p.WriteTo(s.ctx, &after); err != nil {
		t.Fatalf("writing after the finalize: %v", err)
	}
	if !bytes.Equal(before.Bytes(), after.Bytes()) {
		t.Error("the clip changed when its period was finalized")
	}
	p2, err := srv.PlanClip(s.ctx, testChannel, req)
	if err != nil {
		t.Fatal(err)
	}
	if p2.ETag() != p.ETag() || p2.Size() != p.Size() {
		t.Errorf("planned again after the finalize: ETag %s size %d, was %s %d", p2.ETag(), p2.Size(), p.ETag(), p.Size())
	}
}

// TestClipExporter: the export jobs' view of a clip is clip.mp4's bytes.
func TestClipExporter(t *testing.T) {
	s, _ := realArchive(t)
	srv := s.server(at(200))
	resp := mustGet(t, srv.Handler(), "/catchup/ch1/clip.mp4?"+clipWin(10, 140))
	want := body(t, resp)
	e := srv.ClipExporter()
	size, err := e.ClipSize(s.ctx, testChannel, at(10), at(140), nil)
	if err != nil || size != int64(len(want)) {
		t.Fatalf("ClipSize %d (%v), clip.mp4 has %d bytes", size, err, len(want))
	}
	var b bytes.Buffer
	if n, err := e.WriteClip(s.ctx, &b, testChannel, at(10), at(140), nil); err != nil || n != size || b.String() != want {
		t.Errorf("WriteClip wrote %d bytes (%v), equal to clip.mp4: %v", n, err, b.String() == want)
	}
}
