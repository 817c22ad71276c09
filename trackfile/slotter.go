package trackfile

import (
	"math"
	"math/bits"
)

// slotter returns the grid slot of start times in one timescale: the same
// value as Grid.SegmentIndex, computed with 128-bit integer
// arithmetic instead of big.Rat (a 24-hour window has 130 000 segments,
// each placed in its slot).
//
// With D = a/b and Phase = p/q seconds, SegmentIndex(t) is
// round((t/ts − p/q) / (a/b)) rounding half up, which is
// floor((m·t + k) / z) with m = 2qb, k = ts·(qa − 2pb) and z = 2·ts·qa.
type Slotter struct {
	g       Grid
	ts      uint32
	m, z    uint64
	k       uint64 // |k|
	kNeg    bool
	general bool // some factor does not fit in 64 bits: use big.Rat
}

// NewSlotter returns the Slotter of grid g in timescale ts.
func NewSlotter(g Grid, ts uint32) *Slotter {
	s := &Slotter{g: g, ts: ts}
	a, b := g.D.Num, g.D.Den
	p, q := g.Phase.Num, g.Phase.Den
	if g.Phase.IsZero() {
		p, q = 0, 1
	}
	if a <= 0 || b <= 0 || p < 0 || q <= 0 || ts == 0 {
		s.general = true
		return s
	}
	mul := func(x, y uint64) uint64 {
		hi, lo := bits.Mul64(x, y)
		if hi != 0 || lo > math.MaxInt64 {
			s.general = true
		}
		return lo
	}
	qa := mul(uint64(q), uint64(a))
	pb2 := mul(mul(uint64(p), uint64(b)), 2)
	s.m = mul(2*uint64(q), uint64(b))
	s.z = mul(2*uint64(ts), qa)
	if qa >= pb2 {
		s.k = mul(uint64(ts), qa-pb2)
	} else {
		s.k, s.kNeg = mul(uint64(ts), pb2-qa), true
	}
	return s
}

// Slot returns the slot of start time t (in the Slotter's timescale).
func (s *Slotter) Slot(t uint64) int64 {
	if !s.general {
		hi, lo := bits.Mul64(s.m, t)
		var c uint64
		if s.kNeg {
			lo, c = bits.Sub64(lo, s.k, 0)
			hi, c = bits.Sub64(hi, 0, c)
		} else {
			lo, c = bits.Add64(lo, s.k, 0)
			hi, c = bits.Add64(hi, 0, c)
		}
		if c == 0 && hi < s.z { // no overflow or negative value; the quotient fits in 64 bits
			if q, _ := bits.Div64(hi, lo, s.z); q <= math.MaxInt64 {
				return int64(q)
			}
		}
	}
	return s.g.segmentIndexRat(t, s.ts)
}
