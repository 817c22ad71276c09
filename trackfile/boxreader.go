package trackfile

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// Box is one top-level ISOBMFF box: its four-character type and its raw
// bytes including the box header.
type Box struct {
	Type string
	Raw  []byte
}

// BoxReader reads top-level boxes from a stream (a possibly chunked HTTP
// body) one at a time, never holding more than one box.
//
// ISO/IEC 14496-12 4.2 (object structure): "Objects in this terminology are
// boxes. Boxes start with a header which gives both size and type. […] if
// size is 1 then the actual size is in the field largesize; if size is 0,
// then this box shall be the last one in the file, and its contents extend to
// the end of the file." A box of size 0 cannot be framed in a stream that is
// later concatenated into a storage track file, so BoxReader rejects it.
type BoxReader struct {
	r      io.Reader
	alloc  func(n int) []byte // nil: make
	maxBox int64
	off    int64 // stream offset of the next box
	n      int   // boxes returned so far
	err    error // sticky error
}

// NewBoxReader returns a BoxReader that rejects boxes larger than maxBox
// with ErrTooLarge. maxBox <= 0 means no limit other than what fits in
// memory; callers reading untrusted input should always set one.
func NewBoxReader(r io.Reader, maxBox int64) *BoxReader {
	return &BoxReader{r: r, maxBox: maxBox}
}

// SetAlloc makes the reader take the first buffer of each box from alloc
// (a slice with capacity at least n, e.g. from a pool) instead of
// allocating it; alloc may return nil to decline. It is asked for no more
// than the reader would allocate itself before the bytes arrive (the box,
// up to 1 MiB); a larger box grows into buffers of the reader's own. The
// caller owns every box's Raw and may recycle it once done with it.
func (br *BoxReader) SetAlloc(alloc func(n int) []byte) { br.alloc = alloc }

// Offset returns the stream offset of the next box: after Next returned a
// box, Offset()-len(box.Raw) is where that box started.
func (br *BoxReader) Offset() int64 { return br.off }

// Next returns the next box; io.EOF at a clean end of stream, ErrMalformed
// for a truncated box, ErrTooLarge for a box over the limit, ErrNotISOBMFF
// for a first box whose type is not a known top-level box. Errors are
// sticky: after one, Next keeps returning it. Each box's Raw is a fresh
// allocation that the caller may keep; the reader never reuses it.
func (br *BoxReader) Next() (Box, error) {
	if br.err != nil {
		return Box{}, br.err
	}
	b, err := br.next()
	if err != nil {
		br.err = err
		return Box{}, err
	}
	br.off += int64(len(b.Raw))
	br.n++
	return b, nil
}

func (br *BoxReader) next() (Box, error) {
	var hdr [16]byte
	n, err := io.ReadFull(br.r, hdr[:8])
	switch {
	case err == io.EOF:
		return Box{}, io.EOF
	case errors.Is(err, io.ErrUnexpectedEOF):
		return Box{}, fmt.Errorf("%w: truncated box header at offset %d (%d of 8 bytes)", ErrMalformed, br.off, n)
	case err != nil:
		return Box{}, fmt.Errorf("trackfile: reading box header at offset %d: %w", br.off, err)
	}
	typ := string(hdr[4:8])
	if br.n == 0 && !isTopLevelType(typ) {
		return Box{}, fmt.Errorf("%w: first box type %q at offset 0", ErrNotISOBMFF, typ)
	}
	if !isPrintableType(typ) {
		return Box{}, fmt.Errorf("%w: garbage box type %q at offset %d", ErrMalformed, typ, br.off)
	}
	size := uint64(binary.BigEndian.Uint32(hdr[:4]))
	hdrLen := 8
	switch size {
	case 0:
		return Box{}, fmt.Errorf("%w: box %q at offset %d has size 0 (to end of stream), not supported in a stream", ErrMalformed, typ, br.off)
	case 1:
		if _, err := io.ReadFull(br.r, hdr[8:16]); err != nil {
			return Box{}, br.readErr(err, typ, "largesize")
		}
		size = binary.BigEndian.Uint64(hdr[8:16])
		hdrLen = 16
	}
	if size < uint64(hdrLen) {
		return Box{}, fmt.Errorf("%w: box %q at offset %d has size %d < header %d", ErrMalformed, typ, br.off, size, hdrLen)
	}
	if (br.maxBox > 0 && size > uint64(br.maxBox)) || size > uint64(maxInt) {
		return Box{}, fmt.Errorf("%w: box %q at offset %d has size %d, limit %d", ErrTooLarge, typ, br.off, size, br.maxBox)
	}
	raw, err := readBody(br.r, hdr[:hdrLen], int(size), br.alloc)
	if err != nil {
		return Box{}, br.readErr(err, typ, fmt.Sprintf("body (%d of %d bytes)", len(raw), size))
	}
	return Box{Type: typ, Raw: raw}, nil
}

func (br *BoxReader) readErr(err error, typ, what string) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("%w: truncated box %q at offset %d: %s", ErrMalformed, typ, br.off, what)
	}
	return fmt.Errorf("trackfile: reading box %q at offset %d: %s: %w", typ, br.off, what, err)
}

const maxInt = int(^uint(0) >> 1)

// readChunk is the initial allocation for a box body: a box header claiming
// a huge size does not make the reader allocate more than the bytes that
// actually arrive (plus at most the doubling of the last growth step).
const readChunk = 1 << 20

// readBody reads size bytes in total (the header already read included),
// growing the buffer as data arrives (or into one buffer of alloc). On
// error it returns what was read.
func readBody(r io.Reader, hdr []byte, size int, alloc func(int) []byte) ([]byte, error) {
	n0 := min(size, readChunk)
	var buf []byte
	if alloc != nil {
		buf = alloc(n0)
	}
	if cap(buf) < n0 {
		buf = make([]byte, 0, n0)
	}
	buf = append(buf[:0], hdr...)
	for len(buf) < size {
		if len(buf) == cap(buf) {
			nb := make([]byte, len(buf), min(size, 2*cap(buf)))
			copy(nb, buf)
			buf = nb
		}
		n, err := io.ReadFull(r, buf[len(buf):min(cap(buf), size)])
		buf = buf[:len(buf)+n]
		if err != nil {
			return buf, err
		}
	}
	return buf, nil
}

// topLevelTypes are the box types that may start an ISOBMFF file, a CMAF
// header, segment or chunk (ISO/IEC 14496-12 Table 1 file-level boxes,
// ISO/IEC 23000-19 and ISO/IEC 23009-1 segment-level boxes).
var topLevelTypes = map[string]bool{
	"ftyp": true, "styp": true, "etyp": true, "otyp": true, "moov": true,
	"moof": true, "mdat": true, "imda": true, "sidx": true, "ssix": true,
	"prft": true, "emsg": true, "emib": true, "emeb": true, "free": true,
	"skip": true, "wide": true, "mfra": true, "meta": true, "uuid": true,
	"pdin": true, "bloc": true,
}

func isTopLevelType(t string) bool { return topLevelTypes[t] }

// isPrintableType reports whether t looks like a four-character code:
// printable ASCII, or the © (0xA9) prefix of QuickTime metadata boxes.
func isPrintableType(t string) bool {
	if len(t) != 4 {
		return false
	}
	for i := 0; i < 4; i++ {
		c := t[i]
		if (c < 0x20 || c > 0x7e) && c != 0xa9 {
			return false
		}
	}
	return true
}
