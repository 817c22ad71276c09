package archive

import (
	"cmp"
	"fmt"
	"maps"
	"math/big"
	"slices"

	"github.com/reapd/reapd/trackfile"
)

// Learning a channel's segment duration D and grid phase from the segments
// themselves (design section 2), for channels whose configuration and
// I-MPD do not give them. D only decides where a segment is filed and how
// it is described, never its identity, so a wrong guess cannot lose media;
// still, it is decided from evidence, never from one segment:
//   - REaP numbering: two segments of a track whose mfhd sequence numbers
//     say K = n+1 with the same D = t/(K−1) (phase 0);
//   - agreement: several contiguous segments of a track, after its first
//     one (which may be short: an encoder joining mid-grid), with the same
//     duration; video decides when the channel has video;
//   - a repeating pattern (alternating durations): the greatest common
//     divisor of enough contiguous segments' durations.
// The phase (where slot 0 starts) comes with REaP numbering, else from the
// start of two contiguous full segments that agree on it.

const (
	agreeVideo   = 3        // contiguous equal video segments that decide D
	agreeOther   = 5        // the same for audio and other tracks (rounded durations)
	patternAfter = 4        // contiguous segments after which a repeating pattern decides D
	minD         = 1.0 / 16 // seconds: shorter "segments" are fragments, not evidence
	maxD         = 60.0     // seconds: longer ones are not evidence either
	keepObs      = 2 * patternAfter
)

// segObs is one segment as evidence.
type segObs struct {
	t, d   uint64 // epoch timeline, track timescale
	seq    uint32 // mfhd sequence number of the first fragment
	sample uint64 // duration of its first sample (the rounding tolerance)
}

// trackEvidence is what one track's segments said so far, whatever the
// order they arrived in (redundant encoders and retries reorder them).
type trackEvidence struct {
	video bool
	ts    uint32
	first uint64   // the earliest start time seen: that segment is never evidence for D
	obs   []segObs // the latest segments by start time, at most keepObs, in time order
	run   []segObs // the latest contiguous chain of obs after the first segment
	reapD trackfile.Rational
	reapN int    // segments that agreed on reapD
	maxD  uint64 // the longest plausible segment seen (for fallback)
	anyD  uint64 // the longest segment seen, plausible or not
}

// gridEvidence collects evidence per track until D and the phase are known.
type gridEvidence struct {
	tracks map[string]*trackEvidence
}

// observe adds a segment and returns D when the evidence now decides it
// (with its phase when that is decided along, and where it came from).
func (e *gridEvidence) observe(track string, info trackfile.TrackInfo, o segObs, hasVideo bool) (d trackfile.Rational, phase *trackfile.Rational, from string) {
	if e.tracks == nil {
		e.tracks = map[string]*trackEvidence{}
	}
	te := e.tracks[track]
	if te == nil || te.ts != info.Timescale {
		te = &trackEvidence{video: info.Handler == "vide", ts: info.Timescale}
		e.tracks[track] = te
	}
	if o.d == 0 || te.ts == 0 {
		return
	}
	if plausible(trackfile.RationalFromTicks(o.d, te.ts)) {
		te.maxD = max(te.maxD, o.d)
	}
	te.anyD = max(te.anyD, o.d)
	te.add(o)
	if te.video || !hasVideo {
		if d, ok := te.reapNumbering(o); ok {
			zero := trackfile.Rational{}
			return d, &zero, fmt.Sprintf("REaP numbering (mfhd) of track %s", track)
		}
	}
	if !te.video && hasVideo {
		return // the channel has video: its durations are exact, audio's are rounded
	}
	if d, ok := te.agreement(); ok {
		return d, nil, fmt.Sprintf("%d contiguous segments of track %s", len(te.run), track)
	}
	if d, ok := te.pattern(); ok {
		return d, nil, fmt.Sprintf("the repeating durations of %d segments of track %s", len(te.run), track)
	}
	return
}

