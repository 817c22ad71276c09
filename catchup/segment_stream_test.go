package catchup

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"runtime"
	"sync"
	"testing"

	"github.com/reapd/reapd/trackfile"
	"github.com/reapd/reapd/trackfile/trackfiletest"
)

// Staged segments are served by streaming (issue 9 item 4): the served
// bytes are what finalizing writes (trackfile.PrepareSegment), with the
// times moved by the STS, while only box headers and the rewritten boxes
// are held in memory.

// stsTiming is a channel whose encoder does not stamp epoch times: its STS
// moves them to the epoch (media time 0 is epoch0), so every tfdt of a
// staged segment is rewritten and grows from 32 to 64 bits.
var stsTiming = trackfile.ChannelTiming{SegmentDuration: grid2s.D, PeriodSegments: grid2s.N,
	STS: trackfile.Rational{Num: epoch0.Unix(), Den: 1}}

// fragmentedSegment returns a staged segment of one segment's samples in
// fragments moof+mdat, after a sidx (dropped when stored), a prft and a
// version 1 emsg (both rewritten), as an encoder without epoch times
// sends it: its times start at t minus the STS.
func (s *synth) fragmentedSegment(rt *realTrack, t uint64, fragments int) []byte {
	tr := rt.tr
	tr.SamplesPerSegment /= fragments
	raw := t - uint64(s.sts.TicksSigned(tr.Timescale))
	box := func(typ string, body ...[]byte) []byte {
		b := binary.BigEndian.AppendUint32(nil, uint32(8+len(bytes.Join(body, nil))))
		return append(append(b, typ...), bytes.Join(body, nil)...)
	}
	u32 := func(v uint32) []byte { return binary.BigEndian.AppendUint32(nil, v) }
	u64 := func(v uint64) []byte { return binary.BigEndian.AppendUint64(nil, v) }
	out := slicesConcat(
		box("sidx", u32(1<<24), u32(tr.ID), u32(tr.Timescale), u64(raw), u64(0), u32(0)),
		box("prft", u32(0), u32(tr.ID), u64(0x83aa7e80_00000000), u32(uint32(raw))),
		box("emsg", u32(1<<24), u32(tr.Timescale), u64(raw+480), u32(960), u32(1), []byte("urn:scte:scte35:2013:bin\x00\x00")),
	)
	for i := range fragments {
		out = append(out, tr.Segment(raw+uint64(i*tr.SamplesPerSegment)*uint64(tr.SampleDur), uint32(i+1))...)
	}
	return out
}

func slicesConcat(bs ...[]byte) []byte { return bytes.Join(bs, nil) }

// stageRaw stages raw as the segment of rt at t with duration d.
func (s *synth) stageRaw(rt *realTrack, t, d uint64, raw []byte) {
	s.put(trackfile.HeaderUseKey(testChannel, rt.name, t, rt.hdr.Hash), nil)
	s.put(trackfile.StagedKey(testChannel, rt.name, trackfile.StagedName{T: t, D: d, Ext: rt.hdr.Info.Ext}), raw)
}

