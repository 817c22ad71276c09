package trackfile

import (
	"encoding/binary"
	"fmt"

	"github.com/Eyevinn/mp4ff/mp4"
)

// sampleIsNonSync is the sample_is_non_sync_sample bit of sample flags
// (ISO/IEC 14496-12 8.8.3.1).
const sampleIsNonSync = 0x00010000

// ParseSegment parses a media segment (or a single fragment) against its
// header; h may be nil, then only tfhd defaults are used.
//
// ISO/IEC 23000-19 7.3.3 (CMAF segment, CMAF chunk) and REaP clause 6.2:
// a segment is optional styp, prft, emsg (and sidx) boxes followed by one
// or more CMAF chunks, each a moof with exactly one traf (with tfdt)
// directly followed by its mdat. A trailing mfra (ffmpeg writes one at the
// end of a plain fragmented MP4) is accepted and ignored.
//
// ISO/IEC 14496-12 8.8.12 (tfdt): "baseMediaDecodeTime is an integer equal
// to the sum of the decode durations of all earlier samples in the media";
// 8.8.8 (trun): sample durations, sizes, flags and composition time offsets
// (signed in version 1), defaulting to the tfhd and then the trex values.
func ParseSegment(raw []byte, h *Header) (seg *Segment, err error) {
	return parseSegment(raw, int64(len(raw)), h)
}

// ParseSegmentHead parses a media segment of size bytes of which only
// head is in memory: the segment up to and including the header of its
// last box, an mdat that runs to the end of the segment (a file store
// spools the payload to disk as it arrives, see SegmentHeadLen). It checks
// what ParseSegment checks, which never reads an mdat's payload. The
// Segment's Raw is head.
func ParseSegmentHead(head []byte, size int64, h *Header) (*Segment, error) {
	return parseSegment(head, size, h)
}

// SegmentHeadLen reports how many leading bytes of head, the first bytes
// of a body of size bytes, ParseSegmentHead needs: the boxes before the
// body's last box and that box's header, when the last box is an mdat
// that ends exactly at size. ok is false while head does not reach the
// last box's header, and for a body that does not end with such an mdat:
// what was read is then not a segment head (a CMAF header, a segment with
// a trailing mfra, or a malformed body: ParseSegment tells).
func SegmentHeadLen(head []byte, size int64) (n int, ok bool) {
	off, hdr, ok := lastMdat(head, size)
	return off + hdr, ok
}

// lastMdat returns where the last box of a body of size bytes starts and
// its header length, when head reaches that header and the box is an
// mdat (SegmentHeadLen).
func lastMdat(head []byte, size int64) (off, hdr int, ok bool) {
	for {
		if len(head)-off < 8 {
			return 0, 0, false
		}
		bs := int64(binary.BigEndian.Uint32(head[off:]))
		hdr = 8
		if bs == 1 {
			if len(head)-off < 16 {
				return 0, 0, false
			}
			bs, hdr = int64(binary.BigEndian.Uint64(head[off+8:])), 16
		}
		if bs < int64(hdr) || bs > size-int64(off) {
			return 0, 0, false
		}
		if int64(off)+bs == size {
			return off, hdr, string(head[off+4:off+8]) == "mdat"
		}
		off += int(bs)
	}
}

// parseSegment parses raw, the first bytes of a segment of size bytes:
// all of it, or (ParseSegmentHead) all but the payload of its last box.
func parseSegment(raw []byte, size int64, h *Header) (seg *Segment, err error) {
	defer recoverMalformed(&err, "media segment")
	if len(raw) >= 8 && !isTopLevelType(string(raw[4:8])) {
		return nil, fmt.Errorf("%w: segment starts with box type %q", ErrNotISOBMFF, raw[4:8])
	}
	spans, err := splitSegment(raw, size)
	if err != nil {
		return nil, fmt.Errorf("media segment: %w", err)
	}
	p := segParser{seg: &Segment{Raw: raw, size: size}, h: h, raw: raw}
	var pending *fragment // a moof waiting for its mdat
	for i, s := range spans {
		if pending != nil && s.Type != "mdat" && s.Type != "free" && s.Type != "skip" {
			return nil, fmt.Errorf("%w: box %q at offset %d between moof and mdat", ErrMalformed, s.Type, s.Off)
		}
		switch s.Type {
		case "styp":
			if p.seg.Brands == nil {
				b, err := decodeBox(raw, s)
				if err != nil {
					return nil, err
				}
				st := b.(*mp4.StypBox)
				p.seg.Brands = brandList(st.MajorBrand(), st.CompatibleBrands())
			}
		case "prft":
			if _, err := decodeBox(raw, s); err != nil {
				return nil, err
			}
			p.seg.HasPrft = true
		case "moof":
			if pending, err = p.moof(s); err != nil {
				return nil, err
			}
		case "mdat":
			if pending == nil {
				return nil, fmt.Errorf("%w: mdat at offset %d without moof", ErrMalformed, s.Off)
			}
			if err := pending.checkData(s); err != nil {
				return nil, err
			}
			pending = nil
		case "mfra":
			if i != len(spans)-1 {
				return nil, fmt.Errorf("%w: mfra at offset %d is not the last box", ErrMalformed, s.Off)
			}
		case "emsg", "emib", "emeb", "sidx", "ssix", "free", "skip", "uuid":
		case "ftyp", "moov":
			return nil, fmt.Errorf("%w: CMAF header box %q at offset %d in a media segment", ErrMalformed, s.Type, s.Off)
		default:
			return nil, fmt.Errorf("%w: unexpected box %q at offset %d in a media segment", ErrMalformed, s.Type, s.Off)
		}
	}
	if pending != nil {
		return nil, fmt.Errorf("%w: moof at offset %d has no mdat (truncated segment?)", ErrMalformed, pending.off)
	}
	if p.seg.Fragments == 0 {
		return nil, fmt.Errorf("%w: media segment has no moof", ErrMalformed)
	}
	p.finish()
	return p.seg, nil
}

