package archive

import (
	"bytes"
	"context"
	"io"

	"github.com/reapd/reapd/trackfile"
)

// headProbe is how much of a segment the finalizer reads first, and how
// much of a body ingest reads before it decides to spool the rest: more
// than the boxes before the mdat payload of a usual segment (the moof of
// 10 s of 60 fps video is under 10 KB). A segment whose head is longer (a
// low-latency segment of many chunks) is read whole by both.
const headProbe = 16 << 10

// stagedSegment is a staged segment as the finalizer reads it: head, all
// of its size bytes or those before its last mdat's payload (see
// trackfile.SegmentHeadLen), and rest, the reader of the remainder.
type stagedSegment struct {
	head  []byte
	size  int64
	rest  io.Reader // nil when head is all of it
	read  int64     // bytes read from the store, with those rest reads
	close func()
}

// readStaged reads the head of staged segment s. Without body, only the
// head is read: the first headProbe bytes, or all of a small segment.
// With body, rest reads on from the head until close. A segment whose
// size the listing did not give, whose head the probe does not hold, or
// that is not the size listed, is read whole.
func (c *channel) readStaged(ctx context.Context, s plannedSegment, body bool) (stagedSegment, error) {
	st := c.a.store
	if s.size > headProbe {
		length := int64(headProbe)
		if body {
			length = -1
		}
		r, err := st.NewRangeReader(ctx, s.key, 0, length)
		if err != nil {
			return stagedSegment{}, err
		}
		buf := make([]byte, headProbe)
		got, err := io.ReadFull(r, buf)
		if err != nil && err != io.ErrUnexpectedEOF { // shorter than listed: read whole
			_ = r.Close()
			return stagedSegment{}, err
		}
		if n, ok := trackfile.SegmentHeadLen(buf[:got], s.size); ok && err == nil {
			ss := stagedSegment{head: buf[:n], size: s.size, read: int64(got), close: func() { _ = r.Close() }}
			if body {
				ss.rest = io.MultiReader(bytes.NewReader(buf[n:got]), r)
				ss.read = s.size
			} else {
				ss.close()
				ss.close = func() {}
			}
			return ss, nil
		}
		_ = r.Close()
	}
	raw, err := st.Get(ctx, s.key)
	if err != nil {
		return stagedSegment{}, err
	}
	return stagedSegment{head: raw, size: int64(len(raw)), read: int64(len(raw)), close: func() {}}, nil
}
