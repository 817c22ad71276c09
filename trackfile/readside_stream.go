package trackfile

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// Box-by-box normalization, for readers that serve a staged segment as a
// storage track file will hold it without loading it whole: NormalizeWith
// treats every top-level box on its own, so a reader can walk the box
// headers, drop what NormalizeWith drops, rewrite the few boxes whose
// times move (NormalizeWith of that box alone gives its bytes) and stream
// everything else — the mdat bodies — straight through.

// BoxAction is what NormalizeWith does with a top-level box.
type BoxAction int

const (
	BoxCopy    BoxAction = iota // copied unchanged (mdat, styp, free, …)
	BoxDrop                     // dropped (sidx, ssix, mfra)
	BoxRewrite                  // rewritten: NormalizeWith of the box alone returns its new bytes
)

// NormalizeAction returns what NormalizeWith(raw, offset, opts) does with
// a top-level box of type typ.
func NormalizeAction(typ string, offset int64, opts *NormalizeOptions) BoxAction {
	switch {
	case dropped(typ):
		return BoxDrop
	case offset == 0:
		return BoxCopy
	case typ == "moof" || typ == "prft":
		return BoxRewrite
	case typ == "emsg" && opts != nil && opts.Timescale != 0:
		return BoxRewrite
	}
	return BoxCopy
}

// BoxHeader is the header of a box: its type, its whole size and the
// length of the header (8, or 16 with a largesize).
type BoxHeader struct {
	Type   string
	Size   int64
	HdrLen int
}

// ReadBoxHeader reads one box header from r, with the checks NormalizeWith
// applies (ISO/IEC 14496-12 4.2; size 0, "to the end of the file", is
// rejected): io.EOF at a clean end, ErrMalformed otherwise.
func ReadBoxHeader(r io.Reader) (BoxHeader, error) {
	var b [16]byte
	n, err := io.ReadFull(r, b[:8])
	switch {
	case err == io.EOF:
		return BoxHeader{}, io.EOF
	case errors.Is(err, io.ErrUnexpectedEOF):
		return BoxHeader{}, fmt.Errorf("%w: %d trailing bytes are not a box", ErrMalformed, n)
	case err != nil:
		return BoxHeader{}, err
	}
	h := BoxHeader{Type: string(b[4:8]), Size: int64(binary.BigEndian.Uint32(b[:4])), HdrLen: 8}
	switch h.Size {
	case 0:
		return BoxHeader{}, fmt.Errorf("%w: box %q has size 0 (to end of file)", ErrMalformed, h.Type)
	case 1:
		if _, err := io.ReadFull(r, b[8:16]); err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				return BoxHeader{}, fmt.Errorf("%w: truncated largesize of box %q", ErrMalformed, h.Type)
			}
			return BoxHeader{}, err
		}
		large := binary.BigEndian.Uint64(b[8:16])
		if large > uint64(maxInt) {
			return BoxHeader{}, fmt.Errorf("%w: box %q has size %d", ErrMalformed, h.Type, large)
		}
		h.Size, h.HdrLen = int64(large), 16
	}
	if h.Size < int64(h.HdrLen) {
		return BoxHeader{}, fmt.Errorf("%w: box %q has size %d < header %d", ErrMalformed, h.Type, h.Size, h.HdrLen)
	}
	if !isPrintableType(h.Type) {
		return BoxHeader{}, fmt.Errorf("%w: garbage box type %q", ErrMalformed, h.Type)
	}
	return h, nil
}

// Bytes returns the header as it appears in the box.
func (h BoxHeader) Bytes() []byte {
	b := make([]byte, 0, 16)
	if h.HdrLen == 16 {
		b = binary.BigEndian.AppendUint32(b, 1)
		b = append(b, h.Type...)
		return binary.BigEndian.AppendUint64(b, uint64(h.Size))
	}
	b = binary.BigEndian.AppendUint32(b, uint32(h.Size))
	return append(b, h.Type...)
}
