package archive

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"time"

	"github.com/reapd/reapd/blobstore"
	"github.com/reapd/reapd/trackfile"
)

// stagedCopy is what the track remembers of a recently staged segment, to
// count duplicates and compare them with the copy that won.
type stagedCopy struct {
	variant string
	size    int
	sum     uint64 // maphash of the bytes: a duplicate that differs is a finding, not a security check
}

// received is a media segment as ingest received it: all its bytes in
// raw, or, spooled to the store as it arrived (ingestSpooled), its head
// in raw (the bytes before its last mdat's payload) and all of it in
// spool.
type received struct {
	raw   []byte
	size  int64
	sum   uint64           // maphash (copySeed) of all its bytes
	spool *blobstore.Spool // nil: raw is the whole segment
}

// whole is the received segment raw, held in memory.
func whole(raw []byte) received {
	return received{raw: raw, size: int64(len(raw)), sum: maphash.Bytes(copySeed, raw)}
}

// create stages the received segment under key.
func (r received) create(ctx context.Context, st *blobstore.Store, key string) error {
	if r.spool != nil {
		return r.spool.Create(ctx, key)
	}
	return st.Create(ctx, key, r.raw)
}

// copySeed seeds the hashes that compare redundant copies (process-wide:
// hashes are only compared within the process).
var copySeed = maphash.MakeSeed()

// stage makes one complete media segment durable under its identity, its
// start time on the epoch timeline (REaP 5.3 NOTE 3: the earliest
// presentation time is the key; design section 2), with its duration in
// the key too. The first complete copy of (track, start, duration) wins;
// later copies are acknowledged and counted. A copy of the same start with
// another duration (a crash-cut fragment, a longer copy from another
// encoder) is staged beside it and the finalizer takes the longest. A real
// copy is staged beside a slate copy (the finalizer prefers it); a 'miss'
// segment is staged as a gap marker.
func (t *track) stage(ctx context.Context, r received) error {
	a := t.c.a
	start := time.Now()
	h, err := t.currentHeader(ctx)
	if err != nil {
		return err
	}
	seg, err := trackfile.ParseSegmentHead(r.raw, r.size, h)
	if err != nil {
		return fmt.Errorf("track %s: media segment: %w", t.name, err)
	}
	if seg.TrackID != h.Info.TrackID {
		return fail(ErrBadRequest, "track %s: segment track_ID %d does not match its header's %d",
			t.name, seg.TrackID, h.Info.TrackID)
	}
	at, off, err := t.c.timing(ctx, t.name, h, seg)
	if err != nil {
		return err
	}
	ts := h.Info.Timescale
	g := t.c.Grid()
	for _, f := range trackfile.CheckSegment(seg, h, g, off) {
		t.finding(f)
	}
	name := trackfile.StagedName{T: at, D: seg.Duration, Ext: h.Info.Ext}
	switch {
	case seg.HasBrand("miss"):
		name.Variant = trackfile.VariantMiss
	case seg.HasBrand("slat"):
		name.Variant = trackfile.VariantSlate
	}
	if t.c.covered(t.name, ts, at) {
		t.counted(name, ResultDuplicate, r)
		return nil
	}
	if err := t.markHeader(ctx, h, at); err != nil {
		return err
	}
	st := a.store
	if name.Variant != trackfile.VariantReal {
		// A slate or miss copy never displaces what is already staged.
		others := []string{trackfile.VariantReal}
		if name.Variant == trackfile.VariantMiss {
			others = append(others, trackfile.VariantSlate)
		}
		for _, o := range others {
			other := name
			other.Variant = o
			_, err := st.Stat(ctx, trackfile.StagedKey(t.c.name, t.name, other))
			if err == nil {
				t.counted(name, ResultDuplicate, r)
				t.c.noteStaged(t.name, ts, at, seg.Duration)
				return nil
			}
			if !errors.Is(err, blobstore.ErrNotFound) {
				a.metrics.StoreErrors.WithLabelValues("stat").Inc()
				return fmt.Errorf("track %s segment %s: %w", t.name, other, err)
			}
		}
	}
	key := trackfile.StagedKey(t.c.name, t.name, name)
	err = r.create(ctx, st, key)
	switch {
	case errors.Is(err, blobstore.ErrExists):
		// Staged by another encoder's copy, or by another archiver on a
		// shared bucket: the finalizer must know the segment is there, so
		// that this archiver sees the period complete (or due) even when
		// the one that won the segment is gone.
		t.counted(name, ResultDuplicate, r)
		t.c.noteStaged(t.name, ts, at, seg.Duration)
		return nil
	case err != nil:
		a.metrics.StoreErrors.WithLabelValues("create").Inc()
		return fmt.Errorf("track %s segment %s: %w", t.name, name, err)
	}
	a.metrics.IngestDuration.WithLabelValues(t.c.name, "segment").Observe(time.Since(start).Seconds())
	a.metrics.Bytes.WithLabelValues(t.c.name, t.name).Add(float64(r.size))
	a.pace.noteStaged(int(r.size))
	result := ResultStaged
	switch {
	case name.Variant == trackfile.VariantMiss:
		result = ResultMiss
	case name.Variant == trackfile.VariantSlate:
		result = ResultSlate
	case t.replacedSlate(name):
		result = ResultReplaced
	case g.N != 0 && t.c.periodFinalized(g.Period(g.SegmentIndex(at, ts))):
		result = ResultLate
		t.log.Warn("late segment for a finalized period: kept as an extra part", "t", at, "timescale", ts)
	}
	t.counted(name, result, r)
	if seg.HasBrand("lmsg") {
		t.log.Info("last segment (lmsg): track ends", "t", at, "timescale", ts)
		t.c.trackEnded(t.name, ts, at, seg.Duration)
	} else {
		t.c.noteStaged(t.name, ts, at, seg.Duration)
	}
	return nil
}

