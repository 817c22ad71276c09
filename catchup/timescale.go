package catchup

import (
	"math/bits"
)

// JavaScript players hold MPD times in float64, exact only below 2^53. A
// media time on the epoch timeline is about 1.8e9 s × timescale: at 90 kHz
// that is 1.6e14, fine; at 10 MHz it is 1.8e16, beyond 2^53, and a player
// would compute $Time$ URLs and offsets a few ticks off. maxMPDTimescale
// keeps every epoch time before 2100 (4.1e9 s) below 2^53 (9.0e15).
const maxMPDTimescale = 2_000_000

// mpdTimescale returns the timescale in which a track's times are written
// to manifests and segment URLs: the track's own when it is at most
// maxMPDTimescale, else the track timescale divided by its smallest
// divisor that brings it there (10 MHz → 2 MHz: exact for times that are
// multiples of 5), else 1 MHz (times rounded to the µs). It depends on the
// timescale alone, so that a segment has one URL in every manifest.
func mpdTimescale(ts uint32) uint32 {
	if ts <= maxMPDTimescale {
		return ts
	}
	t := uint64(ts)
	first := (t + maxMPDTimescale - 1) / maxMPDTimescale
	for k := first; k < first+4096; k++ {
		if t%k == 0 {
			return uint32(t / k)
		}
	}
	return 1_000_000
}

// scaleTicks converts t from timescale from to timescale to, rounding half
// up, without overflow (128-bit intermediate).
func scaleTicks(t uint64, from, to uint32) uint64 {
	if from == to {
		return t
	}
	hi, lo := bits.Mul64(t, uint64(to))
	var c uint64
	lo, c = bits.Add64(lo, uint64(from)/2, 0)
	hi += c
	if hi >= uint64(from) {
		return ^uint64(0) // out of range: cannot happen for 64-bit times and 32-bit timescales
	}
	q, _ := bits.Div64(hi, lo, uint64(from))
	return q
}

// ticksToMs converts ticks to ms, rounding half up.
func ticksToMs(t uint64, ts uint32) int64 { return int64(scaleTicks(t, ts, 1000)) }

// msToTicks converts ms (≥ 0) to ticks, rounding half up.
func msToTicks(ms int64, ts uint32) uint64 { return scaleTicks(uint64(max(ms, 0)), 1000, ts) }
