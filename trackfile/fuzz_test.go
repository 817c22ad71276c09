package trackfile

import (
	"bytes"
	"errors"
	"testing"
)

// Fuzz targets for every parser of untrusted input, seeded from the case
// table (house style 6). Crashers land in testdata/fuzz/FuzzXxx.
//
// Only inputs up to maxSeed bytes seed the fuzzer (the first chunk of a
// segment stands for the whole): the engine minimizes every new
// interesting input byte by byte, which takes a minute on 30 KB segments.

const maxSeed = 16 << 10

// seeds returns the inputs of the case table that are small enough.
func seeds(tb testing.TB) [][]byte {
	var out [][]byte
	for _, c := range inputCases(tb) {
		if len(c.in) <= maxSeed {
			out = append(out, c.in)
		}
	}
	return out
}

func checkCategory(t *testing.T, err error) {
	t.Helper()
	if err != nil && !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrTooLarge) &&
		!errors.Is(err, ErrNotISOBMFF) && !errors.Is(err, ErrRange) {
		t.Fatalf("error without category: %v", err)
	}
}

func FuzzBoxReader(f *testing.F) {
	for _, in := range seeds(f) {
		f.Add(in)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		boxes, err := readAll(bytes.NewReader(in), caseMaxBox)
		checkCategory(t, err)
		if err != nil {
			return
		}
		var all []byte
		for _, b := range boxes {
			all = append(all, b.Raw...)
		}
		if !bytes.Equal(all, in) {
			t.Fatal("boxes do not concatenate to the input")
		}
	})
}

func FuzzParseHeader(f *testing.F) {
	for _, in := range seeds(f) {
		f.Add(in)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		h, err := ParseHeader(in)
		checkCategory(t, err)
		if err != nil {
			return
		}
		if h.Info.Timescale == 0 || h.Hash != HashHeader(in) || h.Info.Ext == "" {
			t.Fatalf("accepted header %+v", h.Info)
		}
		CheckHeader(h)
	})
}

func FuzzParseSegment(f *testing.F) {
	h, _ := loadTrack(f, ldashVideo)
	for _, in := range seeds(f) {
		f.Add(in, true)
		f.Add(in, false)
	}
	f.Fuzz(func(t *testing.T, in []byte, withHeader bool) {
		hh := h
		if !withHeader {
			hh = nil
		}
		seg, err := ParseSegment(in, hh)
		checkCategory(t, err)
		if n, ok := SegmentHeadLen(in, int64(len(in))); ok {
			sameParse(t, in, n, hh) // the head alone parses the same
		}
		if err != nil {
			return
		}
		CheckSegment(seg, hh, Grid{D: Rational{2, 1}, N: 1800}, 0)
		// What parses, normalizes; and parses the same afterwards.
		norm, err := Normalize(in, 0)
		if err != nil {
			t.Fatalf("parsed but does not normalize: %v", err)
		}
		again, err := ParseSegment(norm, hh)
		if err != nil || again.BaseDecodeTime != seg.BaseDecodeTime || again.Duration != seg.Duration || again.EPT != seg.EPT {
			t.Fatalf("normalized segment parses differently: %v", err)
		}
	})
}

func FuzzNormalize(f *testing.F) {
	for _, in := range seeds(f) {
		for _, off := range []int64{0, 1, -1024, 1 << 33, -epoch * 12800} {
			f.Add(in, off)
		}
	}
	f.Fuzz(func(t *testing.T, in []byte, offset int64) {
		norm, err := NormalizeWith(in, offset, &NormalizeOptions{Timescale: 12800})
		checkCategory(t, err)
		if n, ok := SegmentHeadLen(in, int64(len(in))); ok {
			samePrepare(t, in, n, nil, offset) // the head alone prepares the same
		}
		if err != nil {
			return
		}
		seg, err := ParseSegment(in, nil)
		if err != nil {
			return
		}
		out, err := ParseSegment(norm, nil)
		if err != nil {
			t.Fatalf("normalized segment does not parse: %v", err)
		}
		if out.BaseDecodeTime != seg.BaseDecodeTime+uint64(offset) || out.Duration != seg.Duration || out.Samples != seg.Samples {
			t.Fatalf("normalized: tfdt %d→%d (offset %d), duration %d→%d", seg.BaseDecodeTime, out.BaseDecodeTime, offset, seg.Duration, out.Duration)
		}
	})
}

// FuzzStagedNames: staged key elements and nested track paths from
// untrusted listings and URLs parse without panics, and whatever parses
// round-trips.
func FuzzStagedNames(f *testing.F) {
	for _, s := range []string{"42-2.cmfv", "42-2.slat.cmfa", "7-180000.miss.cmft", "42.0123456789ab.hdr", "video/avc1",
		"audio/en/ac-4/1", "a~b", "18446744073709551615-0.cmfm", "-1-2.cmfv", "a//b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if name, err := ParseStagedKey(s); err == nil && name.String() != s {
			t.Errorf("ParseStagedKey(%q) = %+v, which prints as %q", s, name, name.String())
		}
		ParseHeaderUseKey(s)
		if name, err := TrackNameFromPath(s); err == nil {
			if CheckName(name) != nil || TrackPath(name) != s {
				t.Errorf("TrackNameFromPath(%q) = %q, back %q", s, name, TrackPath(name))
			}
		}
		_ = ParseStagedTrack([]string{s, "ch/v/live/" + s}).Segments("")
	})
}
