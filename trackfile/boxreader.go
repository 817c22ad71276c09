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
	head   boxHead
}

// boxHead is the header of the next box, once read (by Peek or Next).
type boxHead struct {
	read   bool // the header is read, its body not yet
	typ    string
	hdr    [16]byte
	hdrLen int
	size   int
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
// allocation (or a buffer of SetAlloc's) that the caller may keep; the
// reader never reuses it.
func (br *BoxReader) Next() (Box, error) {
	b, _, err := br.AppendNext(nil)
	return b, err
}

// Peek returns the type and size (header included) of the next box
// without reading its body: the next Next or AppendNext returns that box.
// Its errors are Next's, and as sticky.
func (br *BoxReader) Peek() (typ string, size int, err error) {
	if err := br.readHead(); err != nil {
		return "", 0, err
	}
	return br.head.typ, br.head.size, nil
}

// AppendNext is Next with the box read into one buffer right after the
// bytes of dst, like append: it returns the box (Raw is the box's part of
// buf) and buf, dst extended by the box. The box is read into dst's spare
// capacity when that holds it (or its first MiB); else into a buffer of
// SetAlloc's, or of its own, with dst copied in front. A caller that
// Peeks and sizes dst can so join small boxes before a large one (a
// fragment's moof before its mdat) without copying the large one.
func (br *BoxReader) AppendNext(dst []byte) (Box, []byte, error) {
	if err := br.readHead(); err != nil {
		return Box{}, dst, err
	}
	h := &br.head
	h.read = false
	buf, err := readBody(br.r, dst, h.hdr[:h.hdrLen], h.size, br.alloc)
	raw := buf[len(dst):]
	if err != nil {
		br.err = br.readErr(err, h.typ, fmt.Sprintf("body (%d of %d bytes)", len(raw), h.size))
		return Box{}, dst, br.err
	}
	br.off += int64(len(raw))
	br.n++
	return Box{Type: h.typ, Raw: raw}, buf, nil
}

// readHead reads the next box's header into br.head, unless it is there.
func (br *BoxReader) readHead() error {
	if br.err != nil {
		return br.err
	}
	if br.head.read {
		return nil
	}
	if err := br.nextHead(); err != nil {
		br.err = err
		return err
	}
	br.head.read = true
	return nil
}

func (br *BoxReader) nextHead() error {
	h := &br.head
	hdr := h.hdr[:]
	n, err := io.ReadFull(br.r, hdr[:8])
	switch {
	case err == io.EOF:
		return io.EOF
	case errors.Is(err, io.ErrUnexpectedEOF):
		return fmt.Errorf("%w: truncated box header at offset %d (%d of 8 bytes)", ErrMalformed, br.off, n)
	case err != nil:
		return fmt.Errorf("trackfile: reading box header at offset %d: %w", br.off, err)
	}
	typ := string(hdr[4:8])
	if br.n == 0 && !isTopLevelType(typ) {
		return fmt.Errorf("%w: first box type %q at offset 0", ErrNotISOBMFF, typ)
	}
	if !isPrintableType(typ) {
		return fmt.Errorf("%w: garbage box type %q at offset %d", ErrMalformed, typ, br.off)
	}
	size := uint64(binary.BigEndian.Uint32(hdr[:4]))
	hdrLen := 8
	switch size {
	case 0:
		return fmt.Errorf("%w: box %q at offset %d has size 0 (to end of stream), not supported in a stream", ErrMalformed, typ, br.off)
	case 1:
		if _, err := io.ReadFull(br.r, hdr[8:16]); err != nil {
			return br.readErr(err, typ, "largesize")
		}
		size = binary.BigEndian.Uint64(hdr[8:16])
		hdrLen = 16
	}
	if size < uint64(hdrLen) {
		return fmt.Errorf("%w: box %q at offset %d has size %d < header %d", ErrMalformed, typ, br.off, size, hdrLen)
	}
	if (br.maxBox > 0 && size > uint64(br.maxBox)) || size > uint64(maxInt) {
		return fmt.Errorf("%w: box %q at offset %d has size %d, limit %d", ErrTooLarge, typ, br.off, size, br.maxBox)
	}
	h.typ, h.hdrLen, h.size = typ, hdrLen, int(size)
	return nil
}

func (br *BoxReader) readErr(err error, typ, what string) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("%w: truncated box %q at offset %d: %s", ErrMalformed, typ, br.off, what)
	}
	return fmt.Errorf("trackfile: reading box %q at offset %d: %s: %w", typ, br.off, what, err)
}

const maxInt = int(^uint(0) >> 1)

// ReadChunk is the initial allocation for a box body: a box header claiming
// a huge size does not make the reader allocate more than the bytes that
// actually arrive (plus at most the doubling of the last growth step).
const ReadChunk = 1 << 20

// readBody appends a box of size bytes (the header already read
// included) to dst, growing the buffer as data arrives: into dst's spare
// capacity when it holds the box or ReadChunk of it, else into a buffer of
// alloc (or a new one) with dst copied in front. On error it returns what
// was read.
func readBody(r io.Reader, dst, hdr []byte, size int, alloc func(int) []byte) ([]byte, error) {
	start := len(dst)
	n0 := min(size, ReadChunk)
	buf := dst
	if cap(buf)-start < n0 {
		var nb []byte
		if alloc != nil {
			nb = alloc(start + n0)
		}
		if cap(nb) < start+n0 {
			nb = make([]byte, 0, start+n0)
		}
		buf = append(nb[:0], dst...)
	}
	buf = append(buf, hdr...)
	for len(buf)-start < size {
		if len(buf) == cap(buf) {
			nb := make([]byte, len(buf), start+min(size, 2*(cap(buf)-start)))
			copy(nb, buf)
			buf = nb
		}
		n, err := io.ReadFull(r, buf[len(buf):min(cap(buf), start+size)])
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
