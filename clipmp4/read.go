package clipmp4

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"

	"github.com/Eyevinn/mp4ff/bits"
	"github.com/Eyevinn/mp4ff/mp4"
	"github.com/reapd/reapd/trackfile"
)

// sample is one sample of a fragment, as the plan needs it.
type sample struct {
	size, dur uint32
	cto       int32 // composition time offset (signed)
	sync      bool
}

// run is the samples of one trun and where their data starts in the
// segment (relative to Segment.Offset); the data is contiguous.
type run struct {
	dataOff int64
	samples []sample
}

// frag is one CMAF chunk (moof+mdat) of a segment: its decode time and
// runs, the byte range from moof to the end of its mdat (relative to
// Segment.Offset), and where in the moof the mfhd sequence_number and the
// tfhd track_ID are (for fragmented output, which renumbers them).
type frag struct {
	tfdt          uint64
	start, end    int64
	seqOff, tidOf int32
	runs          []run
}

// maxMoof bounds a moof the plan reads into memory.
const maxMoof = 16 << 20

// How far a reader reads on and discards rather than opening a new range
// read. The plan pass skips mdat payloads: a short one (audio) is read
// through, a longer one costs a new range read, so that planning reads
// little more than the moofs (the write pass reads the media once). The
// write pass only skips the boxes between the chunks of a segment.
const (
	planSkip  = 16 << 10
	writeSkip = 256 << 10
)

// rangeCursor reads forward through bytes [base, end) of one object,
// discarding short skips and reopening the range for long ones.
type rangeCursor struct {
	ctx       context.Context
	src       Source
	key       string
	pos, end  int64
	rc        io.ReadCloser
	skip      int64 // longest forward skip read through (planSkip, writeSkip)
	discarded int64
}

// seek moves to absolute object offset pos (forward or backward).
func (c *rangeCursor) seek(pos int64) error {
	if c.rc != nil && pos >= c.pos && pos-c.pos <= c.skip {
		n, err := io.CopyN(io.Discard, c.rc, pos-c.pos)
		c.pos += n
		c.discarded += n
		if err != nil {
			return c.readErr(err)
		}
		return nil
	}
	c.close()
	c.pos = pos
	return nil
}

// Read reads from the current position, opening the range on first use.
func (c *rangeCursor) Read(p []byte) (int, error) {
	if c.pos >= c.end {
		return 0, io.EOF
	}
	if c.rc == nil {
		rc, err := c.src.NewRangeReader(c.ctx, c.key, c.pos, c.end-c.pos)
		if err != nil {
			return 0, fmt.Errorf("read %s at %d: %w", c.key, c.pos, err)
		}
		c.rc = rc
	}
	p = p[:min(int64(len(p)), c.end-c.pos)]
	n, err := c.rc.Read(p)
	c.pos += int64(n)
	if err == io.EOF && c.pos < c.end {
		err = c.readErr(io.ErrUnexpectedEOF)
	}
	return n, err
}

func (c *rangeCursor) readErr(err error) error {
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return fmt.Errorf("%w: %s is shorter than its index says (at %d)", ErrMalformed, c.key, c.pos)
	}
	return err
}

func (c *rangeCursor) close() {
	if c.rc != nil {
		_ = c.rc.Close()
		c.rc = nil
	}
}

// readFrags reads the moofs of one segment (box headers, moofs; mdat
// payloads skipped) and parses them with the defaults of header h.
func readFrags(ctx context.Context, src Source, seg Segment, h *trackfile.Header) (frags []frag, err error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	c := &rangeCursor{ctx: ctx, src: src, key: seg.Key, pos: seg.Offset, end: seg.Offset + seg.Size, skip: planSkip}
	defer c.close()
	var hdr [16]byte
	var pending *frag // a moof waiting for its mdat
	for off := int64(0); off < seg.Size; {
		if err := c.seek(seg.Offset + off); err != nil {
			return nil, err
		}
		if seg.Size-off < 8 {
			return nil, fmt.Errorf("%w: %s: %d stray bytes at the end of a segment", ErrMalformed, seg.Key, seg.Size-off)
		}
		if _, err := io.ReadFull(c, hdr[:8]); err != nil {
			return nil, c.readErr(err)
		}
		size, hlen := int64(binary.BigEndian.Uint32(hdr[:4])), int64(8)
		typ := string(hdr[4:8])
		if size == 1 {
			if _, err := io.ReadFull(c, hdr[8:16]); err != nil {
				return nil, c.readErr(err)
			}
			size, hlen = int64(binary.BigEndian.Uint64(hdr[8:16])), 16
		}
		if size == 0 {
			size = seg.Size - off
		}
		if size < hlen || size > seg.Size-off {
			return nil, fmt.Errorf("%w: %s: box %q of %d bytes at %d overruns its segment", ErrMalformed, seg.Key, typ, size, off)
		}
		switch typ {
		case "moof":
			if pending != nil {
				return nil, fmt.Errorf("%w: %s: moof at %d without an mdat", ErrMalformed, seg.Key, pending.start)
			}
			if size > maxMoof {
				return nil, fmt.Errorf("%w: %s: moof of %d bytes", ErrUnsupported, seg.Key, size)
			}
			raw := make([]byte, size)
			copy(raw, hdr[:hlen])
			if _, err := io.ReadFull(c, raw[hlen:]); err != nil {
				return nil, c.readErr(err)
			}
			f, err := parseMoof(raw, off, h)
			if err != nil {
				return nil, fmt.Errorf("%s at %d: %w", seg.Key, off, err)
			}
			pending = f
		case "mdat":
			if pending == nil {
				return nil, fmt.Errorf("%w: %s: mdat at %d without a moof", ErrMalformed, seg.Key, off)
			}
			for i := range pending.runs {
				r := &pending.runs[i]
				if r.dataOff < 0 { // implicit: the start of the mdat payload
					r.dataOff = off + hlen
					if i > 0 {
						p := &pending.runs[i-1]
						r.dataOff = p.dataOff + runBytes(p)
					}
				}
				if r.dataOff < off+hlen || r.dataOff+runBytes(r) > off+size {
					return nil, fmt.Errorf("%w: %s: sample data of the moof at %d outside its mdat", ErrMalformed, seg.Key, pending.start)
				}
			}
			pending.end = off + size
			frags = append(frags, *pending)
			pending = nil
		}
		off += size
	}
	if pending != nil {
		return nil, fmt.Errorf("%w: %s: moof at %d has no mdat", ErrMalformed, seg.Key, pending.start)
	}
	return frags, nil
}

