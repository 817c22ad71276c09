package trackfile

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"
)

// The ffmpeg fixtures of testdata/ffmpeg (regenerate with make.sh there).
const (
	fixtureDir = "../testdata/ffmpeg"
	epoch      = 1767225600 // the fixed epoch make.sh adds with setpts
)

// fixtureTrack is one track of the fixtures: its header and segments.
type fixtureTrack struct {
	name string
	init string
	segs []string
}

var (
	ldashVideo = fixtureTrack{"ldash video", "ldash/init-stream0.m4s",
		[]string{"ldash/chunk-stream0-00001.m4s", "ldash/chunk-stream0-00002.m4s", "ldash/chunk-stream0-00003.m4s"}}
	ldashAudio = fixtureTrack{"ldash audio", "ldash/init-stream1.m4s",
		[]string{"ldash/chunk-stream1-00001.m4s", "ldash/chunk-stream1-00002.m4s", "ldash/chunk-stream1-00003.m4s", "ldash/chunk-stream1-00004.m4s"}}
	sidxVideo = fixtureTrack{"sidx video", "sidx/init-stream0.m4s",
		[]string{"sidx/chunk-stream0-00001.m4s", "sidx/chunk-stream0-00002.m4s"}}
	fixtureTracks = []fixtureTrack{ldashVideo, ldashAudio, sidxVideo}
	streamsFile   = "streams/video.cmfv"
)

func load(tb testing.TB, rel string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join(fixtureDir, rel))
	if err != nil {
		tb.Fatalf("fixture missing (run testdata/ffmpeg/make.sh): %v", err)
	}
	return b
}

// loadTrack returns the parsed header and the raw segments of a fixture track.
func loadTrack(tb testing.TB, ft fixtureTrack) (*Header, [][]byte) {
	tb.Helper()
	h, err := ParseHeader(load(tb, ft.init))
	if err != nil {
		tb.Fatalf("%s: ParseHeader: %v", ft.name, err)
	}
	segs := make([][]byte, len(ft.segs))
	for i, s := range ft.segs {
		segs[i] = load(tb, s)
	}
	return h, segs
}

// inputCase is one entry of the case table that feeds the unit tests, the
// fuzz seeds and the benchmarks: an input, and what reading it as a box
// stream and parsing it (as a header or a segment) must return.
type inputCase struct {
	name   string
	header bool   // parse with ParseHeader, else ParseSegment
	in     []byte // input bytes
	stream error  // expected error reading all boxes with BoxReader(caseMaxBox); nil = ok
	parse  error  // expected error of the parser; nil = ok
}

const caseMaxBox = 1 << 20