// add puts a segment among the observations in time order (a copy of one
// already there changes nothing) and recomputes the latest contiguous
// chain after the track's earliest segment.
func (te *trackEvidence) add(o segObs) {
	if len(te.obs) == 0 || o.t < te.first {
		te.first = o.t
	}
	i, found := slices.BinarySearchFunc(te.obs, o.t, func(x segObs, t uint64) int { return cmp.Compare(x.t, t) })
	if found {
		return
	}
	te.obs = slices.Insert(te.obs, i, o)
	if len(te.obs) > keepObs {
		te.obs = te.obs[1:]
	}
	// The longest contiguous chain (the latest of equal ones), leaving out
	// the earliest segment.
	te.run = te.run[:0]
	start := 0
	for k := 1; k <= len(te.obs); k++ {
		if k < len(te.obs) && te.obs[k-1].t+te.obs[k-1].d == te.obs[k].t {
			continue
		}
		chain := te.obs[start:k]
		if len(chain) > 0 && chain[0].t == te.first {
			chain = chain[1:]
		}
		if len(chain) >= len(te.run) {
			te.run = append(te.run[:0], chain...)
		}
		start = k
	}
}

// reapNumbering checks mfhd = K = n+1: D = t/(K−1), confirmed by a second
// segment that gives the same D.
func (te *trackEvidence) reapNumbering(o segObs) (trackfile.Rational, bool) {
	if o.seq < 2 {
		return trackfile.Rational{}, false
	}
	x := new(big.Rat).SetFrac(new(big.Int).SetUint64(o.t), big.NewInt(int64(te.ts)*int64(o.seq-1)))
	if !x.Num().IsInt64() || !x.Denom().IsInt64() {
		return trackfile.Rational{}, false
	}
	d := trackfile.Rational{Num: x.Num().Int64(), Den: x.Denom().Int64()}
	if !plausible(d) {
		te.reapN = 0
		return trackfile.Rational{}, false
	}
	if d == te.reapD {
		te.reapN++
	} else {
		te.reapD, te.reapN = d, 1
	}
	return d, te.reapN >= 2
}

// agreement returns D when need contiguous segments in a row have one
// duration: exact for video, within a sample (and rounded to 1/25 s, a
// whole number of video frames at 25 and 50 fps) for other tracks.
func (te *trackEvidence) agreement() (trackfile.Rational, bool) {
	need := agreeVideo
	if !te.video {
		need = agreeOther
	}
	for end := len(te.run); end >= need; end-- {
		win := te.run[end-need : end]
		same := true
		for _, o := range win[1:] {
			diff := absDiff(o.d, win[0].d)
			if te.video && diff != 0 || !te.video && diff > max(o.sample, win[0].sample) {
				same = false
				break
			}
		}
		if !same {
			continue
		}
		d := trackfile.RationalFromTicks(win[0].d, te.ts)
		if !te.video {
			d = roundToFrames(d)
		}
		return d, plausible(d)
	}
	return trackfile.Rational{}, false
}

// pattern returns D for durations that alternate (8 s and 4 s segments,
// as some SegmentTimeline content has): at least patternAfter contiguous
// video segments with d[i] = d[i+2], D their greatest common divisor when
// it is plausible and every duration is a small multiple of it. A split
// segment (2, 2, 0.8, 1.2, 2 s) does not alternate and is no pattern.
func (te *trackEvidence) pattern() (trackfile.Rational, bool) {
	if len(te.run) < patternAfter || !te.video {
		return trackfile.Rational{}, false
	}
	win := te.run[len(te.run)-patternAfter:]
	var g uint64
	for i, o := range win {
		if i+2 < len(win) && win[i+2].d != o.d {
			return trackfile.Rational{}, false
		}
		g = gcd(g, o.d)
	}
	d := trackfile.RationalFromTicks(g, te.ts)
	if !plausible(d) {
		return trackfile.Rational{}, false
	}
	for _, o := range win {
		if o.d/g > 8 {
			return trackfile.Rational{}, false
		}
	}
	return d, true
}

