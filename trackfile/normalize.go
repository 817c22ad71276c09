package trackfile

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/big"
)

// ErrRange is returned by Normalize when a time offset would move a tfdt
// (or prft/emsg time) below zero or beyond 64 bits.
var ErrRange = errors.New("trackfile: time offset out of range")

// NormalizeOptions tunes NormalizeWith; nil means defaults.
type NormalizeOptions struct {
	// Timescale is the track's mdhd timescale, the unit of the offset.
	// When set, the presentation_time of version 1 emsg boxes (which carry
	// their own timescale) is shifted by offset·emsg.timescale/Timescale;
	// when 0, emsg boxes are left untouched.
	Timescale uint32
}

// Normalize returns the segment bytes as stored in a storage track file:
// per-segment sidx boxes dropped and, when offset != 0, offset added to
// every tfdt (upgrading tfdt to version 1 and fixing trun data offsets as
// needed). With offset 0 all other bytes are unchanged.
//
// Normalize is NormalizeWith(raw, offset, nil); see there.
func Normalize(raw []byte, offset int64) ([]byte, error) {
	return NormalizeWith(raw, offset, nil)
}

// NormalizeWith implements clause 9.2 storage of a segment (design section
// 4): "the segments in order, byte-for-byte as received except that
// per-segment sidx boxes are dropped". Also dropped are ssix (it indexes a
// sidx) and a trailing mfra (its offsets are file positions of another
// file). styp, prft, emsg, moof, mdat, free and other boxes are copied.
//
// A non-zero offset (an STS in ticks, REaP clause 5.3) is added to every
// tfdt baseMediaDecodeTime (ISO/IEC 14496-12 8.8.12) and to every prft
// media_time (8.16.5, same timeline); a tfdt or prft of version 0 whose new
// value needs 64 bits is upgraded to version 1. Growing a tfdt grows its
// traf and moof: trun data_offset and saio offsets that are relative to the
// moof are moved by the bytes inserted before their target (this is more
// general than re-encoding with mp4ff's Fragment.SetTrunDataOffsets, which
// assumes the data of all truns follows the moof contiguously and in order).
// An explicit tfhd base_data_offset (forbidden by CMAF) cannot be fixed and
// is rejected with ErrMalformed. Results below 0 return ErrRange.
//
// With offset 0 and nothing to drop, the result is raw itself (not a copy).
func NormalizeWith(raw []byte, offset int64, opts *NormalizeOptions) (out []byte, err error) {
	return normalize(raw, int64(len(raw)), offset, opts)
}

// normalize is NormalizeWith for raw, the first bytes of a segment of
// size bytes: all of it, or (PrepareSegmentHead) all but the payload of
// its last box, an mdat. That mdat is never changed, so the normalized
// head is followed by the payload as it was.
func normalize(raw []byte, size int64, offset int64, opts *NormalizeOptions) (out []byte, err error) {
	defer recoverMalformed(&err, "normalize")
	spans, err := splitSegment(raw, size)
	if err != nil {
		return nil, fmt.Errorf("normalize: %w", err)
	}
	drop := 0
	for _, s := range spans {
		if dropped(s.Type) {
			drop += s.Size
		}
	}
	if offset == 0 && drop == 0 {
		return raw, nil
	}
	out = make([]byte, 0, len(raw)-drop+64)
	for _, s := range spans {
		b := raw[s.Off:min(s.End(), len(raw))] // a head's last mdat: its header
		switch {
		case dropped(s.Type):
			continue
		case offset == 0:
		case s.Type == "moof":
			if b, err = shiftMoof(b, offset); err != nil {
				return nil, fmt.Errorf("moof at offset %d: %w", s.Off, err)
			}
		case s.Type == "prft":
			if b, err = shiftPrft(b, s, offset); err != nil {
				return nil, fmt.Errorf("prft at offset %d: %w", s.Off, err)
			}
		case s.Type == "emsg" && opts != nil && opts.Timescale != 0:
			if b, err = shiftEmsg(b, s, offset, opts.Timescale); err != nil {
				return nil, fmt.Errorf("emsg at offset %d: %w", s.Off, err)
			}
		}
		out = append(out, b...)
	}
	return out, nil
}

