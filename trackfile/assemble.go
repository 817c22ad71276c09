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
	return PrepareSegmentHead(raw, int64(len(raw)), h, n, offset)
}

// PrepareSegmentHead is PrepareSegment for a segment of size bytes of
// which only head is in memory: all of it, or the bytes before its last
// mdat's payload (SegmentHeadLen, ParseSegmentHead). It returns the
// normalized head, which the payload follows unchanged, and the
// SegmentInfo of the whole normalized segment: a finalizer learns the
// sizes for a track file's sidx without reading any media data.
func PrepareSegmentHead(head []byte, size int64, h *Header, n, offset int64) ([]byte, SegmentInfo, error) {
	seg, err := parseSegment(head, size, h)
	if err != nil {
		return nil, SegmentInfo{}, err
	}
	var ts uint32
	if h != nil {
		ts = h.Info.Timescale
	}
	norm, err := normalize(head, size, offset, &NormalizeOptions{Timescale: ts})
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
	return norm, SegmentInfo{N: n, Time: t, EPT: ept, Duration: seg.Duration, Size: int64(len(norm)) + size - int64(len(head)),
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
	return WriteTrackFileFrom(w, h, segs, func(i int) (SegmentPart, error) {
		b, err := next(i)
		return SegmentPart{Head: b}, err
	})
}

// A SegmentPart is one normalized segment for WriteTrackFileFrom: Head,
// all its bytes or those before its last mdat's payload (PrepareSegmentHead),
// and Payload, the reader of the rest (nil when Head is all of it).
type SegmentPart struct {
	Head    []byte
	Payload io.Reader
}

// copyChunk is the buffer WriteTrackFileFrom copies payloads through.
const copyChunk = 256 << 10

// WriteTrackFileFrom is WriteTrackFile with segments whose media data is
// streamed from a reader rather than held in memory: it holds one segment
// head and one copy buffer at a time, whatever the segments' size. Each
// head is parsed against h for the size, tfdt and duration of segs[i]
// (else ErrMismatch), and exactly the payload bytes that size leaves are
// copied from the part's Payload (fewer is ErrMismatch too).
func WriteTrackFileFrom(w io.Writer, h *Header, segs []SegmentInfo, next func(i int) (SegmentPart, error)) (HeadLayout, error) {
	lay, err := WriteHead(w, h, segs)
	if err != nil {
		return HeadLayout{}, err
	}
	var buf []byte
	for i, info := range segs {
		p, err := next(i)
		if err != nil {
			return HeadLayout{}, fmt.Errorf("trackfile: segment %d (n=%d): %w", i, info.N, err)
		}
		rest := info.Size - int64(len(p.Head))
		if rest < 0 || (rest > 0 && p.Payload == nil) {
			return HeadLayout{}, fmt.Errorf("%w: segment %d (n=%d) has %d bytes, index says %d", ErrMismatch, i, info.N, len(p.Head), info.Size)
		}
		seg, err := ParseSegmentHead(p.Head, info.Size, h)
		if err != nil {
			return HeadLayout{}, fmt.Errorf("trackfile: segment %d (n=%d): %w", i, info.N, err)
		}
		if seg.BaseDecodeTime != info.Time || seg.Duration != info.Duration {
			return HeadLayout{}, fmt.Errorf("%w: segment %d (n=%d) has tfdt %d duration %d, index says %d and %d",
				ErrMismatch, i, info.N, seg.BaseDecodeTime, seg.Duration, info.Time, info.Duration)
		}
		if _, err := w.Write(p.Head); err != nil {
			return HeadLayout{}, err
		}
		if rest == 0 {
			continue
		}
		if buf == nil {
			buf = make([]byte, copyChunk)
		}
		n, err := io.CopyBuffer(w, io.LimitReader(p.Payload, rest), buf)
		if err != nil {
			return HeadLayout{}, fmt.Errorf("trackfile: segment %d (n=%d) payload: %w", i, info.N, err)
		}
		if n != rest {
			return HeadLayout{}, fmt.Errorf("%w: segment %d (n=%d) has %d bytes, index says %d", ErrMismatch, i, info.N, int64(len(p.Head))+n, info.Size)
		}
	}
	return lay, nil
}
