package trackfile

import (
	"encoding/binary"
	"fmt"
)

// span is one box inside a byte slice: Off is where its header starts,
// Hdr the header length (8, or 16 with a largesize), Size the whole box.
type span struct {
	Type string
	Off  int
	Hdr  int
	Size int
}

func (s span) End() int             { return s.Off + s.Size }
func (s span) Body(b []byte) []byte { return b[s.Off+s.Hdr : s.Off+s.Size] }
func (s span) Raw(b []byte) []byte  { return b[s.Off : s.Off+s.Size] }

// splitSegment splits raw, the first bytes of a segment of size bytes,
// into its boxes: like splitBoxes when raw is all of it; else raw must end
// with the header of an mdat that runs to size, whose span is then its
// whole box (ParseSegmentHead).
func splitSegment(raw []byte, size int64) ([]span, error) {
	if size == int64(len(raw)) {
		return splitBoxes(raw, 0, len(raw))
	}
	off, hdr, ok := lastMdat(raw, size)
	if !ok || off+hdr != len(raw) || size-int64(off) > int64(maxInt) {
		return nil, fmt.Errorf("%w: %d of %d bytes do not end with the header of an mdat that runs to the end", ErrMalformed, len(raw), size)
	}
	spans, err := splitBoxes(raw, 0, off)
	if err != nil {
		return nil, err
	}
	return append(spans, span{Type: "mdat", Off: off, Hdr: hdr, Size: int(size - int64(off))}), nil
}

// splitBoxes splits b[from:to] into consecutive boxes (ISO/IEC 14496-12
// 4.2). Every box must fit exactly; size 0 ("to the end of the file") is
// rejected because a segment is later concatenated with others.
func splitBoxes(b []byte, from, to int) ([]span, error) {
	var out []span
	for off := from; off < to; {
		if to-off < 8 {
			return nil, fmt.Errorf("%w: %d trailing bytes at offset %d are not a box", ErrMalformed, to-off, off)
		}
		size := uint64(binary.BigEndian.Uint32(b[off:]))
		typ := string(b[off+4 : off+8])
		hdr := 8
		switch size {
		case 0:
			return nil, fmt.Errorf("%w: box %q at offset %d has size 0 (to end of file)", ErrMalformed, typ, off)
		case 1:
			if to-off < 16 {
				return nil, fmt.Errorf("%w: truncated largesize of box %q at offset %d", ErrMalformed, typ, off)
			}
			size = binary.BigEndian.Uint64(b[off+8:])
			hdr = 16
		}
		if size < uint64(hdr) {
			return nil, fmt.Errorf("%w: box %q at offset %d has size %d < header %d", ErrMalformed, typ, off, size, hdr)
		}
		if size > uint64(to-off) {
			return nil, fmt.Errorf("%w: box %q at offset %d has size %d, only %d bytes left", ErrMalformed, typ, off, size, to-off)
		}
		if !isPrintableType(typ) {
			return nil, fmt.Errorf("%w: garbage box type %q at offset %d", ErrMalformed, typ, off)
		}
		out = append(out, span{Type: typ, Off: off, Hdr: hdr, Size: int(size)})
		off += int(size)
	}
	return out, nil
}

// children splits the payload of container box s (after skip bytes of
// fields, e.g. 4 for a full box) into its child boxes.
func children(b []byte, s span, skip int) ([]span, error) {
	from := s.Off + s.Hdr + skip
	if from > s.End() {
		return nil, fmt.Errorf("%w: box %q at offset %d too short", ErrMalformed, s.Type, s.Off)
	}
	return splitBoxes(b, from, s.End())
}

// fullBox returns the version and flags of full box s, or an error if the
// box is too short to hold them plus need more payload bytes.
func fullBox(b []byte, s span, need int) (version byte, flags uint32, err error) {
	if s.Size-s.Hdr < 4+need {
		return 0, 0, fmt.Errorf("%w: box %q at offset %d too short (%d bytes)", ErrMalformed, s.Type, s.Off, s.Size)
	}
	vf := binary.BigEndian.Uint32(b[s.Off+s.Hdr:])
	return byte(vf >> 24), vf & 0xffffff, nil
}

// SplitBoxes returns the top-level boxes of raw, a whole body held in
// memory, with the checks of [BoxReader] (sizes that fit exactly, no size
// 0, printable types). Each box's Raw is a slice of raw: nothing is
// copied, and the boxes are only valid as long as raw is.
func SplitBoxes(raw []byte) ([]Box, error) {
	spans, err := splitBoxes(raw, 0, len(raw))
	if err != nil {
		return nil, err
	}
	out := make([]Box, len(spans))
	for i, s := range spans {
		out[i] = Box{Type: s.Type, Raw: s.Raw(raw)[:s.Size:s.Size]}
	}
	return out, nil
}