func inputCases(tb testing.TB) []inputCase {
	tb.Helper()
	vInit := load(tb, ldashVideo.init)
	vSeg := load(tb, ldashVideo.segs[0])
	aSeg := load(tb, ldashAudio.segs[1])
	sSeg := load(tb, sidxVideo.segs[0])
	cs := []inputCase{
		{name: "video header", header: true, in: vInit},
		{name: "audio header", header: true, in: load(tb, ldashAudio.init)},
		{name: "video ldash segment", in: vSeg},
		{name: "audio ldash segment", in: aSeg},
		{name: "video segment with sidx", in: sSeg},
		{name: "short audio segment", in: load(tb, ldashAudio.segs[3])},
		{name: "first video chunk", in: vSeg[:mdatEndOf(vSeg)]},
		{name: "synthetic v0 tfdt", in: synthSegment(tb, 1000, false)},
		{name: "synthetic two trafs", in: synthSegment(tb, 1000, true), parse: ErrMalformed},
	}
	first := boxSize(vSeg, 0)                   // styp
	second := first + boxSize(vSeg, first)      // after prft
	moofEnd := second + boxSize(vSeg, second)   // end of first moof
	mdatEnd := moofEnd + boxSize(vSeg, moofEnd) // end of first mdat
	bad := []inputCase{
		{name: "truncated box", in: vSeg[:len(vSeg)-10], stream: ErrMalformed, parse: ErrMalformed},
		{name: "truncated header", header: true, in: vInit[:len(vInit)-1], stream: ErrMalformed, parse: ErrMalformed},
		{name: "truncated box header", in: vSeg[:first+5], stream: ErrMalformed, parse: ErrMalformed},
		{name: "size beyond body", in: withSize(vSeg, 0, uint32(len(vSeg)+100)), stream: ErrMalformed, parse: ErrMalformed},
		{name: "size below 8", in: withSize(vSeg, first, 4), stream: ErrMalformed, parse: ErrMalformed},
		{name: "size 0", in: withSize(vSeg, first, 0), stream: ErrMalformed, parse: ErrMalformed},
		{name: "largesize below 16", in: largeSize(vSeg[:first], 12), stream: ErrMalformed, parse: ErrMalformed},
		{name: "non-MP4 text", in: []byte("<?xml version=\"1.0\"?><MPD></MPD>\n"), stream: ErrNotISOBMFF, parse: ErrNotISOBMFF},
		{name: "non-MP4 text header", header: true, in: []byte("hello, world, this is not mp4"), stream: ErrNotISOBMFF, parse: ErrNotISOBMFF},
		{name: "huge size", in: withSize(vSeg, 0, 0xfffffff0), stream: ErrTooLarge, parse: ErrMalformed},
		{name: "huge largesize", in: largeSize([]byte{}, 1<<40), stream: ErrTooLarge, parse: ErrMalformed},
		{name: "garbage second box type", in: withType(vSeg, first, "\x00\x01\x02\x03"), stream: ErrMalformed, parse: ErrMalformed},
		{name: "moof without mdat", in: cat(vSeg[:moofEnd]), parse: ErrMalformed},
		{name: "mdat without moof", in: cat(vSeg[:second], vSeg[moofEnd:mdatEnd]), parse: ErrMalformed},
		{name: "no moof", in: cat(vSeg[:second]), parse: ErrMalformed},
		{name: "header in segment", in: cat(vInit, vSeg), parse: ErrMalformed},
		{name: "segment as header", header: true, in: vSeg, parse: ErrMalformed},
		{name: "header without moov", header: true, in: vInit[:boxSize(vInit, 0)], parse: ErrMalformed},
		{name: "data outside mdat", in: withTrunOffset(tb, vSeg, second, 0x7fff0000), parse: ErrMalformed},
		{name: "empty", in: []byte{}, parse: ErrMalformed},
	}
	return append(cs, bad...)
}

// mdatEndOf returns the end of the first mdat of a segment.
func mdatEndOf(b []byte) int {
	for off := 0; off < len(b); off += boxSize(b, off) {
		if string(b[off+4:off+8]) == "mdat" {
			return off + boxSize(b, off)
		}
	}
	return len(b)
}

func boxSize(b []byte, off int) int { return int(binary.BigEndian.Uint32(b[off:])) }

func cat(parts ...[]byte) []byte {
	var out []byte
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

func withSize(b []byte, off int, size uint32) []byte {
	c := append([]byte(nil), b...)
	binary.BigEndian.PutUint32(c[off:], size)
	return c
}

func withType(b []byte, off int, typ string) []byte {
	c := append([]byte(nil), b...)
	copy(c[off+4:], typ)
	return c
}

// largeSize appends an mdat with a 64-bit largesize header to b.
func largeSize(b []byte, size uint64) []byte {
	c := append([]byte(nil), b...)
	c = binary.BigEndian.AppendUint32(c, 1)
	c = append(c, "mdat"...)
	return binary.BigEndian.AppendUint64(c, size)
}

// withTrunOffset sets the data_offset of the first trun of the moof at off.
func withTrunOffset(tb testing.TB, b []byte, off int, dataOffset uint32) []byte {
	tb.Helper()
	moof := span{Type: "moof", Off: off, Hdr: 8, Size: boxSize(b, off)}
	kids, _ := children(b, moof, 0)
	for _, k := range kids {
		if k.Type != "traf" {
			continue
		}
		tk, _ := children(b, k, 0)
		for _, x := range tk {
			if x.Type == "trun" {
				return withSize(b, x.Off+x.Hdr+8, dataOffset)
			}
		}
	}
	tb.Fatal("no trun")
	return nil
}