// counted records a segment's result, and for a duplicate compares it with
// the copy that won (an interchangeability metric and finding).
func (t *track) counted(name trackfile.StagedName, result string, r received) {
	a := t.c.a
	a.metrics.Segments.WithLabelValues(t.c.name, t.name, result).Inc()
	size, sum := int(r.size), r.sum
	id := name
	id.Variant = ""
	t.mu.Lock()
	if t.recent == nil {
		t.recent = map[trackfile.StagedName]stagedCopy{}
	}
	prev, ok := t.recent[id]
	if result == ResultDuplicate {
		mismatch := ok && prev.variant == trackfile.VariantReal && name.Variant == trackfile.VariantReal &&
			(prev.size != size || prev.sum != sum)
		t.mu.Unlock()
		if mismatch {
			a.metrics.DupMismatch.WithLabelValues(t.c.name, t.name).Inc()
			t.finding(trackfile.Finding{Clause: "5.3 interchangeable", Level: trackfile.LevelWarning,
				Subject: fmt.Sprintf("track %s segment at %d", t.name, name.T),
				Message: fmt.Sprintf("a redundant copy differs from the staged one (%d bytes, staged %d): the encoders are not interchangeable; the first copy was kept", size, prev.size)})
		}
		return
	}
	defer t.mu.Unlock()
	t.recent[id] = stagedCopy{variant: name.Variant, size: size, sum: sum}
	// Keep a bounded memory: forget the oldest half when it grows.
	if len(t.recent) > 4096 {
		for k := range t.recent {
			if k.T < name.T && len(t.recent) > 2048 {
				delete(t.recent, k)
			}
		}
	}
}

// replacedSlate reports whether a slate copy of the segment was staged before.
func (t *track) replacedSlate(name trackfile.StagedName) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	id := name
	id.Variant = ""
	prev, ok := t.recent[id]
	return ok && prev.variant == trackfile.VariantSlate
}
