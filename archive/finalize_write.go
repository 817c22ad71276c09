package archive

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"

	"github.com/reapd/reapd/blobstore"
	"github.com/reapd/reapd/trackfile"
)

// headers caches parsed CMAF headers by key (they are write-once).
func (c *channel) header(ctx context.Context, track, hash, ext string) (*trackfile.Header, string, error) {
	key := trackfile.HeaderKey(c.name, track, hash, ext)
	c.mu.Lock()
	h := c.headers[key]
	c.mu.Unlock()
	if h != nil {
		return h, key, nil
	}
	raw, err := c.a.store.Get(ctx, key)
	if err != nil {
		return nil, key, fmt.Errorf("header %s: %w", key, err)
	}
	if h, err = trackfile.ParseHeader(raw); err != nil {
		return nil, key, fmt.Errorf("header %s: %w", key, err)
	}
	c.mu.Lock()
	c.headers[key] = h
	c.mu.Unlock()
	return h, key, nil
}

// errHeaderMissing: no CMAF header with the hash is in the store.
var errHeaderMissing = errors.New("header not in the store")

// headerByHash returns the track's CMAF header with the given content
// hash, whatever its extension (a header-use marker names the hash only).
// A failed listing wraps ErrUnavailable; a missing header errHeaderMissing.
func (c *channel) headerByHash(ctx context.Context, track, hash string) (*trackfile.Header, error) {
	heads, err := c.a.store.List(ctx, fmt.Sprintf("%s/%s/init-%s.", c.name, track, hash))
	switch {
	case err != nil:
		return nil, fmt.Errorf("header %s of track %s: %w", hash, track, errors.Join(err, blobstore.ErrUnavailable))
	case len(heads) == 0:
		return nil, fmt.Errorf("header %s of track %s: %w", hash, track, errHeaderMissing)
	}
	h, _, err := c.header(ctx, track, hash, strings.TrimPrefix(path.Ext(heads[0].Key), "."))
	return h, err
}

// prepared reads the head of a staged segment (readStaged) and returns
// it as stored in a track file (sidx dropped, STS applied) with the
// SegmentInfo of the whole segment. With body, the part's
// Payload reads the rest of the segment until done is called; without,
// only the head was read (the sizes for the sidx).
func (c *channel) prepared(ctx context.Context, s plannedSegment, h *trackfile.Header, offset int64, g trackfile.Grid, body bool) (part trackfile.SegmentPart, info trackfile.SegmentInfo, done func(), err error) {
	sr, err := c.readStaged(ctx, s, body)
	if err != nil {
		return part, info, nil, fmt.Errorf("staged %s: %w", s.key, err)
	}
	defer func() {
		if err != nil {
			sr.close()
		}
	}()
	c.a.metrics.FinalizeRead.Add(float64(sr.read))
	if err := c.a.pace.wait(ctx, int(sr.read)); err != nil {
		return part, info, nil, err
	}
	norm, info, err := trackfile.PrepareSegmentHead(sr.head, sr.size, h, g.SegmentIndex(s.t, h.Info.Timescale), offset)
	if err != nil {
		return part, info, nil, fmt.Errorf("staged %s: %w", s.key, err)
	}
	if info.Time != s.t || info.Duration != s.d {
		return part, info, nil, fmt.Errorf("staged %s: %w: holds a segment at %d for %d ticks, not what its key says",
			s.key, trackfile.ErrMalformed, info.Time, info.Duration)
	}
	return trackfile.SegmentPart{Head: norm, Payload: sr.rest}, info, sr.close, nil
}

