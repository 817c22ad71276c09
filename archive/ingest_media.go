package archive

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/reapd/reapd/trackfile"
)

// ingestMedia reads a request body of CMAF headers and media segments box by
// box (bodies may be chunked and long-running) and stages every complete
// segment as soon as it is complete, holding at most one segment.
//
// In a single-object request the whole body is one segment (or one
// header). In a long-running Streams() POST, segments are delimited by
// 'styp' boxes, or, when the encoder sends none, by fragments that start on
// the segment grid.
func (c *channel) ingestMedia(ctx context.Context, name string, body io.Reader, streams bool) error {
	t, err := c.track(name)
	if err != nil {
		return err
	}
	a := c.a
	br := trackfile.NewBoxReader(body, a.opts.MaxSegmentBytes)
	var (
		hdr     []byte // ftyp … until moov
		prefix  []byte // styp/prft/emsg/sidx/free before the next moof
		moof    []byte // a moof waiting for its mdat
		seg     []byte // the segment being collected
		segStyp bool   // the stream delimits segments with styp
		segAt   uint64 // start time of the segment being collected (epoch timeline)
		segEnd  uint64 // end of its last fragment
		boxes   int
	)
	br.SetAlloc(getBuf) // boxes and segments in pooled buffers (ingest_buffers.go)
	defer func() { putBuf(moof); putBuf(seg) }()
	flush := func() error {
		if len(seg) == 0 {
			return nil
		}
		s := seg
		seg = nil
		defer releaseHeld(body, len(s)) // the ingest memory budget: these bytes are no longer held
		err := t.stage(ctx, whole(s))
		if err == nil {
			putBuf(s) // not after a failure: an abandoned store attempt may still read it
		}
		return err
	}
	for {
		box, frag, err := nextBox(br, prefix, moof)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("track %s: box %d: %w", name, boxes, err)
		}
		boxes++
		kept := false // box.Raw is held past this iteration (else it goes back to the pool)
		// One segment (with what precedes its first fragment) or one header
		// is held at a time, in every form: a long-running Streams() POST
		// is bounded per segment, not by its whole length.
		if int64(len(seg)+len(prefix)+len(moof)+len(hdr)+len(box.Raw)) > a.opts.MaxSegmentBytes {
			return fail(ErrTooLarge, "track %s: segment larger than %d bytes", name, a.opts.MaxSegmentBytes)
		}
		switch box.Type {
		case "ftyp":
			if err := flush(); err != nil {
				return err
			}
			hdr = append([]byte(nil), box.Raw...)
		case "moov":
			if hdr == nil {
				return fail(ErrBadRequest, "track %s: moov without ftyp", name)
			}
			h, err := trackfile.ParseHeader(append(hdr, box.Raw...))
			if err != nil {
				return fmt.Errorf("track %s: CMAF header: %w", name, err)
			}
			hdr = nil
			start := time.Now()
			if err := t.setHeader(ctx, h); err != nil {
				return err
			}
			a.metrics.IngestDuration.WithLabelValues(c.name, "header").Observe(time.Since(start).Seconds())
		case "styp":
			if hdr != nil || moof != nil {
				return fail(ErrBadRequest, "track %s: styp inside a header or fragment", name)
			}
			if err := flush(); err != nil {
				return err
			}
			segStyp = true
			prefix = append(prefix, box.Raw...)
		case "moof":
			if hdr != nil || moof != nil {
				return fail(ErrBadRequest, "track %s: moof without a header before it or without mdat", name)
			}
			moof, kept = box.Raw, true // ours: the reader never reuses it
		case "mdat":
			if moof == nil {
				return fail(ErrBadRequest, "track %s: mdat without moof", name)
			}
			// The fragment, read into one pooled buffer by nextBox: the
			// media is not copied after it arrives.
			kept = true // part of frag
			putBuf(moof)
			prefix, moof = nil, nil
			if streams && !segStyp {
				start, at, end, err := t.startsSegment(ctx, frag, len(seg) == 0, segAt, segEnd)
				if err != nil {
					return err
				}
				if start {
					if err := flush(); err != nil {
						return err
					}
					segAt = at
				}
				segEnd = end
			}
			if len(seg) == 0 {
				putBuf(seg)
				seg = frag
			} else {
				seg = append(seg, frag...)
				putBuf(frag)
			}
		case "mfra", "free", "skip":
			// ffmpeg's trailing mfra and padding: not part of any segment.
			if box.Type != "mfra" && len(prefix) > 0 {
				prefix = append(prefix, box.Raw...)
			}
		default: // prft, emsg, sidx, uuid, …: belong to the next fragment
			if hdr != nil {
				hdr = append(hdr, box.Raw...)
			} else {
				prefix = append(prefix, box.Raw...)
			}
		}
		if !kept {
			putBuf(box.Raw) // copied where it is needed
		}
	}
	if hdr != nil || moof != nil {
		return fail(ErrBadRequest, "track %s: body ends inside a header or fragment", name)
	}
	return flush()
}

