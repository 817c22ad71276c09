package trackfile

import (
	"bytes"
	"errors"
	"io"
	"testing"
)

// normalizeByBox normalizes raw box by box as a streaming reader does:
// ReadBoxHeader, then NormalizeAction on each box.
func normalizeByBox(t *testing.T, raw []byte, offset int64, opts *NormalizeOptions) ([]byte, error) {
	t.Helper()
	r := bytes.NewReader(raw)
	var out []byte
	for {
		at := len(raw) - r.Len()
		h, err := ReadBoxHeader(r)
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		if int64(r.Len()) < h.Size-int64(h.HdrLen) {
			return nil, ErrMalformed
		}
		box := raw[at : at+int(h.Size)]
		if !bytes.Equal(h.Bytes(), box[:h.HdrLen]) {
			t.Fatalf("header bytes %x, box starts %x", h.Bytes(), box[:h.HdrLen])
		}
		_, _ = r.Seek(h.Size-int64(h.HdrLen), io.SeekCurrent)
		switch NormalizeAction(h.Type, offset, opts) {
		case BoxCopy:
			out = append(out, box...)
		case BoxRewrite:
			nb, err := NormalizeWith(box, offset, opts)
			if err != nil {
				return nil, err
			}
			out = append(out, nb...)
		}
	}
}

// TestNormalizeByBox: normalizing box by box gives NormalizeWith's bytes
// for every segment of the case table and the fixtures, for offsets that
// leave times alone, move them, and grow 32-bit tfdt and prft to 64 bits.
func TestNormalizeByBox(t *testing.T) {
	var segs [][]byte
	for _, c := range inputCases(t) {
		if !c.header && c.stream == nil && c.parse == nil {
			segs = append(segs, c.in)
		}
	}
	for _, ft := range fixtureTracks {
		_, ss := loadTrack(t, ft)
		segs = append(segs, ss...)
	}
	emsg := mkfull("emsg", 1, 0, u32(1000), u64(5_000_000), u32(0), u32(1), []byte("urn:x\x00\x00"))
	sidx := mkfull("sidx", 1, 0, u32(1), u32(1000), u64(0), u64(0), u32(0))
	segs = append(segs, cat(emsg, sidx, synthSegment(t, 1000, false), mkbox("mfra", u32(0))))
	for i, seg := range segs {
		for _, off := range []int64{0, 48000 * 10, 1 << 33, -1000} {
			for _, opts := range []*NormalizeOptions{nil, {Timescale: 48000}} {
				want, werr := NormalizeWith(seg, off, opts)
				got, gerr := normalizeByBox(t, seg, off, opts)
				if (werr == nil) != (gerr == nil) || !bytes.Equal(got, want) {
					t.Errorf("segment %d offset %d opts %v: by box %d bytes (%v), NormalizeWith %d bytes (%v)",
						i, off, opts, len(got), gerr, len(want), werr)
				}
			}
		}
	}
}

func TestReadBoxHeader(t *testing.T) {
	for _, c := range []struct {
		name string
		in   []byte
		want BoxHeader
		err  error
	}{
		{"box", mkbox("mdat", []byte("abcd")), BoxHeader{"mdat", 12, 8}, nil},
		{"largesize", largeSize(nil, 40), BoxHeader{"mdat", 40, 16}, nil},
		{"end", nil, BoxHeader{}, io.EOF},
		{"short", []byte{0, 0, 0}, BoxHeader{}, ErrMalformed},
		{"size 0", withSize(mkbox("mdat"), 0, 0), BoxHeader{}, ErrMalformed},
		{"size 4", withSize(mkbox("mdat"), 0, 4), BoxHeader{}, ErrMalformed},
		{"largesize 12", largeSize(nil, 12), BoxHeader{}, ErrMalformed},
		{"truncated largesize", largeSize(nil, 40)[:12], BoxHeader{}, ErrMalformed},
		{"garbage type", withType(mkbox("mdat"), 0, "\x00\x01\x02\x03"), BoxHeader{}, ErrMalformed},
	} {
		got, err := ReadBoxHeader(bytes.NewReader(c.in))
		if got != c.want || !errors.Is(err, c.err) && err != c.err {
			t.Errorf("%s: %+v, %v; want %+v, %v", c.name, got, err, c.want, c.err)
		}
	}
}
