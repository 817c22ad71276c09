package trackfile

import (
	"math/rand/v2"
	"testing"
)

// TestSlotterMatchesGrid: the integer slot computation gives the
// big.Rat one for every grid, phase and timescale, also
// exactly at the half-slot ties and before the first slot.
func TestSlotterMatchesGrid(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	grids := []Grid{
		{D: Rational{Num: 2, Den: 1}, N: 30},
		{D: Rational{Num: 48, Den: 25}, N: 1875},
		{D: Rational{Num: 2002, Den: 1000}, N: 1800, Phase: Rational{Num: 1, Den: 3}},
		{D: Rational{Num: 4, Den: 1}, N: 15, Phase: Rational{Num: 1, Den: 1}},
		{D: Rational{Num: 96, Den: 25}, N: 1875, Phase: Rational{Num: 5417, Den: 48000}},
		{D: Rational{Num: 2, Den: 1}, N: 30, Phase: Rational{Num: 1<<62 - 1, Den: 1 << 62}}, // the general path
	}
	for _, g := range grids {
		for _, ts := range []uint32{1000, 12800, 48000, 90000, 10_000_000, 4294967291} {
			s := NewSlotter(g, ts)
			check := func(tt uint64) {
				t.Helper()
				if got, want := s.Slot(tt), g.segmentIndexRat(tt, ts); got != want {
					t.Fatalf("grid %+v ts %d t %d: slot %d, SegmentIndex %d", g, ts, tt, got, want)
				}
			}
			for range 300 {
				n := rng.Int64N(1 << 31)
				start := g.SegmentStart(n, ts)
				half := g.D.Ticks(ts) / 2
				for _, tt := range []uint64{start, start + half, start + half - 1, start + half + 1, start - min(start, half),
					rng.Uint64N(1 << 50), rng.Uint64N(1000)} {
					check(tt)
				}
			}
			check(0)
			check(^uint64(0))
		}
	}
}

func BenchmarkSlotter(b *testing.B) {
	g := Grid{D: Rational{Num: 48, Den: 25}, N: 1875, Phase: Rational{Num: 1, Den: 3}}
	s := NewSlotter(g, 90000)
	t := uint64(1767225600) * 90000
	b.Run("slotter", func(b *testing.B) {
		for b.Loop() {
			s.Slot(t)
		}
	})
	b.Run("big.Rat", func(b *testing.B) {
		for b.Loop() {
			g.segmentIndexRat(t, 90000)
		}
	})
}