// startsSegment tells whether a fragment of a Streams() POST without styp
// boxes starts a new segment, and returns its start and end times. The
// first fragment does. With the channel's grid settled, so does one that
// starts on the grid (within one sample) in another slot than the segment
// being collected (which starts at segAt and so far ends at segEnd). With
// D known but not the phase, so does one on the phase-0 grid, or one after
// D of collected media (an encoder off the epoch grid). With D unknown, a
// video fragment that starts with a sync sample does, and every fragment
// of another track is a segment of its own (nothing is held back waiting
// for a grid).
func (t *track) startsSegment(ctx context.Context, frag []byte, first bool, segAt, segEnd uint64) (bool, uint64, uint64, error) {
	h, err := t.currentHeader(ctx)
	if err != nil {
		return false, 0, 0, err
	}
	s, err := trackfile.ParseSegment(frag, h)
	if err != nil {
		return false, 0, 0, fmt.Errorf("track %s: fragment: %w", t.name, err)
	}
	at, _, err := t.c.fragmentTiming(ctx, t.name, h, s)
	if err != nil {
		return false, 0, 0, err
	}
	end := at + s.Duration
	if first {
		return true, at, end, nil
	}
	g, settled := t.c.settledGrid()
	ts := h.Info.Timescale
	if g.N == 0 {
		return h.Info.Handler != "vide" || s.StartsWithSAP, at, end, nil
	}
	tol := uint64(max(s.FirstSampleDur, 1))
	n := g.SegmentIndex(at, ts)
	onGrid := n != g.SegmentIndex(segAt, ts) && absDiff(at, g.SegmentStart(n, ts)) <= tol
	if !settled && !onGrid {
		// The phase is not known: cut after D of media.
		full := segEnd-segAt+tol >= g.D.Ticks(ts)
		return full && (h.Info.Handler != "vide" || s.StartsWithSAP), at, end, nil
	}
	return onGrid, at, end, nil
}

// nextBox reads the next box of br. After a moof, a box that is its mdat
// is read into one pooled buffer right after the fragment's prefix and
// the moof, and frag is that buffer (prefix, moof, mdat): one copy of the
// media, from the connection to where it is staged from. Else frag is nil
// and the box is in a buffer of its own.
func nextBox(br *trackfile.BoxReader, prefix, moof []byte) (box trackfile.Box, frag []byte, err error) {
	if moof != nil {
		typ, size, err := br.Peek()
		if err != nil {
			return trackfile.Box{}, nil, err
		}
		if typ == "mdat" {
			frag = getBuf(len(prefix) + len(moof) + min(size, trackfile.ReadChunk))
			frag = append(append(frag, prefix...), moof...)
			return br.AppendNext(frag)
		}
	}
	box, err = br.Next()
	return box, nil, err
}