// writeRun writes one storage track file for a planned run, streaming one
// segment at a time, and returns its index entry. Two passes over the
// staged segments: the sidx before the media needs every size first,
// which the first pass learns from the segments' heads alone.
func (c *channel) writeRun(ctx context.Context, k int64, pr plannedRun, fileKey string, ext string, g trackfile.Grid) (trackfile.Run, error) {
	h, hkey, err := c.header(ctx, pr.track, pr.header, ext)
	if err != nil {
		return trackfile.Run{}, err
	}
	off := c.stsSeconds().TicksSigned(h.Info.Timescale)
	infos := make([]trackfile.SegmentInfo, len(pr.segs))
	lmsg := false
	for i, s := range pr.segs {
		part, info, done, err := c.prepared(ctx, s, h, off, g, false)
		if err != nil {
			return trackfile.Run{}, err
		}
		if i == len(pr.segs)-1 {
			// The normalized head keeps the styp: its brands are the segment's.
			seg, err := trackfile.ParseSegmentHead(part.Head, info.Size, h)
			if err != nil {
				done()
				return trackfile.Run{}, err
			}
			lmsg = seg.HasBrand("lmsg")
		}
		done()
		infos[i] = info
	}
	var layout trackfile.HeadLayout
	err = c.a.store.CreateFrom(ctx, fileKey, func(w io.Writer) error {
		var err error
		done := func() {}
		defer func() { done() }()
		layout, err = trackfile.WriteTrackFileFrom(w, h, infos, func(i int) (trackfile.SegmentPart, error) {
			done() // the segment before
			part, info, d, err := c.prepared(ctx, pr.segs[i], h, off, g, true)
			if err != nil {
				return part, err
			}
			done = d
			if info != infos[i] {
				return part, fmt.Errorf("staged %s: %w: read %+v, then %+v", pr.segs[i].key, trackfile.ErrMismatch, infos[i], info)
			}
			return part, nil
		})
		return err
	})
	// A run shorter than half a slot still occupies its slot.
	endN := max(g.SegmentIndex(pr.endTime(), h.Info.Timescale), g.SegmentIndex(pr.segs[len(pr.segs)-1].t, h.Info.Timescale)+1)
	run := trackfile.NewRun(pr.track, h.Info, infos, layout)
	if errors.Is(err, blobstore.ErrExists) {
		// Written before (a crash before the index, or another archiver):
		// the same staged segments give the same bytes. Check it.
		var st blobstore.Attrs
		if st, err = c.a.store.Stat(ctx, fileKey); err == nil && st.Size != expectedSize(h, infos) {
			return trackfile.Run{}, fmt.Errorf("%w: track file %s exists with %d bytes, not the %d this archiver would write",
				errNotInterchangeable, fileKey, st.Size, expectedSize(h, infos))
		}
		if err == nil {
			head, herr := c.readHead(ctx, fileKey)
			if herr != nil {
				return trackfile.Run{}, herr
			}
			// The same size is not the same segments (constant-rate
			// audio): their times must match too.
			if !sameSegments(head.Segments, infos) {
				return trackfile.Run{}, fmt.Errorf("%w: track file %s exists with other segments than this archiver would write",
					errNotInterchangeable, fileKey)
			}
			run = trackfile.NewRun(pr.track, h.Info, infos, head.Layout)
		}
	}
	if err != nil {
		return trackfile.Run{}, err
	}
	run.Key, run.HeaderKey, run.EndN = fileKey, hkey, endN
	run.End = pr.end
	switch {
	case lmsg:
		run.End = trackfile.EndLast
	case pr.end == "" && endN >= g.PeriodFirst(k+1):
		run.End = trackfile.EndComplete
	case pr.end == "":
		run.End = trackfile.EndPartial
	}
	return run, nil
}

// sameSegments reports whether a track file's sidx lists the segments of
// infos: the same earliest presentation time, durations and sizes.
func sameSegments(refs []trackfile.SegmentRef, infos []trackfile.SegmentInfo) bool {
	if len(refs) != len(infos) || len(refs) == 0 || refs[0].Time != infos[0].EPT {
		return false
	}
	for i, r := range refs {
		if r.Duration != infos[i].Duration || r.Size != infos[i].Size {
			return false
		}
	}
	return true
}

// errNotInterchangeable marks a track file that exists with other content
// than this archiver would write for the same key.
var errNotInterchangeable = errors.New("archive: existing track file differs")

func expectedSize(h *trackfile.Header, infos []trackfile.SegmentInfo) int64 {
	var b countWriter
	layout, _ := trackfile.WriteHead(&b, h, infos)
	n := layout.Index.End
	for _, s := range infos {
		n += s.Size
	}
	return n
}

type countWriter int64

func (c *countWriter) Write(p []byte) (int, error) { *c += countWriter(len(p)); return len(p), nil }

// readHead reads the head of an existing track file.
func (c *channel) readHead(ctx context.Context, key string) (*trackfile.FileHead, error) {
	r, err := c.a.store.NewRangeReader(ctx, key, 0, -1)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return trackfile.ReadHead(r)
}
