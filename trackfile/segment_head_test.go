package trackfile

import (
	"bytes"
	"encoding/binary"
	"errors"
	"reflect"
	"testing"
)

// TestParseSegmentHead: a segment parsed from its head alone (what a file
// store keeps in memory while the mdat payload goes to disk) is the
// segment ParseSegment makes of all its bytes, with the same findings and
// the same errors; a head cut short of the mdat header is no head.
func TestParseSegmentHead(t *testing.T) {
	h, _ := loadTrack(t, ldashVideo)
	heads := 0
	for _, c := range inputCases(t) {
		if c.header {
			continue
		}
		t.Run(c.name, func(t *testing.T) {
			n, ok := SegmentHeadLen(c.in, int64(len(c.in)))
			if !ok {
				return
			}
			heads++
			for cut := 0; cut < n; cut++ {
				if _, ok := SegmentHeadLen(c.in[:cut], int64(len(c.in))); ok {
					t.Fatalf("SegmentHeadLen accepts %d of the %d bytes it needs", cut, n)
				}
			}
			for _, hh := range []*Header{h, nil} {
				sameParse(t, c.in, n, hh)
			}
			for _, off := range headOffsets {
				samePrepare(t, c.in, n, h, off)
			}
		})
	}
	if heads < 6 {
		t.Fatalf("only %d input cases end with an mdat: the test checks too little", heads)
	}
}

// TestParseSegmentHeadLargesize: an mdat with a 64-bit size.
func TestParseSegmentHeadLargesize(t *testing.T) {
	h, _ := loadTrack(t, ldashVideo)
	seg := load(t, ldashVideo.segs[0])
	seg = seg[:mdatEndOf(seg)] // its first chunk
	off := 0
	for string(seg[off+4:off+8]) != "mdat" {
		off += boxSize(seg, off)
	}
	if off+boxSize(seg, off) != len(seg) {
		t.Fatal("fixture: the mdat is not the last box")
	}
	// The same fragment with its mdat header 16 bytes long: the trun data
	// offset moves by 8.
	large := cat(seg[:off], []byte{0, 0, 0, 1, 'm', 'd', 'a', 't'}, make([]byte, 8), seg[off+8:])
	binary.BigEndian.PutUint64(large[off+8:], uint64(len(large)-off))
	large = withTrunOffset(t, large, moofOffset(large), trunDataOffset(t, seg)+8)
	n, ok := SegmentHeadLen(large, int64(len(large)))
	if !ok || n != off+16 {
		t.Fatalf("SegmentHeadLen = %d, %v; want %d, true", n, ok, off+16)
	}
	sameParse(t, large, n, h)
	for _, off := range headOffsets {
		samePrepare(t, large, n, h, off)
	}
}

// headOffsets are the STS offsets samePrepare is tried with: none, an
// hour, one that grows a version 0 tfdt to 64 bits, one below zero.
var headOffsets = []int64{0, 3600 * 12800, 1 << 33, -1 << 40}

// samePrepare checks that PrepareSegmentHead of in's first n bytes gives
// the SegmentInfo PrepareSegment gives of all of in, and a normalized
// head that the rest of in completes to the normalized segment.
func samePrepare(t *testing.T, in []byte, n int, h *Header, offset int64) {
	t.Helper()
	want, winfo, werr := PrepareSegment(in, h, 7, offset)
	got, ginfo, gerr := PrepareSegmentHead(in[:n], int64(len(in)), h, 7, offset)
	if (werr == nil) != (gerr == nil) || !sameCategory(werr, gerr) {
		t.Fatalf("offset %d: head: err %v; whole: err %v", offset, gerr, werr)
	}
	if werr != nil {
		return
	}
	if winfo.Size != int64(len(want)) {
		t.Fatalf("offset %d: info says %d bytes, the normalized segment has %d", offset, winfo.Size, len(want))
	}
	if ginfo != winfo {
		t.Fatalf("offset %d: head's info %+v, whole's %+v", offset, ginfo, winfo)
	}
	if whole := append(append([]byte(nil), got...), in[n:]...); !bytes.Equal(whole, want) {
		t.Fatalf("offset %d: the normalized head and the payload (%d bytes) are not the normalized segment (%d bytes)", offset, len(whole), len(want))
	}
}

// sameParse checks that ParseSegmentHead of in's first n bytes agrees
// with ParseSegment of all of in.
func sameParse(t *testing.T, in []byte, n int, h *Header) {
	t.Helper()
	want, werr := ParseSegment(in, h)
	got, gerr := ParseSegmentHead(in[:n], int64(len(in)), h)
	if (werr == nil) != (gerr == nil) || !sameCategory(werr, gerr) {
		t.Fatalf("head: err %v; whole: err %v", gerr, werr)
	}
	if werr != nil {
		return
	}
	w, g := *want, *got
	w.Raw, g.Raw = nil, nil
	if !reflect.DeepEqual(w, g) {
		t.Fatalf("head parses as\n%+v\nwhole as\n%+v", g, w)
	}
	grid := Grid{D: Rational{2, 1}, N: 1800}
	if fw, fg := CheckSegment(want, h, grid, 0), CheckSegment(got, h, grid, 0); !reflect.DeepEqual(fw, fg) {
		t.Fatalf("findings of the head %v, of the whole %v", fg, fw)
	}
}

func sameCategory(a, b error) bool {
	for _, e := range []error{ErrMalformed, ErrNotISOBMFF, ErrTooLarge, ErrRange} {
		if errors.Is(a, e) != errors.Is(b, e) {
			return false
		}
	}
	return true
}

// moofOffset returns where the first moof of b starts.
func moofOffset(b []byte) int {
	off := 0
	for string(b[off+4:off+8]) != "moof" {
		off += boxSize(b, off)
	}
	return off
}

// trunDataOffset returns the data_offset of the first trun of b's first
// moof (the field withTrunOffset sets).
func trunDataOffset(tb testing.TB, b []byte) uint32 {
	tb.Helper()
	moof := span{Type: "moof", Off: moofOffset(b), Hdr: 8, Size: boxSize(b, moofOffset(b))}
	kids, _ := children(b, moof, 0)
	for _, k := range kids {
		if k.Type == "traf" {
			tk, _ := children(b, k, 0)
			for _, x := range tk {
				if x.Type == "trun" {
					return binary.BigEndian.Uint32(b[x.Off+x.Hdr+8:])
				}
			}
		}
	}
	tb.Fatal("no trun")
	return 0
}
