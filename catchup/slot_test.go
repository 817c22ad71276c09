package catchup

import (
	"math/rand/v2"
	"testing"

	"github.com/reapd/reapd/trackfile"
)

// TestSlotterMatchesGrid: the integer slot computation gives
// trackfile.Grid.SegmentIndex for every grid, phase and timescale, also
// exactly at the half-slot ties and before the first slot.
func TestSlotterMatchesGrid(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	grids := []trackfile.Grid{
		{D: trackfile.Rational{Num: 2, Den: 1}, N: 30},
		{D: trackfile.Rational{Num: 48, Den: 25}, N: 1875},
		{D: trackfile.Rational{Num: 2002, Den: 1000}, N: 1800, Phase: trackfile.Rational{Num: 1, Den: 3}},
		{D: trackfile.Rational{Num: 4, Den: 1}, N: 15, Phase: trackfile.Rational{Num: 1, Den: 1}},
		{D: trackfile.Rational{Num: 96, Den: 25}, N: 1875, Phase: trackfile.Rational{Num: 5417, Den: 48000}},
		{D: trackfile.Rational{Num: 2, Den: 1}, N: 30, Phase: trackfile.Rational{Num: 1<<62 - 1, Den: 1 << 62}}, // the general path
	}
	for _, g := range grids {
		for _, ts := range []uint32{1000, 12800, 48000, 90000, 10_000_000, 4294967291} {
			s := newSlotter(g, ts)
			check := func(tt uint64) {
				t.Helper()
				if got, want := s.slot(tt), g.SegmentIndex(tt, ts); got != want {
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
	g := trackfile.Grid{D: trackfile.Rational{Num: 48, Den: 25}, N: 1875, Phase: trackfile.Rational{Num: 1, Den: 3}}
	s := newSlotter(g, 90000)
	t := uint64(1767225600) * 90000
	b.Run("slotter", func(b *testing.B) {
		for b.Loop() {
			s.slot(t)
		}
	})
	b.Run("grid", func(b *testing.B) {
		for b.Loop() {
			g.SegmentIndex(t, 90000)
		}
	})
}
