package trackfile

import (
	"testing"
	"time"
)

func TestParseRational(t *testing.T) {
	for in, want := range map[string]Rational{
		"2": {2, 1}, "2s": {2, 1}, "1.92": {48, 25}, "2002/1000": {1001, 500}, "96/48": {2, 1},
		"1920ms": {48, 25}, " 3.2 ": {16, 5},
	} {
		got, err := ParseRational(in)
		if err != nil || got != want {
			t.Errorf("ParseRational(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "0", "-2", "2/0", "0/5", "x", "1/-3", "-1s"} {
		if r, err := ParseRational(in); err == nil {
			t.Errorf("ParseRational(%q) = %v, want an error", in, r)
		}
	}
}

func TestGrid(t *testing.T) {
	g := Grid{D: Rational{2, 1}, N: 1800}
	const ts = 48000
	start := g.SegmentStart(epoch/2, ts)
	if start != epoch*ts {
		t.Fatalf("SegmentStart = %d", start)
	}
	// Audio boundaries a fraction of a frame (or a few frames) off the
	// grid round to the nearest segment.
	for _, c := range []struct {
		t    uint64
		want int64
	}{{start, epoch / 2}, {start - 1024, epoch / 2}, {start + 92160, epoch/2 + 1}, {start + 47999, epoch / 2}, {start + 48000, epoch/2 + 1}} {
		if n := g.SegmentIndex(c.t, ts); n != c.want {
			t.Errorf("SegmentIndex(%d) = %d, want %d", c.t, n, c.want)
		}
	}
	if k := g.Period(epoch / 2); k != epoch/2/1800 {
		t.Errorf("Period = %d", k)
	}
	if k := g.Period(-1); k != -1 {
		t.Errorf("Period(-1) = %d", k)
	}
	if got := g.SegmentTime(epoch / 2); !got.Equal(time.Unix(epoch, 0)) {
		t.Errorf("SegmentTime = %v", got)
	}
	if n := g.SegmentAt(time.Unix(epoch+3, 0)); n != epoch/2+1 {
		t.Errorf("SegmentAt = %d", n)
	}
	// A fractional D: 2002/1000 s at 90 kHz is 180180 ticks.
	f := Grid{D: Rational{1001, 500}, N: 1}
	if d := f.SegmentStart(1, 90000) - f.SegmentStart(0, 90000); d != 180180 {
		t.Errorf("fractional D: %d ticks", d)
	}
	if tk := (Rational{1001, 500}).Ticks(90000); tk != 180180 {
		t.Errorf("Ticks = %d", tk)
	}
}

func TestDefaultPeriodSegments(t *testing.T) {
	for _, c := range []struct {
		d    Rational
		want int64
	}{{Rational{2, 1}, 1800}, {Rational{48, 25}, 1875}, {Rational{1001, 500}, 0}, {Rational{7, 1}, 3600}, {Rational{}, 1800}} {
		got := DefaultPeriodSegments(c.d)
		if c.want == 0 {
			c.want = 1800 // 2.002 s divides no whole number of hours up to a day
		}
		if got != c.want {
			t.Errorf("DefaultPeriodSegments(%v) = %d, want %d", c.d, got, c.want)
		}
	}
	if n, err := PeriodSegments(time.Hour, Rational{2, 1}); err != nil || n != 1800 {
		t.Errorf("PeriodSegments = %d, %v", n, err)
	}
	if _, err := PeriodSegments(time.Hour, Rational{7, 1}); err == nil {
		t.Error("1 h is not a multiple of 7 s")
	}
}