// phaseFrom returns the grid phase that the newest two contiguous segments
// of a track agree on for D, if they are full segments.
func (e *gridEvidence) phaseFrom(d trackfile.Rational, hasVideo bool) (trackfile.Rational, string, bool) {
	for _, name := range slices.Sorted(maps.Keys(e.tracks)) { // the same decision whatever the map order
		te := e.tracks[name]
		if len(te.run) < 2 || (hasVideo && !te.video) {
			continue
		}
		a, b := te.run[len(te.run)-2], te.run[len(te.run)-1]
		want := d.Ticks(te.ts)
		tol := max(a.sample, b.sample)
		if te.video {
			tol = 0
		}
		if absDiff(a.d, want) > tol || absDiff(b.d, want) > tol {
			continue
		}
		pa, pb := trackfile.PhaseOf(a.t, te.ts, d), trackfile.PhaseOf(b.t, te.ts, d)
		if te.video && pa != pb {
			continue
		}
		if !te.video {
			pa = roundToFrames(pa) // audio starts a fraction of a frame off the video's
			if pa.Seconds() >= d.Seconds() {
				pa = trackfile.Rational{}
			}
		}
		return pa, "two full segments of track " + name, true
	}
	return trackfile.Rational{}, "", false
}

func plausible(d trackfile.Rational) bool {
	s := d.Seconds()
	return !d.IsZero() && s >= minD && s <= maxD
}

// roundToFrames rounds seconds to a whole number of 1/25 s.
func roundToFrames(r trackfile.Rational) trackfile.Rational {
	if r.IsZero() {
		return trackfile.Rational{}
	}
	q := new(big.Rat).SetFrac64(r.Num*25, r.Den)
	f, _ := q.Float64()
	units := int64(f + 0.5)
	if units < 1 {
		return trackfile.Rational{}
	}
	return trackfile.Rational{Num: units, Den: 25}.Reduce()
}

func gcd(a, b uint64) uint64 {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

func absDiff(a, b uint64) uint64 {
	if a > b {
		return a - b
	}
	return b - a
}

// fallback returns a D from weak evidence, for a channel whose segments
// never agreed (too few of them): the longest plausible segment seen,
// from video when the channel has video.
func (e *gridEvidence) fallback(hasVideo bool) (trackfile.Rational, string, bool) {
	for _, name := range slices.Sorted(maps.Keys(e.tracks)) { // evidence a rescan found (no segment decided since)
		if te := e.tracks[name]; te.video || !hasVideo {
			if d, ok := te.agreement(); ok {
				return d, fmt.Sprintf("%d contiguous staged segments of track %s", len(te.run), name), true
			}
			if d, ok := te.pattern(); ok {
				return d, fmt.Sprintf("the alternating durations of %d staged segments of track %s", len(te.run), name), true
			}
		}
	}
	var best trackfile.Rational
	from := ""
	for _, name := range slices.Sorted(maps.Keys(e.tracks)) {
		te := e.tracks[name]
		if te.maxD == 0 || hasVideo && !te.video {
			continue
		}
		d := trackfile.RationalFromTicks(te.maxD, te.ts)
		if !te.video {
			d = roundToFrames(d)
		}
		if best.IsZero() || d.Seconds() > best.Seconds() || d.Seconds() == best.Seconds() && name < from {
			best, from = d, name
		}
	}
	if best.IsZero() { // only implausible segments: the nearest plausible D
		for _, name := range slices.Sorted(maps.Keys(e.tracks)) {
			if te := e.tracks[name]; te.anyD > 0 {
				d := trackfile.RationalFromTicks(te.anyD, te.ts)
				if d.Seconds() > maxD {
					d = trackfile.Rational{Num: maxD, Den: 1}
				} else if d.Seconds() < minD {
					d = trackfile.Rational{Num: 1, Den: 16}
				}
				return d, "the nearest plausible duration to the segments of track " + name, true
			}
		}
	}
	return best, "the longest segment of track " + from + " (too few segments to learn from)", !best.IsZero()
}
