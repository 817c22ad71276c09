package trackfile

import (
	"encoding/binary"
	"fmt"
	"math"
	"sort"
)

// tfhd flags (ISO/IEC 14496-12 8.8.7.1).
const (
	tfhdBaseDataOffsetPresent = 0x000001
	tfhdDefaultBaseIsMoof     = 0x020000
)

// moofTraf is what shiftMoof needs of one traf: where its tfdt and the
// moof-relative offset fields (trun data_offset, saio offsets) are.
type moofTraf struct {
	span      span
	tfhdFlags uint32
	tfdts     []span
	truns     []int // positions of trun data_offset fields (int32)
	trunNoOff bool  // the first trun has no data_offset
	saio32    []int // positions of 32-bit saio offsets
	saio64    []int // positions of 64-bit saio offsets
}

// shiftMoof adds offset to every tfdt of moof b (the box alone, see
// NormalizeWith). It patches in place when every new value fits its field,
// else it inserts 4 bytes per upgraded tfdt and fixes sizes and offsets.
func shiftMoof(b []byte, offset int64) ([]byte, error) {
	ms := span{Type: "moof", Hdr: 8, Size: len(b)}
	if binary.BigEndian.Uint32(b) == 1 {
		ms.Hdr = 16
	}
	kids, err := children(b, ms, 0)
	if err != nil {
		return nil, err
	}
	var trafs []moofTraf
	for _, k := range kids {
		if k.Type == "traf" {
			t, err := scanTraf(b, k)
			if err != nil {
				return nil, err
			}
			trafs = append(trafs, t)
		}
	}
	// New tfdt values, and insertion points (4 bytes before the original
	// 32-bit value of each tfdt that must become version 1).
	type tfdtNew struct {
		s     span
		value uint64
		grow  bool
	}
	var news []tfdtNew
	var ins []int
	for _, t := range trafs {
		for _, s := range t.tfdts {
			v, _, err := fullBox(b, s, 4)
			if err != nil {
				return nil, err
			}
			pos := s.Off + s.Hdr + 4
			var old uint64
			if v == 0 {
				old = uint64(binary.BigEndian.Uint32(b[pos:]))
			} else {
				if s.Size-s.Hdr < 12 {
					return nil, fmt.Errorf("%w: tfdt v1 too short", ErrMalformed)
				}
				old = binary.BigEndian.Uint64(b[pos:])
			}
			nv, err := shiftTime(old, offset)
			if err != nil {
				return nil, err
			}
			grow := v == 0 && nv > math.MaxUint32
			if grow {
				ins = append(ins, pos)
			}
			news = append(news, tfdtNew{s, nv, grow})
		}
	}
	sort.Ints(ins)
	// newPos maps an original position to its position after insertion.
	newPos := func(p int) int {
		n := sort.SearchInts(ins, p+1) // insertions at or before p
		return p + 4*n
	}
	var nb []byte
	if len(ins) == 0 {
		nb = append([]byte(nil), b...)
	} else {
		if nb, err = growMoof(b, ms, trafs, ins, newPos); err != nil {
			return nil, err
		}
	}
	for _, n := range news {
		at := newPos(n.s.Off)
		if n.grow {
			nb[at+n.s.Hdr] = 1
			setBoxSize(nb[at:], n.s.Hdr, uint64(n.s.Size+4))
		}
		if nb[at+n.s.Hdr] == 0 {
			binary.BigEndian.PutUint32(nb[at+n.s.Hdr+4:], uint32(n.value))
		} else {
			binary.BigEndian.PutUint64(nb[at+n.s.Hdr+4:], n.value)
		}
	}
	return nb, nil
}

