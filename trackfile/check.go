package trackfile

import (
	"encoding/binary"
	"fmt"
)

// Levels of a Finding.
const (
	LevelError   = "error"   // a "shall" is violated
	LevelWarning = "warning" // a "should" is not followed (or encoders commonly differ)
	LevelInfo    = "info"    // noted, not a violation: slat, miss, lmsg segments
)

// CheckHeader checks a CMAF header against REaP clause 6.2: "g) An edit
// list, i.e. EditListBox shall not be used in the initialization segment",
// and that it is a CMAF header ("Encoders conforming to this document and
// ISO/IEC 23000-19 (CMAF) shall produce media segments in conformance with
// ISO/IEC 23000-19:2024, Clause 7"): a cmfc or cmf2 brand.
func CheckHeader(h *Header) []Finding {
	subject := fmt.Sprintf("header %s (track %d)", h.Hash, h.Info.TrackID)
	var out []Finding
	if h.Info.EditList {
		out = append(out, Finding{Clause: "6.2 g", Level: LevelError, Subject: subject,
			Message: "the CMAF header has an edit list (elst); REaP forbids edit lists: encode epoch times directly"})
	}
	cmaf := false
	for _, b := range h.Info.Brands {
		cmaf = cmaf || b == "cmfc" || b == "cmf2"
	}
	if !cmaf {
		out = append(out, Finding{Clause: "6.2", Level: LevelWarning, Subject: subject,
			Message: fmt.Sprintf("ftyp brands %v have no CMAF brand (cmfc or cmf2)", h.Info.Brands)})
	}
	return out
}

// CheckSegment checks a parsed segment against REaP clause 6.2 on the
// channel's grid g, with the channel's STS in ticks of the track timescale
// (stsTicks = STS·timescale; 0 when the encoder stamps epoch times):
//
//	a) "A media segment K shall contain all the frames F that have a start
//	   time in the presentation time interval of segment K, which is (K-1)*D
//	   to K*D": tfdt+STS on the grid, within one sample duration (error);
//	b) "Media segments should be of a constant segment duration D" (warning;
//	   tolerance one sample for audio; not checked for an lmsg segment);
//	d) slat and miss brands, e) lmsg brand (info);
//	f) "The sequence number in the MovieFragmentHeaderBox shall be set to K"
//	   with K = n+1 (warning: encoders commonly number otherwise);
//	k) "Each ISO-BMFF fragment (e.g. CMAF chunk) shall have one or more
//	   ProducerReferenceTime boxes" (error), flags 0 or 1 (info otherwise).
//
// With a zero grid (D unknown) the grid checks a, b and f are skipped; h may
// be nil, then too.
func CheckSegment(seg *Segment, h *Header, g Grid, stsTicks int64) []Finding {
	var out []Finding
	add := func(clause, level, subject, format string, args ...any) {
		out = append(out, Finding{Clause: clause, Level: level, Subject: subject, Message: fmt.Sprintf(format, args...)})
	}
	subject := fmt.Sprintf("track %d segment tfdt %d", seg.TrackID, seg.BaseDecodeTime)
	if h != nil && h.Info.Timescale != 0 && !g.D.IsZero() && g.D.Num > 0 && g.D.Den > 0 {
		ts := h.Info.Timescale
		t, err := shiftTime(seg.BaseDecodeTime, stsTicks)
		if err != nil {
			add("6.2 a", LevelError, subject, "tfdt %d + STS %d ticks is not a valid epoch time", seg.BaseDecodeTime, stsTicks)
			return out
		}
		g.Phase = Rational{} // clause 6.2 a: the epoch grid itself, not a learned phase
		n := g.SegmentIndex(t, ts)
		subject = fmt.Sprintf("track %d segment n=%d", seg.TrackID, n)
		start, end := g.SegmentStart(n, ts), g.SegmentStart(n+1, ts)
		diff := int64(t - start)
		if abs(diff) >= max(int64(seg.FirstSampleDur), 1) {
			add("6.2 a", LevelError, subject, "starts at %d (tfdt+STS), %d ticks (%.3f s) off the segment grid start %d (D = %s s, timescale %d)",
				t, diff, float64(diff)/float64(ts), start, g.D, ts)
		}
		if !seg.HasBrand("lmsg") {
			want := end - start
			tol := uint64(0)
			if h.Info.Handler == "soun" {
				tol = uint64(seg.FirstSampleDur)
			}
			if d := absDiff(seg.Duration, want); d > tol {
				add("6.2 b", LevelWarning, subject, "duration %d ticks (%.3f s), D is %d ticks", seg.Duration, float64(seg.Duration)/float64(ts), want)
			}
		}
		if k := n + 1; int64(seg.SequenceNumber) != k {
			add("6.2 f", LevelWarning, subject, "mfhd sequence_number %d, REaP numbers this segment K = n+1 = %d", seg.SequenceNumber, k)
		}
	}
	for _, b := range []struct{ brand, clause, msg string }{
		{"slat", "6.2 d", "slate segment (slat): the encoder filled missing input"},
		{"miss", "6.2 d", "missing segment (miss): no usable media"},
		{"lmsg", "6.2 e", "last segment of the track (lmsg)"},
	} {
		if seg.HasBrand(b.brand) {
			add(b.clause, LevelInfo, subject, "%s", b.msg)
		}
	}
	frags, with, flags := prftCoverage(seg)
	switch {
	case with == 0:
		add("6.2 k", LevelError, subject, "no prft: each fragment shall have a ProducerReferenceTime box")
	case with < frags:
		add("6.2 k", LevelError, subject, "%d of %d fragments have no prft", frags-with, frags)
	}
	for _, f := range flags {
		if f > 1 {
			add("6.2 k", LevelInfo, subject, "prft flags %d: REaP describes flags 0 (encoder input time) and 1 (encoding time)", f)
			break
		}
	}
	if !seg.StartsWithSAP {
		add("6.2", LevelWarning, subject, "the segment does not start with a SAP (sync sample)")
	}
	return out
}

// prftCoverage counts the fragments (moof) of a segment, those preceded by
// at least one prft since the previous mdat, and collects the prft flags.
func prftCoverage(seg *Segment) (frags, withPrft int, flags []uint32) {
	raw, size := seg.Raw, seg.size
	if size == 0 {
		size = int64(len(raw)) // a Segment not made by a parse
	}
	spans, err := splitSegment(raw, size)
	if err != nil {
		return 0, 0, nil
	}
	seen := false
	for _, s := range spans {
		switch s.Type {
		case "prft":
			seen = true
			if s.Size-s.Hdr >= 4 {
				flags = append(flags, binary.BigEndian.Uint32(raw[s.Off+s.Hdr:])&0xffffff)
			}
		case "moof":
			frags++
			if seen {
				withPrft++
			}
		case "mdat":
			seen = false
		}
	}
	return frags, withPrft, flags
}

func abs(x int64) int64 {
	if x < 0 {
		return -x
	}
	return x
}

func absDiff(a, b uint64) uint64 {
	if a > b {
		return a - b
	}
	return b - a
}
