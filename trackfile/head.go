package trackfile

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"

	"github.com/Eyevinn/mp4ff/bits"
	"github.com/Eyevinn/mp4ff/mp4"
)

// FileHead is the parsed head of a storage track file.
type FileHead struct {
	Header   *Header
	Layout   HeadLayout
	Segments []SegmentRef // N is relative (0, 1, …): the file does not know the grid
}

// MaxHeadBox bounds each box ReadHead reads (a moov or the sidx).
const MaxHeadBox = 16 << 20

// buildSidx builds the sidx of a storage track file.
//
// ISO/IEC 14496-12 8.16.3 (SegmentIndexBox), as the reapd design fixes it
// for clause 9.2: version 1 (64-bit earliest_presentation_time: epoch
// times do not fit 32 bits), reference_ID = track_ID, timescale = mdhd
// timescale, earliest_presentation_time = the first segment's EPT on the
// epoch timeline, first_offset 0 (the first segment follows the sidx), one
// reference_type 0 reference per segment: referenced_size = its size,
// subsegment_duration = its duration, starts_with_SAP and SAP_type from its
// first sample, SAP_delta_time 0 (the SAP is the first sample).
func buildSidx(h *Header, segs []SegmentInfo) (*mp4.SidxBox, error) {
	if h == nil || h.Info.Timescale == 0 {
		return nil, fmt.Errorf("%w: sidx needs a header with a timescale", ErrMalformed)
	}
	if len(segs) == 0 || len(segs) > math.MaxUint16 {
		return nil, fmt.Errorf("%w: sidx needs 1 to %d segments, got %d", ErrRange, math.MaxUint16, len(segs))
	}
	sidx := &mp4.SidxBox{Version: 1, ReferenceID: h.Info.TrackID, Timescale: h.Info.Timescale,
		EarliestPresentationTime: segs[0].EPT, SidxRefs: make([]mp4.SidxRef, len(segs))}
	for i, s := range segs {
		if s.Size <= 0 || s.Size > 0x7fffffff {
			return nil, fmt.Errorf("%w: segment %d size %d does not fit a sidx reference", ErrRange, i, s.Size)
		}
		if s.Duration > math.MaxUint32 {
			return nil, fmt.Errorf("%w: segment %d duration %d does not fit a sidx reference", ErrRange, i, s.Duration)
		}
		ref := mp4.SidxRef{ReferencedSize: uint32(s.Size), SubSegmentDuration: uint32(s.Duration)}
		if s.StartsWithSAP {
			ref.StartsWithSAP, ref.SAPType = 1, s.SAPType&0x7
		}
		sidx.SidxRefs[i] = ref
	}
	return sidx, nil
}

// WriteHead writes the CMAF header and one sidx v1 for the given segments
// (reference_ID = track_ID, timescale = mdhd timescale, EPT = segs[0].EPT,
// one type-0 reference per segment). The bytes are a function of h.Raw and
// segs only, so redundant archivers write identical heads.
//
// Clause 9.2 storage track file (design section 4): "the CMAF header as
// received, then one sidx v1 […], then the segments in order". ISO/IEC
// 14496-12 8.16.3.3: first_offset is the distance from the anchor point
// (the first byte after the sidx) to the first indexed byte, so 0 puts the
// first segment right after the sidx.
func WriteHead(w io.Writer, h *Header, segs []SegmentInfo) (HeadLayout, error) {
	sidx, err := buildSidx(h, segs)
	if err != nil {
		return HeadLayout{}, err
	}
	sw := bits.NewFixedSliceWriter(int(sidx.Size()))
	if err := sidx.EncodeSW(sw); err != nil {
		return HeadLayout{}, fmt.Errorf("trackfile: encoding sidx: %w", err)
	}
	n := int64(len(h.Raw))
	lay := HeadLayout{Init: ByteRange{0, n}, Index: ByteRange{n, n + int64(sidx.Size())}}
	if _, err := w.Write(h.Raw); err != nil {
		return HeadLayout{}, err
	}
	if _, err := w.Write(sw.Bytes()); err != nil {
		return HeadLayout{}, err
	}
	return lay, nil
}

// ReadHead reads the header and sidx at the start of a storage track file.
// It reads no further than the end of the sidx, so r may be a range read
// of the first bytes of the file. Segment offsets are absolute (anchor
// point = end of the sidx, ISO/IEC 14496-12 8.16.3.3, plus first_offset);
// times start at the sidx earliest_presentation_time.
func ReadHead(r io.Reader) (fh *FileHead, err error) {
	br := NewBoxReader(r, MaxHeadBox)
	var head bytes.Buffer
	for {
		b, err := br.Next()
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%w: storage track file head: no sidx after the header", ErrMalformed)
		}
		if err != nil {
			return nil, fmt.Errorf("storage track file head: %w", err)
		}
		if b.Type == "sidx" {
			return parseHead(head.Bytes(), b.Raw)
		}
		if b.Type != "ftyp" && b.Type != "moov" && b.Type != "free" && b.Type != "skip" {
			return nil, fmt.Errorf("%w: storage track file head: unexpected box %q before the sidx", ErrMalformed, b.Type)
		}
		head.Write(b.Raw)
	}
}

func parseHead(raw, sidxRaw []byte) (fh *FileHead, err error) {
	defer recoverMalformed(&err, "sidx")
	h, err := ParseHeader(raw)
	if err != nil {
		return nil, err
	}
	box, err := decodeBox(sidxRaw, span{Type: "sidx", Hdr: 8, Size: len(sidxRaw)})
	if err != nil {
		return nil, err
	}
	sidx := box.(*mp4.SidxBox)
	if sidx.Timescale != h.Info.Timescale {
		return nil, fmt.Errorf("%w: sidx timescale %d, track timescale %d", ErrMalformed, sidx.Timescale, h.Info.Timescale)
	}
	n := int64(len(raw))
	fh = &FileHead{Header: h, Layout: HeadLayout{Init: ByteRange{0, n}, Index: ByteRange{n, n + int64(len(sidxRaw))}}}
	if sidx.FirstOffset > math.MaxInt32 {
		return nil, fmt.Errorf("%w: sidx first_offset %d", ErrMalformed, sidx.FirstOffset)
	}
	off := fh.Layout.Index.End + int64(sidx.FirstOffset)
	t := sidx.EarliestPresentationTime
	fh.Segments = make([]SegmentRef, 0, len(sidx.SidxRefs))
	for i, ref := range sidx.SidxRefs {
		if ref.ReferenceType != 0 {
			return nil, fmt.Errorf("%w: sidx reference %d points to another sidx (hierarchical index not supported)", ErrMalformed, i)
		}
		fh.Segments = append(fh.Segments, SegmentRef{Time: t, Duration: uint64(ref.SubSegmentDuration),
			Offset: off, Size: int64(ref.ReferencedSize), SAP: ref.StartsWithSAP == 1})
		off += int64(ref.ReferencedSize)
		t += uint64(ref.SubSegmentDuration)
	}
	return fh, nil
}