type segParser struct {
	seg     *Segment
	h       *Header
	raw     []byte
	minPT   uint64
	firstPT uint64
	samples bool // at least one sample seen
}

// fragment is a parsed moof and where its sample data must lie.
type fragment struct {
	off    int
	ranges [][2]int64 // sample data byte ranges in segment coordinates
}

func (p *segParser) moof(s span) (*fragment, error) {
	b, err := decodeBox(p.raw, s)
	if err != nil {
		return nil, err
	}
	moof := b.(*mp4.MoofBox)
	if err := sameLayout(p.raw, s, moof.Children); err != nil {
		return nil, err
	}
	if moof.Mfhd == nil {
		return nil, fmt.Errorf("%w: moof at offset %d has no mfhd", ErrMalformed, s.Off)
	}
	if len(moof.Trafs) != 1 {
		return nil, fmt.Errorf("%w: moof at offset %d has %d trafs, a CMAF fragment has 1", ErrMalformed, s.Off, len(moof.Trafs))
	}
	traf := moof.Trafs[0]
	if traf.Tfhd == nil || traf.Tfdt == nil {
		return nil, fmt.Errorf("%w: traf at offset %d lacks tfhd or tfdt", ErrMalformed, s.Off)
	}
	tfhd, seg := traf.Tfhd, p.seg
	if seg.Fragments == 0 {
		seg.TrackID = tfhd.TrackID
		seg.SequenceNumber = moof.Mfhd.SequenceNumber
		seg.BaseDecodeTime = traf.Tfdt.BaseMediaDecodeTime()
		if p.h != nil && p.h.Info.TrackID != tfhd.TrackID {
			return nil, fmt.Errorf("%w: fragment of track %d, header is of track %d", ErrMalformed, tfhd.TrackID, p.h.Info.TrackID)
		}
	} else if tfhd.TrackID != seg.TrackID {
		return nil, fmt.Errorf("%w: moof at offset %d is of track %d, segment of track %d", ErrMalformed, s.Off, tfhd.TrackID, seg.TrackID)
	}
	seg.Fragments++
	f := &fragment{off: s.Off}
	dts := traf.Tfdt.BaseMediaDecodeTime()
	checkable := !tfhd.HasBaseDataOffset()
	var cursor int64 = int64(s.Off) // data offsets are relative to the moof (single traf)
	for ti, trun := range traf.Truns {
		var dataLen int64
		for i, smp := range trun.Samples {
			dur, ok := p.sampleDuration(trun, tfhd, smp)
			if !ok {
				return nil, fmt.Errorf("%w: moof at offset %d: no sample duration in trun, tfhd or trex", ErrMalformed, s.Off)
			}
			size, ok := p.sampleSize(trun, tfhd, smp)
			checkable = checkable && ok
			dataLen += int64(size)
			pt := addSigned(dts, compositionOffset(trun, smp))
			if !p.samples {
				p.samples = true
				p.minPT, p.firstPT = pt, pt
				seg.FirstSampleDur = dur
				seg.StartsWithSAP = p.firstFlags(trun, tfhd, i)&sampleIsNonSync == 0
			}
			p.minPT = min(p.minPT, pt)
			seg.Samples++
			seg.Duration += uint64(dur)
			dts += uint64(dur)
		}
		switch {
		case trun.HasDataOffset():
			cursor = int64(s.Off) + int64(trun.DataOffset)
		case ti == 0:
			checkable = false // implicit offset of a first trun: nothing to check against
		}
		f.ranges = append(f.ranges, [2]int64{cursor, cursor + dataLen})
		cursor += dataLen
	}
	if !checkable {
		f.ranges = nil
	}
	return f, nil
}

