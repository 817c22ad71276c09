package trackfile

import (
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"time"
)

// Rational is a positive rational number of seconds, used for the segment
// duration D, which REaP clause 5.3 allows to be rational for fractional
// frame rates (for example 96/48 s or 2002/1000 s).
type Rational struct {
	Num int64 `json:"num"`
	Den int64 `json:"den"`
}

// ParseRational parses "2", "2s", "1.92", "2002/1000" or a Go duration
// such as "2s" or "1920ms" into a Rational number of seconds.
func ParseRational(s string) (Rational, error) {
	s = strings.TrimSpace(s)
	if num, den, ok := strings.Cut(s, "/"); ok {
		n, err1 := strconv.ParseInt(num, 10, 64)
		d, err2 := strconv.ParseInt(den, 10, 64)
		if err1 != nil || err2 != nil || n <= 0 || d <= 0 {
			return Rational{}, fmt.Errorf("bad rational %q", s)
		}
		return Rational{n, d}.Reduce(), nil
	}
	if r, ok := new(big.Rat).SetString(strings.TrimSuffix(s, "s")); ok && r.Sign() > 0 {
		if !r.Num().IsInt64() || !r.Denom().IsInt64() {
			return Rational{}, fmt.Errorf("rational %q out of range", s)
		}
		return Rational{r.Num().Int64(), r.Denom().Int64()}, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return Rational{}, fmt.Errorf("bad duration %q", s)
	}
	return Rational{int64(d), int64(time.Second)}.Reduce(), nil
}

// RationalFromTicks returns ticks/timescale seconds.
func RationalFromTicks(ticks uint64, timescale uint32) Rational {
	return Rational{int64(ticks), int64(timescale)}.Reduce()
}

// IsZero reports whether r is unset.
func (r Rational) IsZero() bool { return r.Num == 0 || r.Den == 0 }

// Reduce returns r in lowest terms.
func (r Rational) Reduce() Rational {
	if r.IsZero() {
		return r
	}
	a, b := r.Num, r.Den
	for b != 0 {
		a, b = b, a%b
	}
	return Rational{r.Num / a, r.Den / a}
}

// Seconds returns r as a float (for display only, never for identity).
func (r Rational) Seconds() float64 {
	if r.IsZero() {
		return 0
	}
	return float64(r.Num) / float64(r.Den)
}

// Duration returns r as a time.Duration, rounded to the nanosecond.
func (r Rational) Duration() time.Duration {
	if r.IsZero() {
		return 0
	}
	return time.Duration(new(big.Int).Quo(new(big.Int).Mul(big.NewInt(r.Num), big.NewInt(int64(time.Second))), big.NewInt(r.Den)).Int64())
}

// String returns "num/den" or "num" when den is 1.
func (r Rational) String() string {
	if r.Den == 1 {
		return strconv.FormatInt(r.Num, 10)
	}
	return fmt.Sprintf("%d/%d", r.Num, r.Den)
}

// Ticks returns r·timescale rounded to the nearest tick.
func (r Rational) Ticks(timescale uint32) uint64 {
	p := new(big.Int).Mul(big.NewInt(r.Num), big.NewInt(int64(timescale)))
	return roundDiv(p, big.NewInt(r.Den)).Uint64()
}

// TicksSigned returns r·timescale rounded to the nearest tick, for
// rationals that may be negative (an STS).
func (r Rational) TicksSigned(timescale uint32) int64 {
	if r.IsZero() {
		return 0
	}
	p := new(big.Int).Mul(big.NewInt(r.Num), big.NewInt(int64(timescale)))
	return roundDiv(p, big.NewInt(r.Den)).Int64()
}

// Grid is the segment grid of a channel: grid slot n starts at
// Phase + n·D seconds after the Unix epoch (REaP clause 6.2 a has Phase 0
// and K = n+1), and storage period k holds slots [k·N, (k+1)·N).
//
// Slots name and order things (storage periods, parts, K in findings);
// they are not a segment's identity, which is its start time (design
// section 2): a split segment, a short first segment or alternating
// durations put two segments in one slot or leave a slot empty.
type Grid struct {
	D     Rational // segment duration
	N     int64    // slots per storage period
	Phase Rational // seconds in [0, D): where slot 0 starts; zero on the REaP grid
}

// ErrNoGrid is returned when the segment duration is not known yet.
var ErrNoGrid = errors.New("trackfile: segment duration unknown")

// rat returns r as a big.Rat (zero for an unset r).
func (r Rational) rat() *big.Rat {
	if r.IsZero() {
		return new(big.Rat)
	}
	return big.NewRat(r.Num, r.Den)
}

// SegmentIndex returns the slot n nearest to a start time t on the epoch
// timeline in the given timescale: round((t/timescale − Phase) / D).
// Rounding absorbs audio segments whose boundaries are a fraction of a
// frame off the grid.
func (g Grid) SegmentIndex(t uint64, timescale uint32) int64 {
	return NewSlotter(g, timescale).Slot(t)
}

