package archive

import (
	"testing"

	"github.com/reapd/reapd/trackfile"
)

// TestGridEvidence feeds segment sequences of real encoders' shapes to the
// evidence and checks what it decides, and after how many segments.
func TestGridEvidence(t *testing.T) {
	const ts = 90000
	video := trackfile.TrackInfo{Handler: "vide", Timescale: ts}
	audio := trackfile.TrackInfo{Handler: "soun", Timescale: 48000}
	sec := func(s float64) uint64 { return uint64(s * ts) }
	base := uint64(1767225600) * ts // on the epoch grid for D = 2 s and 1.92 s
	type seg struct {
		d   uint64
		seq uint32
	}
	repeat := func(n int, d uint64) []seg {
		out := make([]seg, n)
		for i := range out {
			out[i] = seg{d: d}
		}
		return out
	}
	for _, c := range []struct {
		name      string
		start     uint64
		segs      []seg
		wantD     trackfile.Rational
		wantAfter int // segments fed when D is decided (0: never)
		wantPhase *trackfile.Rational
	}{
		{"REaP encoder, 2 s", base, repeat(6, sec(2)), trackfile.Rational{Num: 2, Den: 1}, 4, nil},
		{"short first segment then 1.92 s", base + sec(0.44), append([]seg{{d: sec(1.48)}}, repeat(5, sec(1.92))...),
			trackfile.Rational{Num: 48, Den: 25}, 4, nil},
		{"crash-cut 2-frame first fragment", base, append([]seg{{d: sec(0.08)}}, repeat(5, sec(2))...),
			trackfile.Rational{Num: 2, Den: 1}, 4, nil},
		{"hostile huge first segment", base, append([]seg{{d: sec(4004)}}, repeat(5, sec(2))...),
			trackfile.Rational{Num: 2, Den: 1}, 4, nil},
		{"alternating 8 s / 4 s", base, func() []seg {
			var s []seg
			for i := 0; i < 6; i++ {
				s = append(s, seg{d: sec(8)}, seg{d: sec(4)})
			}
			return s
		}(), trackfile.Rational{Num: 4, Den: 1}, 5, nil},
		{"one segment only", base, repeat(1, sec(2)), trackfile.Rational{}, 0, nil},
		{"REaP numbering (mfhd = K = n+1)", base, []seg{{d: sec(2), seq: uint32(1767225600/2 + 1)}, {d: sec(2), seq: uint32(1767225600/2 + 2)}},
			trackfile.Rational{Num: 2, Den: 1}, 2, &trackfile.Rational{}},
	} {
		t.Run(c.name, func(t *testing.T) {
			var e gridEvidence
			at, after := c.start, 0
			var got trackfile.Rational
			var phase *trackfile.Rational
			for i, s := range c.segs {
				d, p, _ := e.observe("v", video, segObs{t: at, d: s.d, seq: s.seq}, true)
				at += s.d
				if !d.IsZero() && got.IsZero() {
					got, phase, after = d, p, i+1
				}
			}
			if got != c.wantD || after != c.wantAfter {
				t.Errorf("D = %v after %d segments, want %v after %d", got, after, c.wantD, c.wantAfter)
			}
			if c.wantPhase != nil && (phase == nil || *phase != *c.wantPhase) {
				t.Errorf("phase %v, want %v", phase, *c.wantPhase)
			}
		})
	}
	t.Run("off-grid phase with audio priming", func(t *testing.T) {
		var e gridEvidence
		d := trackfile.Rational{Num: 2, Den: 1}
		v0 := base + sec(1) // ffmpeg started on an odd second
		for i := uint64(0); i < 3; i++ {
			e.observe("v", video, segObs{t: v0 + i*sec(2), d: sec(2)}, true)
			e.observe("a", audio, segObs{t: (v0+i*sec(2))*48000/ts - 1008, d: 96000, sample: 1024}, true)
		}
		p, _, ok := e.phaseFrom(d, true)
		if !ok || p != (trackfile.Rational{Num: 1, Den: 1}) {
			t.Errorf("phase %v %v, want 1 s", p, ok)
		}
		// Audio says nothing about D while the channel has video.
		var ea gridEvidence
		for i := uint64(0); i < 8; i++ {
			if got, _, _ := ea.observe("a", audio, segObs{t: i * 96000, d: 96000, sample: 1024}, true); !got.IsZero() {
				t.Fatalf("audio decided D = %v in a channel with video", got)
			}
		}
	})
}
