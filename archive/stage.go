package archive

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/reapd/reapd/blobstore"
	"github.com/reapd/reapd/trackfile"
)

// stagedCopy is what the track remembers of a recently staged segment, to
// count duplicates and compare them with the copy that won.
type stagedCopy struct {
	variant string
	size    int
	sum     [sha256.Size]byte
}

// stage makes one complete media segment durable under its segment index
// (REaP 5.3 NOTE 3: the earliest presentation time is the key). The first
// complete copy of (track, n) wins; later copies are acknowledged and
// counted. A real copy is staged beside a slate copy (the finalizer prefers
// it); a 'miss' segment is staged as a gap marker.
func (t *track) stage(ctx context.Context, raw []byte) error {
	a := t.c.a
	start := time.Now()
	h, err := t.currentHeader(ctx)
	if err != nil {
		return err
	}
	seg, err := trackfile.ParseSegment(raw, h)
	if err != nil {
		return fmt.Errorf("track %s: media segment: %w", t.name, err)
	}
	if seg.TrackID != h.Info.TrackID {
		return withStatus(http.StatusBadRequest, "track %s: segment track_ID %d does not match its header's %d",
			t.name, seg.TrackID, h.Info.TrackID)
	}
	n, off, err := t.c.timing(ctx, t.name, h, seg)
	if err != nil {
		return err
	}
	g := t.c.Grid()
	for _, f := range trackfile.CheckSegment(seg, h, g, off) {
		t.finding(f)
	}
	variant := trackfile.VariantReal
	switch {
	case seg.HasBrand("miss"):
		variant = trackfile.VariantMiss
	case seg.HasBrand("slat"):
		variant = trackfile.VariantSlate
	}
	if t.c.covered(t.name, n) {
		t.counted(n, ResultDuplicate, raw)
		return nil
	}
	if err := t.markHeader(ctx, h, n, g.Period(n)); err != nil {
		return err
	}
	st := a.store
	if variant != trackfile.VariantReal {
		// A slate or miss copy never displaces what is already staged.
		others := []string{trackfile.VariantReal}
		if variant == trackfile.VariantMiss {
			others = append(others, trackfile.VariantSlate)
		}
		for _, o := range others {
			_, err := st.Stat(ctx, trackfile.StagedKey(t.c.name, t.name, n, h.Info.Ext, o))
			if err == nil {
				t.counted(n, ResultDuplicate, raw)
				t.c.noteStaged(t.name, n)
				return nil
			}
			if !errors.Is(err, blobstore.ErrNotFound) {
				a.metrics.StoreErrors.WithLabelValues("stat").Inc()
				return fmt.Errorf("track %s segment %d: %w", t.name, n, err)
			}
		}
	}
	key := trackfile.StagedKey(t.c.name, t.name, n, h.Info.Ext, variant)
	err = st.Create(ctx, key, raw)
	switch {
	case errors.Is(err, blobstore.ErrExists):
		// Staged by another encoder's copy, or by another archiver on a
		// shared bucket: the finalizer must know the segment is there, so
		// that this archiver sees the period complete (or due) even when
		// the one that won the segment is gone.
		t.counted(n, ResultDuplicate, raw)
		t.c.noteStaged(t.name, n)
		return nil
	case err != nil:
		a.metrics.StoreErrors.WithLabelValues("create").Inc()
		return fmt.Errorf("track %s segment %d: %w", t.name, n, err)
	}
	a.metrics.IngestDuration.WithLabelValues(t.c.name, "segment").Observe(time.Since(start).Seconds())
	a.metrics.Bytes.WithLabelValues(t.c.name, t.name).Add(float64(len(raw)))
	result := ResultStaged
	switch {
	case variant == trackfile.VariantMiss:
		result = ResultMiss
	case variant == trackfile.VariantSlate:
		result = ResultSlate
	case t.replacedSlate(n):
		result = ResultReplaced
	case t.c.periodFinalized(g.Period(n)):
		result = ResultLate
		t.log.Warn("late segment for a finalized period: kept as an extra part", "n", n)
	}
	t.counted(n, result, raw)
	t.c.noteStaged(t.name, n)
	if seg.HasBrand("lmsg") {
		t.log.Info("last segment (lmsg): track ends", "n", n)
		t.c.trackEnded(t.name, n)
	}
	return nil
}

// counted records a segment's result, and for a duplicate compares it with
// the copy that won (an interchangeability metric).
func (t *track) counted(n int64, result string, raw []byte) {
	a := t.c.a
	a.metrics.Segments.WithLabelValues(t.c.name, t.name, result).Inc()
	sum := sha256.Sum256(raw)
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.recent == nil {
		t.recent = map[int64]stagedCopy{}
	}
	prev, ok := t.recent[n]
	if result == ResultDuplicate {
		if ok && prev.variant == trackfile.VariantReal && (prev.size != len(raw) || !bytes.Equal(prev.sum[:], sum[:])) {
			a.metrics.DupMismatch.WithLabelValues(t.c.name, t.name).Inc()
			t.log.Debug("duplicate differs from the staged copy", "n", n, "size", len(raw), "staged_size", prev.size)
		}
		return
	}
	v := trackfile.VariantReal
	switch result {
	case ResultMiss:
		v = trackfile.VariantMiss
	case ResultSlate:
		v = trackfile.VariantSlate
	}
	t.recent[n] = stagedCopy{variant: v, size: len(raw), sum: sum}
	// Keep a bounded memory: forget segments far behind the newest.
	if len(t.recent) > 4096 {
		for k := range t.recent {
			if k < n-2048 {
				delete(t.recent, k)
			}
		}
	}
}

// replacedSlate reports whether a slate copy of n was staged before.
func (t *track) replacedSlate(n int64) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	prev, ok := t.recent[n]
	return ok && prev.variant == trackfile.VariantSlate
}