// growMoof copies b with 4 zero bytes inserted at each position of ins and
// fixes the moof and traf sizes and the moof-relative offsets.
func growMoof(b []byte, ms span, trafs []moofTraf, ins []int, newPos func(int) int) ([]byte, error) {
	nb := make([]byte, 0, len(b)+4*len(ins))
	prev := 0
	for _, p := range ins {
		nb = append(nb, b[prev:p]...)
		nb = append(nb, 0, 0, 0, 0)
		prev = p
	}
	nb = append(nb, b[prev:]...)
	if ms.Hdr == 8 && len(nb) > math.MaxUint32 {
		return nil, fmt.Errorf("%w: moof too large", ErrRange)
	}
	setBoxSize(nb, ms.Hdr, uint64(len(nb)))
	// moved returns how many bytes were inserted before the byte at
	// moof-relative position p (all of them for data in the mdat).
	moved := func(p uint64) uint64 {
		c := int(min(p, uint64(len(b))))
		return uint64(newPos(c) - c)
	}
	for i, t := range trafs {
		at := newPos(t.span.Off)
		setBoxSize(nb[at:], t.span.Hdr, uint64(newPos(t.span.End()-1)+1-at))
		// Offsets are relative to the moof start when the traf has
		// default-base-is-moof, or is the first traf without base flags;
		// a later traf without flags continues after the previous traf's
		// data, which moves along with it.
		if t.tfhdFlags&tfhdBaseDataOffsetPresent != 0 {
			return nil, fmt.Errorf("%w: traf with explicit base_data_offset: cannot grow its tfdt to 64 bits", ErrMalformed)
		}
		if t.tfhdFlags&tfhdDefaultBaseIsMoof == 0 && i > 0 {
			continue
		}
		if t.trunNoOff {
			return nil, fmt.Errorf("%w: first trun without data_offset: cannot grow the tfdt to 64 bits", ErrMalformed)
		}
		for _, p := range t.truns {
			old := int64(int32(binary.BigEndian.Uint32(b[p:])))
			nv := old
			if old > 0 {
				nv += int64(moved(uint64(old)))
			}
			if nv > math.MaxInt32 {
				return nil, fmt.Errorf("%w: trun data_offset overflow", ErrRange)
			}
			binary.BigEndian.PutUint32(nb[newPos(p):], uint32(int32(nv)))
		}
		for _, p := range t.saio32 {
			old := uint64(binary.BigEndian.Uint32(b[p:]))
			nv := old + moved(old)
			if nv > math.MaxUint32 {
				return nil, fmt.Errorf("%w: saio offset overflow", ErrRange)
			}
			binary.BigEndian.PutUint32(nb[newPos(p):], uint32(nv))
		}
		for _, p := range t.saio64 {
			old := binary.BigEndian.Uint64(b[p:])
			binary.BigEndian.PutUint64(nb[newPos(p):], old+moved(old))
		}
	}
	return nb, nil
}

// scanTraf finds the tfhd flags, tfdt boxes and offset fields of traf s.
func scanTraf(b []byte, s span) (moofTraf, error) {
	t := moofTraf{span: s}
	kids, err := children(b, s, 0)
	if err != nil {
		return t, err
	}
	seenTrun := false
	for _, k := range kids {
		body := k.Off + k.Hdr
		switch k.Type {
		case "tfhd":
			_, f, err := fullBox(b, k, 4)
			if err != nil {
				return t, err
			}
			t.tfhdFlags = f
		case "tfdt":
			t.tfdts = append(t.tfdts, k)
		case "trun":
			_, f, err := fullBox(b, k, 4)
			if err != nil {
				return t, err
			}
			if f&0x1 != 0 {
				if k.Size-k.Hdr < 12 {
					return t, fmt.Errorf("%w: trun too short", ErrMalformed)
				}
				t.truns = append(t.truns, body+8)
			} else if !seenTrun {
				t.trunNoOff = true
			}
			seenTrun = true
		case "saio":
			v, f, err := fullBox(b, k, 4)
			if err != nil {
				return t, err
			}
			p := body + 4
			if f&0x1 != 0 {
				p += 8
			}
			if p+4 > k.End() {
				return t, fmt.Errorf("%w: saio too short", ErrMalformed)
			}
			n := int(binary.BigEndian.Uint32(b[p:]))
			p += 4
			w := 4
			if v != 0 {
				w = 8
			}
			if n < 0 || n > (k.End()-p)/w {
				return t, fmt.Errorf("%w: saio entry_count %d too large", ErrMalformed, n)
			}
			for j := 0; j < n; j++ {
				if w == 4 {
					t.saio32 = append(t.saio32, p+j*w)
				} else {
					t.saio64 = append(t.saio64, p+j*w)
				}
			}
		}
	}
	return t, nil
}
