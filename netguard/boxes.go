package netguard

import "encoding/binary"

// boxScanner follows the top-level box framing of an ISOBMFF stream
// (ISO/IEC 14496-12 4.2: a 32-bit size, a four-character type, a 64-bit
// largesize when size is 1) as its bytes pass, to tell whether the stream
// is between two complete boxes. It does not validate: a box of size 0
// ("to the end") or smaller than its header leaves it inside a box for
// good (the parser downstream refuses such a stream anyway).
type boxScanner struct {
	hdr    [16]byte
	hn     int    // header bytes collected
	need   int    // header bytes needed: 8, or 16 with a largesize
	remain uint64 // bytes of the current box's payload still to come
	inBody bool   // inside a box's payload
	toEnd  bool   // inside a box that never ends
	boxes  int    // complete boxes seen
}

// atBoundary reports whether at least one box is complete and no other has
// begun.
func (s *boxScanner) atBoundary() bool {
	return s.boxes > 0 && s.hn == 0 && !s.inBody && !s.toEnd
}

// feed advances over p.
func (s *boxScanner) feed(p []byte) {
	for len(p) > 0 && !s.toEnd {
		if s.inBody {
			k := uint64(len(p))
			if k > s.remain {
				k = s.remain
			}
			s.remain -= k
			p = p[k:]
			if s.remain == 0 {
				s.inBody = false
				s.boxes++
			}
			continue
		}
		if s.need == 0 {
			s.need = 8
		}
		k := copy(s.hdr[s.hn:s.need], p)
		s.hn += k
		p = p[k:]
		if s.hn < s.need {
			return
		}
		size := uint64(binary.BigEndian.Uint32(s.hdr[:4]))
		if s.need == 8 && size == 1 {
			s.need = 16
			continue
		}
		if s.need == 16 {
			size = binary.BigEndian.Uint64(s.hdr[8:16])
		}
		hl := uint64(s.need)
		s.hn, s.need = 0, 0
		switch {
		case size < hl: // 0 (to the end) or malformed
			s.toEnd = true
		case size == hl:
			s.boxes++
		default:
			s.inBody, s.remain = true, size-hl
		}
	}
}