// runBytes returns the size of a run's sample data.
func runBytes(r *run) int64 {
	var n int64
	for _, s := range r.samples {
		n += int64(s.size)
	}
	return n
}

// sampleIsNonSync is the sample_is_non_sync_sample bit of sample flags
// (ISO/IEC 14496-12 8.8.3.1).
const sampleIsNonSync = 0x00010000

// parseMoof parses one moof (raw, at offset off of its segment) of a single
// traf into a frag whose run data offsets are segment-relative (-1: the
// start of the following mdat's payload).
func parseMoof(raw []byte, off int64, h *trackfile.Header) (f *frag, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: moof: decoder panic: %v", ErrMalformed, r)
		}
	}()
	box, err := mp4.DecodeBoxSR(0, bits.NewFixedSliceReader(raw))
	if err != nil {
		return nil, fmt.Errorf("%w: moof: %v", ErrMalformed, err)
	}
	moof, ok := box.(*mp4.MoofBox)
	if !ok || moof.Mfhd == nil || len(moof.Trafs) != 1 || moof.Traf.Tfhd == nil || moof.Traf.Tfdt == nil {
		return nil, fmt.Errorf("%w: not a CMAF moof (one traf with tfhd and tfdt)", ErrMalformed)
	}
	traf, tfhd := moof.Traf, moof.Traf.Tfhd
	if tfhd.HasBaseDataOffset() {
		return nil, fmt.Errorf("%w: tfhd with a base data offset", ErrUnsupported)
	}
	f = &frag{tfdt: traf.Tfdt.BaseMediaDecodeTime(), start: off, seqOff: -1, tidOf: -1}
	f.seqOff, f.tidOf = fieldOffsets(raw)
	for _, trun := range traf.Truns {
		r := run{dataOff: -1, samples: make([]sample, len(trun.Samples))}
		if trun.HasDataOffset() {
			r.dataOff = off + int64(trun.DataOffset) // relative to the moof (one traf)
		}
		for i, s := range trun.Samples {
			smp := &r.samples[i]
			smp.dur = field(trun.HasSampleDuration(), s.Dur, tfhd.HasDefaultSampleDuration(), tfhd.DefaultSampleDuration, h.DefaultSampleDuration)
			smp.size = field(trun.HasSampleSize(), s.Size, tfhd.HasDefaultSampleSize(), tfhd.DefaultSampleSize, h.DefaultSampleSize)
			flags := h.DefaultSampleFlags
			if fs, ok := trun.FirstSampleFlags(); ok && i == 0 {
				flags = fs
			} else if trun.HasSampleFlags() {
				flags = s.Flags
			} else if tfhd.HasDefaultSampleFlags() {
				flags = tfhd.DefaultSampleFlags
			}
			smp.sync = flags&sampleIsNonSync == 0
			if trun.HasSampleCompositionTimeOffset() {
				smp.cto = s.CompositionTimeOffset
				if trun.Version == 0 && smp.cto < 0 {
					return nil, fmt.Errorf("%w: composition offset beyond 2^31", ErrUnsupported)
				}
			}
		}
		if r.dataOff < 0 && len(f.runs) > 0 {
			p := &f.runs[len(f.runs)-1]
			if p.dataOff >= 0 {
				r.dataOff = p.dataOff + runBytes(p)
			}
		}
		f.runs = append(f.runs, r)
	}
	return f, nil
}

// field returns a sample's value: the trun's when it has one, else the
// tfhd default when given, else the trex default (ISO/IEC 14496-12 8.8.7).
func field(inTrun bool, v uint32, inTfhd bool, tfhdV, trexV uint32) uint32 {
	switch {
	case inTrun:
		return v
	case inTfhd:
		return tfhdV
	}
	return trexV
}

// fieldOffsets returns the offsets in a moof of the mfhd sequence_number
// and the tfhd track_ID (-1 if not found).
func fieldOffsets(moof []byte) (seq, tid int32) {
	seq, tid = -1, -1
	walk := func(b []byte, base int, fn func(typ string, at, size int)) {
		for i := 0; i+8 <= len(b); {
			size := int(binary.BigEndian.Uint32(b[i:]))
			if size < 8 || i+size > len(b) {
				return
			}
			fn(string(b[i+4:i+8]), base+i, size)
			i += size
		}
	}
	walk(moof[8:], 8, func(typ string, at, size int) {
		switch typ {
		case "mfhd":
			if size >= 16 {
				seq = int32(at + 12)
			}
		case "traf":
			walk(moof[at+8:at+size], at+8, func(typ string, at2, size2 int) {
				if typ == "tfhd" && size2 >= 16 {
					tid = int32(at2 + 12)
				}
			})
		}
	})
	return seq, tid
}
