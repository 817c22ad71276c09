package playertest

import "testing"

// TestStarved: only a failed run that stalled or dropped most of its
// frames counts as starved; a wrong start with frames to spare does not.
func TestStarved(t *testing.T) {
	for _, c := range []struct {
		name string
		r    Result
		want bool
	}{
		{"stalled", Result{Reason: "stalled: no progress for 10 s", FramesDecoded: 158, FramesDropped: 10}, true},
		{"most frames dropped", Result{Reason: "expect-start: -1.299 s", FramesDecoded: 1557, FramesDropped: 1318}, true},
		{"wrong start, decoder kept up", Result{Reason: "expect-start: -1.299 s", FramesDecoded: 1557, FramesDropped: 40}, false},
		{"played", Result{OK: true, FramesDecoded: 100, FramesDropped: 90}, false},
	} {
		if got := c.r.Starved(); got != c.want {
			t.Errorf("%s: Starved() = %v, want %v", c.name, got, c.want)
		}
	}
}
