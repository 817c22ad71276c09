package ingestload

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// template is one segment as ffmpeg wrote it, without sidx and prft, with
// where its times are so that a copy can be moved to another slot.
type template struct {
	raw  []byte
	tfdt uint64 // as encoded
	rel  uint64 // tfdt less the first template's
	// offsets of every traf's 64-bit baseMediaDecodeTime and of every
	// mfhd sequence number in raw
	tfdtAt, seqAt []int
}

// box iterates over the boxes in b: it returns the type, the payload and
// the whole box of the first one, and the rest.
func nextBox(b []byte) (typ string, payload, whole, rest []byte, err error) {
	if len(b) < 8 {
		return "", nil, nil, nil, errors.New("short box header")
	}
	size := uint64(binary.BigEndian.Uint32(b))
	hdr := uint64(8)
	if size == 1 {
		if len(b) < 16 {
			return "", nil, nil, nil, errors.New("short large box header")
		}
		size, hdr = binary.BigEndian.Uint64(b[8:]), 16
	}
	if size < hdr || size > uint64(len(b)) {
		return "", nil, nil, nil, fmt.Errorf("box size %d of %d bytes", size, len(b))
	}
	return string(b[4:8]), b[hdr:size], b[:size], b[size:], nil
}

// findBox returns the payload of the first box of type typ in b.
func findBox(b []byte, typ string) ([]byte, bool) {
	for len(b) > 0 {
		t, p, _, rest, err := nextBox(b)
		if err != nil {
			return nil, false
		}
		if t == typ {
			return p, true
		}
		b = rest
	}
	return nil, false
}

// parseTemplate keeps the styp, moof and mdat boxes of a segment and finds
// the times to rewrite.
func parseTemplate(seg []byte) (template, error) {
	var t template
	first := true
	for b := seg; len(b) > 0; {
		typ, payload, whole, rest, err := nextBox(b)
		if err != nil {
			return t, err
		}
		b = rest
		switch typ {
		case "sidx", "prft":
			continue
		case "moof":
			base := len(t.raw) + len(whole) - len(payload)
			if err := t.scanMoof(payload, base, &first); err != nil {
				return t, err
			}
		}
		t.raw = append(t.raw, whole...)
	}
	if len(t.tfdtAt) == 0 {
		return t, errors.New("no tfdt")
	}
	return t, nil
}

// scanMoof records the offsets of mfhd and tfdt fields in a moof payload
// that starts at base in t.raw.
func (t *template) scanMoof(moof []byte, base int, first *bool) error {
	for b := moof; len(b) > 0; {
		typ, payload, whole, rest, err := nextBox(b)
		if err != nil {
			return err
		}
		at := base + (len(moof) - len(b)) + (len(whole) - len(payload)) // payload offset in raw
		b = rest
		switch typ {
		case "mfhd":
			t.seqAt = append(t.seqAt, at+4)
		case "traf":
			for tb := payload; len(tb) > 0; {
				ttyp, tp, tw, trest, err := nextBox(tb)
				if err != nil {
					return err
				}
				tat := at + (len(payload) - len(tb)) + (len(tw) - len(tp))
				tb = trest
				if ttyp != "tfdt" {
					continue
				}
				if tp[0] != 1 {
					return errors.New("tfdt version 0: need 64-bit times")
				}
				t.tfdtAt = append(t.tfdtAt, tat+4)
				if *first {
					t.tfdt = binary.BigEndian.Uint64(tp[4:])
					*first = false
				}
			}
		}
	}
	return nil
}

// Segment writes into buf (grown as needed) the segment that starts at
// media time at (in the track's timescale) on the epoch timeline: the
// template for that position in the cycle, its tfdt and mfhd rewritten.
// slot is the grid slot index of the segment (its mfhd sequence number).
func (t *Track) Segment(buf []byte, slot uint64) []byte {
	ticks := uint64(D.Seconds()) * uint64(t.Timescale)
	i := int(slot % cycleSegments)
	s := t.segs[i]
	cycleStart := (slot - uint64(i)) * ticks
	buf = append(buf[:0], s.raw...)
	for _, off := range s.tfdtAt {
		// every traf of the template keeps its distance to the first
		orig := binary.BigEndian.Uint64(s.raw[off:])
		binary.BigEndian.PutUint64(buf[off:], cycleStart+s.rel+(orig-s.tfdt))
	}
	for _, off := range s.seqAt {
		binary.BigEndian.PutUint32(buf[off:], uint32(slot))
	}
	return buf
}

// SegmentSize is the size of the segment for slot.
func (t *Track) SegmentSize(slot uint64) int { return len(t.segs[slot%cycleSegments].raw) }
