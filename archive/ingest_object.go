package archive

import (
	"bytes"
	"context"
	"hash/maphash"
	"io"

	"github.com/reapd/reapd/trackfile"
)

// spoolMin is the smallest single-object body that a store which spools
// (the file store) receives into a spool instead of memory.
const spoolMin = budgetGranule

// ingestObject handles a single-object body of known length (every
// encoder's usual PUT or POST of one segment). When the body is exactly
// one media segment whose last box is its mdat, and the store spools, the
// payload goes to the store as it arrives (ingestSpooled): ingest then
// holds a head and a buffer per request, however slow the disk. Else it
// reads the body into one pooled buffer and, when the body is exactly one
// media segment, stages that buffer as it is (the box-by-box way of
// ingestMedia copies every fragment once more: about 5% of ingest's CPU
// in a profile of 100 channels sent as fast as possible). Any other body
// (a CMAF header, several segments, padding boxes, a malformed one) goes
// through ingestMedia, from the buffer, with the same result and errors.
func (c *channel) ingestObject(ctx context.Context, name string, body io.Reader, size int64) error {
	var pre []byte // read already
	if size >= spoolMin && c.a.store.Spools() {
		head := getBuf(headProbe)[:headProbe]
		if _, err := io.ReadFull(body, head); err != nil {
			putBuf(head)
			return err
		}
		if hl, ok := trackfile.SegmentHeadLen(head, size); ok && isSegmentHead(head[:hl]) {
			err := c.ingestSpooled(ctx, name, body, size, head, hl)
			if err == nil {
				putBuf(head) // not after a failure: an abandoned spool write may still read it
			}
			return err
		}
		pre = head
		defer putBuf(head)
	}
	buf, err := readBody(body, size, pre)
	if err != nil {
		return err
	}
	seg, ok := oneSegment(buf)
	if !ok {
		err := c.ingestMedia(ctx, name, bytes.NewReader(buf), false)
		putBuf(buf) // the box reader copied what it kept
		return err
	}
	t, err := c.track(name)
	if err != nil {
		putBuf(buf)
		return err
	}
	if err := t.stage(ctx, whole(seg)); err != nil {
		return err // not back to the pool: an abandoned store attempt may still read it
	}
	releaseHeld(body, len(buf))
	putBuf(buf)
	return nil
}

// ingestSpooled receives a single-object media segment of size bytes
// into a spool in its track's staging directory: got, the bytes read so
// far, holds its head (hl bytes, see trackfile.SegmentHeadLen), and the
// rest of the body is copied through one pooled buffer, released from
// the ingest memory budget chunk by chunk and hashed on the way for the
// comparison of redundant copies.
func (c *channel) ingestSpooled(ctx context.Context, name string, body io.Reader, size int64, got []byte, hl int) (err error) {
	t, err := c.track(name)
	if err != nil {
		return err
	}
	sp, err := c.a.store.NewSpool(trackfile.StagedPrefix(c.name, name))
	if err != nil {
		return err
	}
	defer sp.Close()
	var sum maphash.Hash
	sum.SetSeed(copySeed)
	put := func(b []byte) error {
		_, _ = sum.Write(b)
		err := sp.Append(ctx, b) // within the store's attempt deadline: a disk that hangs is a 503
		releaseHeld(body, len(b))
		return err
	}
	if err := put(got); err != nil {
		return err
	}
	buf := getBuf(budgetGranule)[:budgetGranule]
	defer func() {
		if err == nil {
			putBuf(buf) // not after a failure: an abandoned spool write may still read it
		}
	}()
	// A granule at a time: the buffer holds it anyway, and a write per
	// network read (tens of kB on loopback) cost a store attempt each.
	for left := size - int64(len(got)); left > 0; {
		n, err := io.ReadFull(body, buf[:min(left, int64(len(buf)))])
		if perr := put(buf[:n]); perr != nil {
			return perr
		}
		left -= int64(n)
		switch {
		case err == io.EOF || err == io.ErrUnexpectedEOF:
			return io.ErrUnexpectedEOF // size bytes were declared
		case err != nil:
			return err
		}
	}
	return t.stage(ctx, received{raw: got[:hl], size: size, sum: sum.Sum64(), spool: sp})
}

// isSegmentHead reports whether head, the bytes of a body up to its last
// box's payload (an mdat that ends the body, see trackfile.SegmentHeadLen),
// is the head of exactly one media segment, as oneSegment tells of a
// whole body.
func isSegmentHead(head []byte) bool {
	for _, hdr := range []int{8, 16} { // the mdat's header: a 32-bit size, or a largesize
		at := len(head) - hdr
		if at < 0 || string(head[at+4:at+8]) != "mdat" {
			continue
		}
		if boxes, err := trackfile.SplitBoxes(head[:at]); err == nil {
			_, ok := segmentBoxes(append(boxes, trackfile.Box{Type: "mdat", Raw: head[at:]}))
			return ok
		}
	}
	return false
}

// oneSegment returns the bytes of raw that ingestMedia would stage when raw
// is exactly one media segment — boxes that precede a fragment (styp,
// prft, emsg, sidx; styp only before the first fragment), fragments of
// moof then mdat, and at most a trailing mfra, which is not part of the
// segment — and false for any other body.
func oneSegment(raw []byte) ([]byte, bool) {
	boxes, err := trackfile.SplitBoxes(raw)
	if err != nil {
		return nil, false
	}
	end, ok := segmentBoxes(boxes)
	if !ok {
		return nil, false
	}
	return raw[:end:end], true
}

// segmentBoxes checks the boxes of oneSegment and returns where the last
// fragment ends (the offset of the box after its mdat).
func segmentBoxes(boxes []trackfile.Box) (int, bool) {
	off, end, frags := 0, 0, 0 // off: where box i starts; end: where the last fragment ends
	for i, b := range boxes {
		switch b.Type {
		case "styp":
			if frags > 0 {
				return 0, false // a second segment
			}
		case "prft", "emsg", "sidx":
		case "moof":
			if i+1 == len(boxes) || boxes[i+1].Type != "mdat" {
				return 0, false
			}
		case "mdat":
			if i == 0 || boxes[i-1].Type != "moof" {
				return 0, false
			}
			frags++
			end = off + len(b.Raw)
		case "mfra":
			if i != len(boxes)-1 || end != off {
				return 0, false // mfra only right after the last fragment
			}
		default:
			return 0, false
		}
		off += len(b.Raw)
	}
	if frags == 0 || (end != off && boxes[len(boxes)-1].Type != "mfra") {
		return 0, false // no fragment, or boxes after the last one (which belong to no segment)
	}
	return end, true
}
