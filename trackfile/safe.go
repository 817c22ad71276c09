package trackfile

import (
	"fmt"

	"github.com/Eyevinn/mp4ff/bits"
	"github.com/Eyevinn/mp4ff/mp4"
)

// recoverMalformed turns a panic of a box decoder on hostile input into an
// ErrMalformed error. Use as: defer recoverMalformed(&err, "what").
func recoverMalformed(err *error, what string) {
	if r := recover(); r != nil {
		*err = fmt.Errorf("%w: %s: decoder panic: %v", ErrMalformed, what, r)
	}
}

// decodeBox decodes the one box b[s.Off:s.End()] with mp4ff, converting
// errors and panics to ErrMalformed.
func decodeBox(b []byte, s span) (box mp4.Box, err error) {
	defer recoverMalformed(&err, fmt.Sprintf("box %q at offset %d", s.Type, s.Off))
	sr := bits.NewFixedSliceReader(s.Raw(b))
	box, err = mp4.DecodeBoxSR(uint64(s.Off), sr)
	if err != nil {
		return nil, fmt.Errorf("%w: box %q at offset %d: %v", ErrMalformed, s.Type, s.Off, err)
	}
	if box.Type() != s.Type {
		return nil, fmt.Errorf("%w: box %q at offset %d decoded as %q", ErrMalformed, s.Type, s.Off, box.Type())
	}
	return box, nil
}
