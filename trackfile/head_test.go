package trackfile

import (
	"bytes"
	"encoding/binary"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/Eyevinn/mp4ff/bits"
	"github.com/Eyevinn/mp4ff/mp4"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/golden")

func TestWriteHeadRoundTrip(t *testing.T) {
	h, _ := loadTrack(t, ldashVideo)
	segs := []SegmentInfo{
		{N: 10, Time: 1 << 40, EPT: 1<<40 + 512, Duration: 25600, Size: 1000, StartsWithSAP: true, SAPType: 2},
		{N: 11, Time: 1<<40 + 25600, EPT: 1<<40 + 25600, Duration: 25088, Size: 2000},
		{N: 12, Time: 1<<40 + 50688, EPT: 1<<40 + 50688, Duration: 26112, Size: 0x7fffffff, StartsWithSAP: true, SAPType: 1},
	}
	var a, b bytes.Buffer
	lay, err := WriteHead(&a, h, segs)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := WriteHead(&b, h, segs); err != nil || !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Fatalf("WriteHead is not deterministic (%v)", err)
	}
	want := HeadLayout{Init: ByteRange{0, int64(len(h.Raw))}, Index: ByteRange{int64(len(h.Raw)), int64(len(h.Raw)) + 40 + 3*12}}
	if lay != want || int64(a.Len()) != lay.Index.End {
		t.Fatalf("layout %+v (%d bytes), want %+v", lay, a.Len(), want)
	}
	fh, err := ReadHead(&a)
	if err != nil {
		t.Fatal(err)
	}
	if fh.Layout != lay || fh.Header.Hash != h.Hash {
		t.Fatalf("ReadHead: %+v", fh.Layout)
	}
	off := lay.Index.End
	for i, s := range segs {
		ref := fh.Segments[i]
		// sidx times start at the EPT: the first segment's EPT stands in
		// for its time.
		wantTime := segs[0].EPT
		for _, p := range segs[:i] {
			wantTime += p.Duration
		}
		if ref != (SegmentRef{Time: wantTime, Duration: s.Duration, Offset: off, Size: s.Size, SAP: s.StartsWithSAP}) {
			t.Errorf("segment %d: %+v", i, ref)
		}
		off += s.Size
	}
}

func TestWriteHeadErrors(t *testing.T) {
	h, _ := loadTrack(t, ldashVideo)
	ok := SegmentInfo{Duration: 1, Size: 1}
	for name, c := range map[string]struct {
		h    *Header
		segs []SegmentInfo
	}{
		"no header":     {nil, []SegmentInfo{ok}},
		"no segments":   {h, nil},
		"size too big":  {h, []SegmentInfo{ok, {Duration: 1, Size: 1 << 31}}},
		"size 0":        {h, []SegmentInfo{{Duration: 1}}},
		"long duration": {h, []SegmentInfo{{Duration: 1 << 32, Size: 1}}},
		"too many":      {h, make([]SegmentInfo, 1<<16)},
	} {
		if _, err := WriteHead(&bytes.Buffer{}, c.h, c.segs); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestReadHeadErrors(t *testing.T) {
	h, _ := loadTrack(t, ldashVideo)
	var buf bytes.Buffer
	lay, err := WriteHead(&buf, h, []SegmentInfo{{EPT: 5, Duration: 10, Size: 100, StartsWithSAP: true, SAPType: 1}})
	if err != nil {
		t.Fatal(err)
	}
	head := buf.Bytes()
	sidxAt := int(lay.Index.Start)
	hier := append([]byte(nil), head...)
	hier[sidxAt+40] |= 0x80 // reference_type 1
	badTS := append([]byte(nil), head...)
	binary.BigEndian.PutUint32(badTS[sidxAt+16:], 90000)
	for name, c := range map[string]struct {
		in   []byte
		want error
	}{
		"no sidx":         {head[:sidxAt], ErrMalformed},
		"truncated sidx":  {head[:len(head)-1], ErrMalformed},
		"segment first":   {load(t, ldashVideo.segs[0]), ErrMalformed},
		"not mp4":         {[]byte("GET / HTTP/1.1\r\n\r\n"), ErrNotISOBMFF},
		"hierarchical":    {hier, ErrMalformed},
		"timescale":       {badTS, ErrMalformed},
		"empty":           {nil, ErrMalformed},
		"bad header":      {cat(withSize(h.Raw, 0, 12), head[sidxAt:]), ErrMalformed},
		"header, no moov": {cat(h.Raw[:boxSize(h.Raw, 0)], head[sidxAt:]), ErrMalformed},
	} {
		if _, err := ReadHead(bytes.NewReader(c.in)); !errors.Is(err, c.want) {
			t.Errorf("%s: err = %v, want %v", name, err, c.want)
		}
	}
}

// TestHeadGolden compares a box dump of the head of the ldash video track
// file with testdata/golden/ldash-video-head.txt (refresh with -update).
func TestHeadGolden(t *testing.T) {
	_, _, lay, file := assemble(t, ldashVideo, 0)
	f, err := mp4.DecodeFileSR(bits.NewFixedSliceReader(file[:lay.Index.End]))
	if err != nil {
		t.Fatal(err)
	}
	var dump bytes.Buffer
	for _, b := range f.Children {
		if err := b.Info(&dump, "all:1", "", "  "); err != nil {
			t.Fatal(err)
		}
	}
	golden := filepath.Join("testdata", "golden", "ldash-video-head.txt")
	if *update {
		if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, dump.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (create it with go test -run HeadGolden -update)", err)
	}
	if !bytes.Equal(dump.Bytes(), want) {
		t.Errorf("head dump differs from %s:\n%s", golden, dump.String())
	}
}
