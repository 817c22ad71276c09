package clipmp4

import (
	"cmp"
	"math/bits"
	"time"
)

// instant is a time on the epoch timeline: t ticks of 1/ts s.
type instant struct {
	t  uint64
	ts uint32
}

// cmp compares a and b exactly (128-bit cross products).
func (a instant) cmp(b instant) int {
	ah, al := bits.Mul64(a.t, uint64(b.ts))
	bh, bl := bits.Mul64(b.t, uint64(a.ts))
	return cmp.Or(cmp.Compare(ah, bh), cmp.Compare(al, bl))
}

func (a instant) less(b instant) bool { return a.cmp(b) < 0 }

// time returns the instant as a time.Time (nanosecond precision, floor).
func (a instant) time() time.Time {
	sec, rem := a.t/uint64(a.ts), a.t%uint64(a.ts)
	return time.Unix(int64(sec), int64(rem*1e9/uint64(a.ts))).UTC()
}

// scale converts t ticks of timescale from to timescale to (floor).
func scale(t uint64, from, to uint32) uint64 {
	if from == to {
		return t
	}
	hi, lo := bits.Mul64(t, uint64(to))
	if hi >= uint64(from) {
		return 1<<64 - 1
	}
	q, _ := bits.Div64(hi, lo, uint64(from))
	return q
}

// ticksOf returns instant tm in ticks of timescale ts (floor; instants
// before the epoch are 0).
func ticksOf(tm time.Time, ts uint32) uint64 {
	if tm.Before(time.Unix(0, 0)) {
		return 0
	}
	sec, ns := uint64(tm.Unix()), uint64(tm.Nanosecond())
	return sec*uint64(ts) + scale(ns, 1e9, ts)
}