func dropped(typ string) bool { return typ == "sidx" || typ == "ssix" || typ == "mfra" }

// shiftTime returns t+offset or ErrRange.
func shiftTime(t uint64, offset int64) (uint64, error) {
	if offset < 0 {
		if uint64(-offset) > t {
			return 0, fmt.Errorf("%w: time %d + offset %d < 0", ErrRange, t, offset)
		}
		return t - uint64(-offset), nil
	}
	if t > math.MaxUint64-uint64(offset) {
		return 0, fmt.Errorf("%w: time %d + offset %d overflows 64 bits", ErrRange, t, offset)
	}
	return t + uint64(offset), nil
}

// shiftPrft adds offset to the media_time of a prft box (ISO/IEC 14496-12
// 8.16.5: reference_track_ID, ntp_timestamp, media_time of 32 or 64 bits).
// b is the box alone; s its span (for the header length).
func shiftPrft(b []byte, s span, offset int64) ([]byte, error) {
	s.Off = 0
	v, _, err := fullBox(b, s, 12)
	if err != nil {
		return nil, err
	}
	pos := s.Hdr + 16
	var t uint64
	if v == 0 {
		t = uint64(binary.BigEndian.Uint32(b[pos:]))
	} else {
		if s.Size-pos < 8 {
			return nil, fmt.Errorf("%w: prft v1 too short", ErrMalformed)
		}
		t = binary.BigEndian.Uint64(b[pos:])
	}
	nt, err := shiftTime(t, offset)
	if err != nil {
		return nil, err
	}
	if v != 0 {
		nb := append([]byte(nil), b...)
		binary.BigEndian.PutUint64(nb[pos:], nt)
		return nb, nil
	}
	if nt <= math.MaxUint32 {
		nb := append([]byte(nil), b...)
		binary.BigEndian.PutUint32(nb[pos:], uint32(nt))
		return nb, nil
	}
	// version 0 → 1: 4 more bytes
	nb := make([]byte, 0, len(b)+4)
	nb = append(nb, b[:pos]...)
	nb = binary.BigEndian.AppendUint64(nb, nt)
	nb = append(nb, b[pos+4:]...)
	nb[s.Hdr] = 1
	setBoxSize(nb, s.Hdr, uint64(len(nb)))
	return nb, nil
}

// shiftEmsg moves the presentation_time of a version 1 emsg (ISO/IEC
// 23009-1 5.10.3.3) by offset ticks of timescale ts, converted to the emsg
// timescale and rounded to the nearest tick. Version 0 emsg times are
// relative to the segment and stay as they are.
func shiftEmsg(b []byte, s span, offset int64, ts uint32) ([]byte, error) {
	s.Off = 0
	v, _, err := fullBox(b, s, 12)
	if err != nil || v != 1 {
		return b, err
	}
	ets := binary.BigEndian.Uint32(b[s.Hdr+4:])
	pt := binary.BigEndian.Uint64(b[s.Hdr+8:])
	d := new(big.Int).Mul(big.NewInt(offset), big.NewInt(int64(ets)))
	d = roundDiv(d, big.NewInt(int64(ts)))
	if !d.IsInt64() {
		return nil, fmt.Errorf("%w: emsg offset overflow", ErrRange)
	}
	npt, err := shiftTime(pt, d.Int64())
	if err != nil {
		return nil, err
	}
	nb := append([]byte(nil), b...)
	binary.BigEndian.PutUint64(nb[s.Hdr+8:], npt)
	return nb, nil
}

// setBoxSize writes size into the header of the box at b[0:], which has a
// header of hdr bytes (16 means largesize).
func setBoxSize(b []byte, hdr int, size uint64) {
	if hdr == 16 {
		binary.BigEndian.PutUint64(b[8:], size)
		return
	}
	binary.BigEndian.PutUint32(b, uint32(size))
}
