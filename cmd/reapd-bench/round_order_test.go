package main

import (
	"slices"
	"testing"
)

// TestRoundOrder: the sink goes first in rounds 0, 2, … and second in
// rounds 1, 3, …; without the sink, reapd runs alone.
func TestRoundOrder(t *testing.T) {
	for _, c := range []struct {
		round    int
		withSink bool
		want     []string
	}{
		{0, true, []string{"sink", "reapd"}},
		{1, true, []string{"reapd", "sink"}},
		{2, true, []string{"sink", "reapd"}},
		{1, false, []string{"reapd"}},
	} {
		if got := roundOrder(c.round, c.withSink, "sink", "reapd"); !slices.Equal(got, c.want) {
			t.Errorf("round %d, sink %v: %v, want %v", c.round, c.withSink, got, c.want)
		}
	}
}