// TestStagedSegmentRanges: a staged segment of several fragments, whose
// sidx is dropped and whose tfdt, prft and emsg move by the STS, serves
// PrepareSegment's bytes whole and in any range, with Content-Length.
func TestStagedSegmentRanges(t *testing.T) {
	s := newSynthTiming(t, "mem://", stsTiming)
	rt := s.newRealTrack("a", audio48)
	n := s.n(10)
	tt := s.grid.SegmentStart(n, 48000)
	raw := s.fragmentedSegment(rt, tt, 4)
	s.stageRaw(rt, tt, rt.tr.SegmentTicks(), raw)
	want, _, err := trackfile.PrepareSegment(raw, rt.hdr, n, s.sts.TicksSigned(48000))
	if err != nil {
		t.Fatal(err)
	}
	if len(want) == len(raw) {
		t.Fatal("normalizing changes no size: the test does not test the rewrite")
	}
	h := s.server(at(30)).Handler()
	u := "/catchup/ch1/" + segmentPath("a", rt.hdr.Hash, 48000, tt)
	r := mustGet(t, h, u)
	if b := body(t, r); b != string(want) || r.Header.Get("Content-Length") != itoa(len(want)) {
		t.Fatalf("GET: %d bytes (Content-Length %s), want %d", len(b), r.Header.Get("Content-Length"), len(want))
	}
	if et := r.Header.Get("ETag"); et != segmentETag(rt.hdr.Hash, tt, int64(len(want))) {
		t.Errorf("ETag %s: not the one of the track file copy", et)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 40 {
		a := rng.IntN(len(want))
		b := a + rng.IntN(len(want)-a)
		r := get(t, h, u, "Range", fmt.Sprintf("bytes=%d-%d", a, b))
		if got := body(t, r); r.StatusCode != http.StatusPartialContent || got != string(want[a:b+1]) {
			t.Errorf("bytes=%d-%d: %d, %d bytes differ from the track file's", a, b, r.StatusCode, len(got))
		}
	}
}

// TestStagedSegmentStreams: twelve slow readers of a 32 MB staged segment
// (four fragments of 8 MB) get PrepareSegment's bytes, and while all of
// them are in the middle of the body the heap in use has grown by less
// than a megabyte per reader: the segment is streamed, not loaded (before,
// every reader held the object and its normalized copy).
func TestStagedSegmentStreams(t *testing.T) {
	if testing.Short() {
		t.Skip("moves 400 MB")
	}
	const readers, fragments = 12, 4
	s := newSynthTiming(t, "file://"+t.TempDir(), stsTiming)
	big := trackfiletest.Track{ID: 1, Timescale: 48000, SampleDur: 960, SamplesPerSegment: 100, SampleSize: 320_000}
	rt := s.newRealTrack("big", big)
	n := s.n(10)
	tt := s.grid.SegmentStart(n, 48000)
	var wantSum [32]byte
	var wantLen int
	func() { // the segment and its normalized form are garbage after this
		raw := s.fragmentedSegment(rt, tt, fragments)
		s.stageRaw(rt, tt, big.SegmentTicks(), raw)
		want, _, err := trackfile.PrepareSegment(raw, rt.hdr, n, s.sts.TicksSigned(48000))
		if err != nil {
			t.Fatal(err)
		}
		wantSum, wantLen = sha256.Sum256(want), len(want)
	}()
	srv := httptest.NewServer(s.server(at(30)).Handler())
	defer srv.Close()
	u := srv.URL + "/catchup/ch1/" + segmentPath("big", rt.hdr.Hash, 48000, tt)
	read := func(resp *http.Response, h io.Writer, n int64) error {
		buf := make([]byte, 32<<10)
		_, err := io.CopyBuffer(h, io.LimitReader(resp.Body, n), buf)
		return err
	}
	resp, err := http.Get(u) // computes and caches the layout
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.New()
	if err := read(resp, sum, 1<<40); err != nil || !bytes.Equal(sum.Sum(nil), wantSum[:]) {
		t.Fatalf("first GET: %v, or not PrepareSegment's bytes", err)
	}
	resp.Body.Close()

	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base := ms.HeapInuse
	var mid, done sync.WaitGroup
	release := make(chan struct{})
	errs := make(chan error, readers)
	mid.Add(readers)
	done.Add(readers)
	for range readers {
		go func() {
			defer done.Done()
			resp, err := http.Get(u)
			if err != nil {
				mid.Done()
				errs <- err
				return
			}
			defer resp.Body.Close()
			sum := sha256.New()
			err = read(resp, sum, 4<<20)
			mid.Done()
			<-release
			if err == nil {
				err = read(resp, sum, 1<<40)
			}
			if err == nil && (!bytes.Equal(sum.Sum(nil), wantSum[:]) || resp.ContentLength != int64(wantLen)) {
				err = fmt.Errorf("%d bytes, not PrepareSegment's %d", resp.ContentLength, wantLen)
			}
			errs <- err
		}()
	}
	mid.Wait() // every reader is 4 MB into the body, the server blocked writing the rest
	runtime.GC()
	runtime.ReadMemStats(&ms)
	grown := int64(ms.HeapInuse) - int64(base)
	close(release)
	done.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	t.Logf("heap in use with %d readers in the middle of a %d MB staged segment: %+.1f MB", readers, wantLen>>20, float64(grown)/(1<<20))
	if grown > readers<<20 {
		t.Errorf("heap in use grew by %.1f MB with %d readers of a %d MB segment: the segment is not streamed",
			float64(grown)/(1<<20), readers, wantLen>>20)
	}
}
