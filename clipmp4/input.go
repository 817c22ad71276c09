package clipmp4

import (
	"context"
	"errors"
	"io"
	"time"
)

// Errors of the builder, matched with errors.Is.
var (
	// ErrNoMedia: no selected track has a sample in the window.
	ErrNoMedia = errors.New("clipmp4: no media in the window")
	// ErrUnsupported: input this builder cannot turn into one MP4 (a
	// header change to another timescale or handler, tfhd base data
	// offsets, overlapping segments, accurate with fragmented output).
	ErrUnsupported = errors.New("clipmp4: unsupported input")
	// ErrMalformed: a segment or header that does not parse.
	ErrMalformed = errors.New("clipmp4: malformed input")
)

// Source reads byte ranges of the objects that hold segments (a
// blobstore.Store satisfies it). A reader must return exactly length bytes
// or an error.
type Source interface {
	NewRangeReader(ctx context.Context, key string, offset, length int64) (io.ReadCloser, error)
}

// Track is one track of a clip: its CMAF headers (raw ftyp+moov as
// stored; more than one when the header changes inside the window, with the
// same handler and timescale) and its media segments in decode order.
type Track struct {
	Headers  [][]byte
	Segments []Segment
}

// Segment is one CMAF media segment of a track: bytes [Offset,
// Offset+Size) of object Key (a range of a storage track file, or a whole
// staged segment), normalized as storage track files hold them (epoch
// tfdt, default-base-is-moof). Header indexes Track.Headers.
type Segment struct {
	Key          string
	Offset, Size int64
	Header       int
}

// Options say how to cut and what to build. Start and End are required.
type Options struct {
	// Start and End are the asked window [T1, T2) on the epoch timeline.
	Start, End time.Time
	// Accurate presents exactly [Start, End) with edit lists (media from
	// the sync sample at or before Start; no re-encoding). Otherwise the
	// clip starts at that sync sample.
	Accurate bool
	// Fragmented builds a fragmented MP4 (ftyp, moov with mvex, then the
	// segments' moof+mdat with their tfdt) instead of a progressive one.
	// It cuts at fragment boundaries and cannot be Accurate.
	Fragmented bool
	// Concurrency bounds the segment head reads of the plan pass at once,
	// all tracks together (default 16).
	Concurrency int
}