// segmentIndexRat is SegmentIndex in big.Rat arithmetic: the reference,
// and the fallback when a factor does not fit in 64 bits.
func (g Grid) segmentIndexRat(t uint64, timescale uint32) int64 {
	x := new(big.Rat).SetFrac(new(big.Int).SetUint64(t), big.NewInt(int64(timescale)))
	x.Sub(x, g.Phase.rat())
	x.Quo(x, g.D.rat())
	return roundDiv(x.Num(), x.Denom()).Int64()
}

// SegmentStart returns the start time of slot n in the timescale, rounded
// to the nearest tick (0 for a slot before the epoch).
func (g Grid) SegmentStart(n int64, timescale uint32) uint64 {
	x := new(big.Rat).Mul(big.NewRat(n, 1), g.D.rat())
	x.Add(x, g.Phase.rat())
	x.Mul(x, big.NewRat(int64(timescale), 1))
	if x.Sign() < 0 {
		return 0
	}
	return roundDiv(x.Num(), x.Denom()).Uint64()
}

// SegmentTime returns the wall-clock start of slot n.
func (g Grid) SegmentTime(n int64) time.Time {
	x := new(big.Rat).Mul(big.NewRat(n, 1), g.D.rat())
	x.Add(x, g.Phase.rat())
	x.Mul(x, big.NewRat(int64(time.Second), 1))
	return time.Unix(0, roundDiv(x.Num(), x.Denom()).Int64()).UTC()
}

// SegmentAt returns the slot that contains wall-clock t.
func (g Grid) SegmentAt(t time.Time) int64 {
	x := new(big.Rat).SetFrac(big.NewInt(t.UnixNano()), big.NewInt(int64(time.Second)))
	x.Sub(x, g.Phase.rat())
	x.Quo(x, g.D.rat())
	q, _ := new(big.Int).DivMod(x.Num(), x.Denom(), new(big.Int))
	return q.Int64()
}

// PhaseOf returns the phase of a start time t on a grid of duration d:
// t/timescale mod d, in [0, d).
func PhaseOf(t uint64, timescale uint32, d Rational) Rational {
	x := new(big.Rat).SetFrac(new(big.Int).SetUint64(t), big.NewInt(int64(timescale)))
	dr := d.rat()
	q := new(big.Rat).Quo(x, dr)
	fl, _ := new(big.Int).DivMod(q.Num(), q.Denom(), new(big.Int))
	x.Sub(x, new(big.Rat).Mul(new(big.Rat).SetInt(fl), dr))
	if x.Sign() == 0 || !x.Num().IsInt64() || !x.Denom().IsInt64() {
		return Rational{}
	}
	return Rational{x.Num().Int64(), x.Denom().Int64()}
}

// Period returns the storage period index k = floor(n / N).
func (g Grid) Period(n int64) int64 {
	if n >= 0 {
		return n / g.N
	}
	return -((-n + g.N - 1) / g.N)
}

// PeriodFirst returns the first segment index of period k.
func (g Grid) PeriodFirst(k int64) int64 { return k * g.N }

// DefaultPeriodSegments returns N for the default storage period of the
// design (section 2): one hour when 3600/D is an integer, else the smallest
// whole number of hours that D divides, else 1800.
func DefaultPeriodSegments(d Rational) int64 {
	if d.IsZero() {
		return 1800
	}
	for h := int64(1); h <= 24; h++ {
		// N = h·3600 / D = h·3600·Den / Num
		x := h * 3600 * d.Den
		if x%d.Num == 0 {
			return x / d.Num
		}
	}
	return 1800
}

// PeriodSegments returns N for a storage period S given as a duration; S
// must be a whole multiple of D.
func PeriodSegments(s time.Duration, d Rational) (int64, error) {
	// N = S / D = S_ns·Den / (Num·1e9)
	num := new(big.Int).Mul(big.NewInt(int64(s)), big.NewInt(d.Den))
	den := new(big.Int).Mul(big.NewInt(d.Num), big.NewInt(int64(time.Second)))
	q, m := new(big.Int).DivMod(num, den, new(big.Int))
	if m.Sign() != 0 || q.Sign() <= 0 {
		return 0, fmt.Errorf("storage period %s is not a whole multiple of segment duration %s s", s, d)
	}
	return q.Int64(), nil
}

func roundDiv(a, b *big.Int) *big.Int {
	// floor((2a + b) / 2b) for positive b
	two := big.NewInt(2)
	n := new(big.Int).Add(new(big.Int).Mul(a, two), b)
	d := new(big.Int).Mul(b, two)
	q, _ := new(big.Int).DivMod(n, d, new(big.Int))
	return q
}
