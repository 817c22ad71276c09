package trackfile

import (
	"errors"
	"io"
)

// TODO(helper-trackfile): replace every stub in this file with the real
// implementation, in files of its own, and delete this file.

var errTODO = errors.New("trackfile: not implemented")

// Box is one top-level ISOBMFF box: its four-character type and its raw
// bytes including the box header.
type Box struct {
	Type string
	Raw  []byte
}

// BoxReader reads top-level boxes from a stream (a possibly chunked HTTP
// body) one at a time, never holding more than one box.
type BoxReader struct{}

// NewBoxReader returns a BoxReader that rejects boxes larger than maxBox
// with ErrTooLarge.
func NewBoxReader(r io.Reader, maxBox int64) *BoxReader { return &BoxReader{} }

// Next returns the next box; io.EOF at a clean end of stream, ErrMalformed
// for a truncated box, ErrTooLarge for a box over the limit, ErrNotISOBMFF
// for a first box whose type is not a known top-level box.
func (br *BoxReader) Next() (Box, error) { return Box{}, errTODO }

// ParseHeader parses a CMAF header (ftyp+moov with exactly one trak).
func ParseHeader(raw []byte) (*Header, error) { return nil, errTODO }

// ParseSegment parses a media segment (or a single fragment) against its
// header; h may be nil, then only tfhd defaults are used.
func ParseSegment(raw []byte, h *Header) (*Segment, error) { return nil, errTODO }

// Normalize returns the segment bytes as stored in a storage track file:
// per-segment sidx boxes dropped and, when offset != 0, offset added to
// every tfdt (upgrading tfdt to version 1 and fixing trun data offsets as
// needed). With offset 0 all other bytes are unchanged.
func Normalize(raw []byte, offset int64) ([]byte, error) { return nil, errTODO }

// WriteHead writes the CMAF header and one sidx v1 for the given segments
// (reference_ID = track_ID, timescale = mdhd timescale, EPT = segs[0].EPT,
// one type-0 reference per segment).
func WriteHead(w io.Writer, h *Header, segs []SegmentInfo) (HeadLayout, error) {
	return HeadLayout{}, errTODO
}

// FileHead is the parsed head of a storage track file.
type FileHead struct {
	Header   *Header
	Layout   HeadLayout
	Segments []SegmentRef // N is relative (0, 1, …): the file does not know the grid
}

// ReadHead reads the header and sidx at the start of a storage track file.
func ReadHead(r io.Reader) (*FileHead, error) { return nil, errTODO }
