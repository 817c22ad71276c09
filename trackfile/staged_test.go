package trackfile

import (
	"slices"
	"testing"
	"time"
)

func TestGridPhase(t *testing.T) {
	// ffmpeg started on an odd second with D = 2 s: slots start at odd seconds.
	g := Grid{D: Rational{2, 1}, N: 1800, Phase: Rational{1, 1}}
	const ts = 90000
	if got := g.SegmentStart(epoch/2, ts); got != (epoch+1)*ts {
		t.Fatalf("SegmentStart = %d, want %d", got, (epoch+1)*ts)
	}
	// Video at the slot start and audio 21 ms (about one AAC frame) before it land in one slot.
	v, a := uint64(epoch+1)*ts, uint64(epoch+1)*ts-1890
	if nv, na := g.SegmentIndex(v, ts), g.SegmentIndex(a, ts); nv != epoch/2 || na != nv {
		t.Errorf("slots video %d audio %d, want %d", nv, na, epoch/2)
	}
	// Without the phase the same times sit half a slot off and round apart.
	g0 := Grid{D: g.D, N: g.N}
	if g0.SegmentIndex(v, ts) == g0.SegmentIndex(a, ts) {
		t.Error("phase-free grid puts both in one slot: the test does not test the phase")
	}
	if got := g.SegmentTime(epoch / 2); !got.Equal(time.Unix(epoch+1, 0)) {
		t.Errorf("SegmentTime = %v", got)
	}
	if n := g.SegmentAt(time.Unix(epoch+1, 0)); n != epoch/2 {
		t.Errorf("SegmentAt(slot start) = %d", n)
	}
	if n := g.SegmentAt(time.Unix(epoch, 999999999)); n != epoch/2-1 {
		t.Errorf("SegmentAt(just before) = %d", n)
	}
	for _, c := range []struct {
		t    uint64
		ts   uint32
		d    Rational
		want Rational
	}{
		{(epoch + 1) * ts, ts, Rational{2, 1}, Rational{1, 1}},
		{epoch * ts, ts, Rational{2, 1}, Rational{}},
		{epoch*48000 + 24000, 48000, Rational{48, 25}, PhaseOf(epoch*48000, 48000, Rational{48, 25}).add(Rational{1, 2}, Rational{48, 25})},
	} {
		if got := PhaseOf(c.t, c.ts, c.d); got != c.want {
			t.Errorf("PhaseOf(%d/%d, %v) = %v, want %v", c.t, c.ts, c.d, got, c.want)
		}
	}
}

// add returns r + s modulo m (for the test's expectations).
func (r Rational) add(s, m Rational) Rational {
	x := r.rat()
	x.Add(x, s.rat())
	if x.Cmp(m.rat()) >= 0 {
		x.Sub(x, m.rat())
	}
	return Rational{x.Num().Int64(), x.Denom().Int64()}
}

func TestStagedTrack(t *testing.T) {
	p := StagedPrefix("ch", "v")
	keys := []string{
		p + "200-100.slat.cmfv", // slate copy: loses to the real one
		p + "200-100.cmfv",
		p + "100-2.cmfv",   // crash-cut fragment: loses to the whole segment
		p + "100-100.cmfv", // the whole segment
		p + "300-100.miss.cmfv",
		p + "400-40.cmfv", // a split segment: two in one slot
		p + "440-60.cmfv",
		p + "100.aaaaaaaaaaaa.hdr",
		p + "440.bbbbbbbbbbbb.hdr",
		p + ".tmp123", p + "junk.cmfv",
	}
	st := ParseStagedTrack(keys)
	if len(st.Keys) != 9 || len(st.Copies) != 7 || len(st.Marks) != 2 {
		t.Fatalf("keys %d copies %d marks %d", len(st.Keys), len(st.Copies), len(st.Marks))
	}
	got := st.Segments("")
	want := []StagedSegment{
		{T: 100, D: 100, Key: p + "100-100.cmfv", Ext: "cmfv", Header: "aaaaaaaaaaaa"},
		{T: 200, D: 100, Key: p + "200-100.cmfv", Ext: "cmfv", Header: "aaaaaaaaaaaa"},
		{T: 300, D: 100, Key: p + "300-100.miss.cmfv", Ext: "cmfv", Miss: true, Header: "aaaaaaaaaaaa"},
		{T: 400, D: 40, Key: p + "400-40.cmfv", Ext: "cmfv", Header: "aaaaaaaaaaaa"},
		{T: 440, D: 60, Key: p + "440-60.cmfv", Ext: "cmfv", Header: "bbbbbbbbbbbb"},
	}
	if !slices.Equal(got, want) {
		t.Errorf("Segments:\n got %+v\nwant %+v", got, want)
	}
	// Listing order does not matter: the same copies win.
	slices.Reverse(keys)
	if again := ParseStagedTrack(keys).Segments(""); !slices.Equal(again, want) {
		t.Errorf("Segments of the reversed listing differ: %+v", again)
	}
	// The header before the first marker comes from the previous run.
	if h := st.HeaderAt(50, "cccccccccccc"); h != "cccccccccccc" {
		t.Errorf("HeaderAt before markers = %q", h)
	}
	if h := st.HeaderAt(50, ""); h != "aaaaaaaaaaaa" {
		t.Errorf("HeaderAt before markers, no previous = %q", h)
	}
	if h := HeaderHash("ch/v/init-0123456789ab.cmfv"); h != "0123456789ab" {
		t.Errorf("HeaderHash = %q", h)
	}
}
