package trackfile

import (
	"errors"
	"fmt"
	"io"
)

// ErrMismatch is returned by WriteTrackFile when a segment's bytes do not
// match the SegmentInfo the head was written for (size, time or duration):
// the sidx would lie, so the file must not be completed.
var ErrMismatch = errors.New("trackfile: segment does not match its index entry")

// PrepareSegment parses a received segment against its header, normalizes
// it for a storage track file with the time offset (STS·timescale, see
// NormalizeWith) and returns the normalized bytes with their SegmentInfo
// for segment index n. It is what a finalizer calls per segment, once to
// learn the sizes for the head and once more when streaming the file.
func PrepareSegment(raw []byte, h *Header, n, offset int64) ([]byte, SegmentInfo, error) {
	seg, err := ParseSegment(raw, h)
	if err != nil {
		return nil, SegmentInfo{}, err
	}
	var ts uint32
	if h != nil {
		ts = h.Info.Timescale
	}
	norm, err := NormalizeWith(raw, offset, &NormalizeOptions{Timescale: ts})
	if err != nil {
		return nil, SegmentInfo{}, err
	}
	t, err := shiftTime(seg.BaseDecodeTime, offset)
	if err != nil {
		return nil, SegmentInfo{}, err
	}
	ept, err := shiftTime(seg.EPT, offset)
	if err != nil {
		return nil, SegmentInfo{}, err
	}
	return norm, SegmentInfo{N: n, Time: t, EPT: ept, Duration: seg.Duration, Size: int64(len(norm)),
		StartsWithSAP: seg.StartsWithSAP, SAPType: seg.SAPType}, nil
}

// WriteTrackFile writes a whole storage track file (clause 9.2; design
// section 4): the head (WriteHead) and then segment i = 0, 1, … as
// returned by next(i), which must be the normalized bytes (Normalize or
// PrepareSegment) described by segs[i]. Only one segment is held at a
// time. Each segment is re-parsed against h and must have the size, tfdt
// and duration of segs[i], else ErrMismatch: a storage track file whose
// sidx does not match its segments is never completed.
func WriteTrackFile(w io.Writer, h *Header, segs []SegmentInfo, next func(i int) ([]byte, error)) (HeadLayout, error) {
	lay, err := WriteHead(w, h, segs)
	if err != nil {
		return HeadLayout{}, err
	}
	for i, info := range segs {
		b, err := next(i)
		if err != nil {
			return HeadLayout{}, fmt.Errorf("trackfile: segment %d (n=%d): %w", i, info.N, err)
		}
		if int64(len(b)) != info.Size {
			return HeadLayout{}, fmt.Errorf("%w: segment %d (n=%d) has %d bytes, index says %d", ErrMismatch, i, info.N, len(b), info.Size)
		}
		seg, err := ParseSegment(b, h)
		if err != nil {
			return HeadLayout{}, fmt.Errorf("trackfile: segment %d (n=%d): %w", i, info.N, err)
		}
		if seg.BaseDecodeTime != info.Time || seg.Duration != info.Duration {
			return HeadLayout{}, fmt.Errorf("%w: segment %d (n=%d) has tfdt %d duration %d, index says %d and %d",
				ErrMismatch, i, info.N, seg.BaseDecodeTime, seg.Duration, info.Time, info.Duration)
		}
		if _, err := w.Write(b); err != nil {
			return HeadLayout{}, err
		}
	}
	return lay, nil
}
