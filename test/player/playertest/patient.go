package playertest

import (
	"strings"
	"testing"
)

// patientRate is the playback rate of PlayPatiently's second try.
const patientRate = 4

// Starved reports whether a failed run bears the marks of a decoder that
// did not get the CPU (on two cores shared with a test suite, at 16x): it
// stalled, or it dropped more than half the frames it decoded.
func (r Result) Starved() bool {
	return !r.OK && (strings.HasPrefix(r.Reason, "stalled") || 2*r.FramesDropped > r.FramesDecoded)
}

// PlayPatiently is Play, with a second try at 4x when the first one failed
// starved at a higher rate (see [Result.Starved]); the first result is
// logged. A manifest a player cannot play, or starts at the wrong instant,
// fails at 4x too: a CI run saw shaka, 1318 of 1557 frames dropped, show
// its first frame 1.3 s before its start position, and 124 of 158 dropped
// stall, on manifests that played right in every other run.
func PlayPatiently(t testing.TB, player, manifestURL string, opts Options) Result {
	t.Helper()
	res := Play(t, player, manifestURL, opts)
	rate := opts.Rate
	if rate == 0 {
		rate = 16
	}
	if !res.Starved() || rate <= patientRate {
		return res
	}
	t.Logf("playertest: %s starved at %gx; again at %dx: %v", player, rate, patientRate, res)
	opts.Rate = patientRate
	return Play(t, player, manifestURL, opts)
}