// sameLayout checks that the children mp4ff decoded in container s (and,
// for a moof, in its trafs) are exactly the boxes the raw bytes declare:
// mp4ff sizes some boxes by their content rather than their header, so a
// box with trailing bytes would hide boxes from one view and not the other
// (Normalize patches the raw layout that ParseSegment must agree with).
func sameLayout(raw []byte, s span, kids []mp4.Box) error {
	spans, err := children(raw, s, 0)
	if err != nil {
		return err
	}
	if len(spans) != len(kids) {
		return fmt.Errorf("%w: %s at offset %d: %d child boxes declared, %d decoded", ErrMalformed, s.Type, s.Off, len(spans), len(kids))
	}
	for i, k := range kids {
		if k.Type() != spans[i].Type || k.Size() != uint64(spans[i].Size) {
			return fmt.Errorf("%w: %s at offset %d: box %q of %d bytes decodes as %q of %d bytes",
				ErrMalformed, s.Type, s.Off, spans[i].Type, spans[i].Size, k.Type(), k.Size())
		}
		if traf, ok := k.(*mp4.TrafBox); ok {
			if err := sameLayout(raw, spans[i], traf.Children); err != nil {
				return err
			}
		}
	}
	return nil
}

// checkData verifies that every trun's sample data lies inside mdat m.
func (f *fragment) checkData(m span) error {
	lo, hi := int64(m.Off+m.Hdr), int64(m.End())
	for _, r := range f.ranges {
		if r[1] > r[0] && (r[0] < lo || r[1] > hi) {
			return fmt.Errorf("%w: moof at offset %d: sample data [%d,%d) outside its mdat [%d,%d)",
				ErrMalformed, f.off, r[0], r[1], lo, hi)
		}
	}
	return nil
}

func (p *segParser) sampleDuration(trun *mp4.TrunBox, tfhd *mp4.TfhdBox, s mp4.Sample) (uint32, bool) {
	switch {
	case trun.HasSampleDuration():
		return s.Dur, true
	case tfhd.HasDefaultSampleDuration():
		return tfhd.DefaultSampleDuration, true
	case p.h != nil:
		return p.h.DefaultSampleDuration, true
	}
	return 0, false
}

func (p *segParser) sampleSize(trun *mp4.TrunBox, tfhd *mp4.TfhdBox, s mp4.Sample) (uint32, bool) {
	switch {
	case trun.HasSampleSize():
		return s.Size, true
	case tfhd.HasDefaultSampleSize():
		return tfhd.DefaultSampleSize, true
	case p.h != nil:
		return p.h.DefaultSampleSize, true
	}
	return 0, false
}

// firstFlags returns the flags of sample i of trun: first_sample_flags,
// else the sample's own flags, else the tfhd default, else the trex default.
func (p *segParser) firstFlags(trun *mp4.TrunBox, tfhd *mp4.TfhdBox, i int) uint32 {
	if f, ok := trun.FirstSampleFlags(); ok && i == 0 {
		return f
	}
	switch {
	case trun.HasSampleFlags():
		return trun.Samples[i].Flags
	case tfhd.HasDefaultSampleFlags():
		return tfhd.DefaultSampleFlags
	case p.h != nil:
		return p.h.DefaultSampleFlags
	}
	return 0
}

// compositionOffset returns the composition time offset of s: unsigned in
// trun version 0, signed in version 1 (ISO/IEC 14496-12 8.8.8.2).
func compositionOffset(trun *mp4.TrunBox, s mp4.Sample) int64 {
	if !trun.HasSampleCompositionTimeOffset() {
		return 0
	}
	if trun.Version == 0 {
		return int64(uint32(s.CompositionTimeOffset))
	}
	return int64(s.CompositionTimeOffset)
}

// addSigned returns t+d, clamped at 0.
func addSigned(t uint64, d int64) uint64 {
	if d < 0 && uint64(-d) > t {
		return 0
	}
	return t + uint64(d)
}

// finish sets EPT and the SAP type (ISO/IEC 14496-12 Annex I: type 1 when
// the first sample in decoding order is also the first in presentation
// order, type 2 when a later-decoded sample is presented earlier).
func (p *segParser) finish() {
	seg := p.seg
	if !p.samples {
		seg.EPT = seg.BaseDecodeTime
		return
	}
	seg.EPT = p.minPT
	if seg.StartsWithSAP {
		seg.SAPType = 1
		if p.firstPT > p.minPT {
			seg.SAPType = 2
		}
	}
}
