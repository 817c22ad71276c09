package archive

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/reapd/reapd/blobstore"
	"github.com/reapd/reapd/trackfile"
)

// finalizePeriod turns everything staged for storage period k of the
// channel into storage track files (design section 4): write the track
// files, then the period index, then the archive S-MPD, then delete the
// staged objects. Every step is write-once or idempotent, so a crash at any
// point is repaired by running it again, and archivers sharing a bucket
// converge on the same objects.
func (c *channel) finalizePeriod(ctx context.Context, k int64) error {
	g := c.Grid()
	if g.D.IsZero() {
		return fmt.Errorf("finalize %s period %d: segment duration unknown", c.name, k)
	}
	gen := c.pendingGen(k)
	if err := c.claimPeriod(ctx, k); err != nil {
		return err
	}
	defer c.releasePeriod(ctx, k)
	tracks, err := c.stagedTracks(ctx)
	if err != nil {
		return err
	}
	// List what is staged first, the period's indexes second: an archiver
	// deletes staged segments only after writing their index, so whatever
	// another archiver already finalized and deleted is seen as covered.
	listed := map[string]*trackfile.StagedTrack{}
	sizes := map[string]int64{} // by key, for a head-only first pass
	for _, track := range tracks {
		objs, err := c.a.store.List(ctx, trackfile.StagedPrefix(c.name, track))
		if err != nil {
			return fmt.Errorf("finalize %s/%s period %d: %w", c.name, track, k, err)
		}
		listed[track] = trackfile.ParseStagedTrack(keysOf(objs))
		for _, o := range objs {
			sizes[o.Key] = o.Size
		}
	}
	existing, err := c.periodIndexes(ctx, k)
	if err != nil {
		return err
	}
	prevIdx, err := c.periodIndexes(ctx, k-1)
	if err != nil {
		return err
	}
	staged := map[string]*stagedPeriod{}
	for track, st := range listed {
		prev := c.prevHeader(existing, track)
		if prev == "" {
			prev = c.prevHeader(prevIdx, track)
		}
		byPeriod, err := c.groupStaged(ctx, track, st, prev, g)
		if err != nil {
			return fmt.Errorf("finalize %s/%s period %d: %w", c.name, track, k, err)
		}
		if sp := byPeriod[k]; sp != nil {
			sp.sizes = sizes
			staged[track] = sp
		}
	}
	var runs []trackfile.Run
	var toDelete []string
	for _, track := range tracks {
		sp := staged[track]
		if sp == nil {
			continue
		}
		rs, err := c.finalizeTrack(ctx, k, sp, existing, g)
		if err != nil {
			return err
		}
		runs = append(runs, rs...)
		toDelete = append(toDelete, sp.keys...)
	}
	if len(runs) > 0 {
		if err := c.writeIndex(ctx, k, runs, existing, g); err != nil {
			return err
		}
	}
	if err := c.publish(ctx, k); err != nil {
		return err
	}
	for _, key := range toDelete {
		if err := c.a.store.Delete(ctx, key); err != nil {
			return fmt.Errorf("finalize %s period %d: delete staged: %w", c.name, k, err)
		}
	}
	c.markFinalized(k, runs, gen)
	end := g.SegmentTime(g.PeriodFirst(k + 1))
	c.a.metrics.FinalizeLag.Observe(max(0, c.a.opts.Now().Sub(end).Seconds()))
	if c.a.opts.OnFinalize != nil {
		c.a.opts.OnFinalize(c.name, k)
	}
	c.log.Info("period finalized", "period", k, "runs", len(runs), "staged_deleted", len(toDelete))
	return nil
}

// finalizeTrack writes the runs of one track in period k. Segments already
// in a track file of the period (a duplicate staged after finalizing, or
// by another archiver) are skipped; new runs of a period that already has
// an index become extra parts.
func (c *channel) finalizeTrack(ctx context.Context, k int64, sp *stagedPeriod, existing []*trackfile.PeriodIndex, g trackfile.Grid) ([]trackfile.Run, error) {
	covered := coveredSet(existing, sp.track)
	used := map[string]bool{} // track file keys the period's indexes already name
	for _, idx := range existing {
		for _, r := range idx.Runs {
			used[r.Key] = true
		}
	}
	var out []trackfile.Run
	for attempt := 0; attempt < 4; attempt++ {
		planned := sp.plan(func(t uint64) bool { return covered[t] })
		single := len(planned) == 1 && len(existing) == 0 && len(out) == 0
		conflict := false
		for _, pr := range planned {
			// A part starting in a slot where another part of the period
			// starts (split segments, overlaps, a late piece of a split
			// segment) takes the next free "{k}-{n0}-{j}".
			n0 := g.SegmentIndex(pr.segs[0].t, pr.ts)
			key := trackfile.TrackFileKey(c.name, sp.track, k, n0, sp.ext)
			for j := 1; used[key]; j++ {
				key = trackfile.TrackFilePartKey(c.name, sp.track, k, n0, j, sp.ext)
			}
			if single {
				key = trackfile.TrackFileKey(c.name, sp.track, k, -1, sp.ext)
			}
			used[key] = true
			run, err := c.writeRun(ctx, k, pr, key, sp.ext, g)
			if errors.Is(err, errNotInterchangeable) {
				// A file of another staged set holds this key (written
				// before a crash, with segments that arrived late since):
				// adopt it and plan what it lacks as extra parts.
				adopted, aerr := c.adoptTrackFile(ctx, pr, key, sp.ext, g)
				if aerr != nil {
					return nil, errors.Join(err, aerr)
				}
				c.log.Warn("adopted an existing track file; the rest becomes extra parts", "key", key)
				out = append(out, adopted)
				for _, ref := range adopted.Segments() {
					covered[ref.Time] = true
				}
				conflict = true
				break
			}
			if err != nil {
				return nil, err
			}
			if len(existing) > 0 {
				run.Late = true
			}
			out = append(out, run)
			for _, s := range pr.segs {
				covered[s.t] = true
			}
		}
		if !conflict {
			return out, nil
		}
	}
	return nil, fmt.Errorf("finalize %s/%s period %d: track files keep conflicting", c.name, sp.track, k)
}

// adoptTrackFile builds the index entry of an existing track file from its
// head.
func (c *channel) adoptTrackFile(ctx context.Context, pr plannedRun, key, ext string, g trackfile.Grid) (trackfile.Run, error) {
	head, err := c.readHead(ctx, key)
	if err != nil {
		return trackfile.Run{}, fmt.Errorf("adopt %s: %w", key, err)
	}
	ts := head.Header.Info.Timescale
	infos := make([]trackfile.SegmentInfo, len(head.Segments))
	for i, r := range head.Segments {
		infos[i] = trackfile.SegmentInfo{N: g.SegmentIndex(r.Time, ts), Time: r.Time, EPT: r.Time,
			Duration: r.Duration, Size: r.Size, StartsWithSAP: r.SAP}
		if r.SAP {
			infos[i].SAPType = 1
		}
	}
	run := trackfile.NewRun(pr.track, head.Header.Info, infos, head.Layout)
	run.EndN = g.SegmentIndex(run.EndTime(), ts)
	run.Key = key
	run.HeaderKey = trackfile.HeaderKey(c.name, pr.track, head.Header.Hash, ext)
	run.End = trackfile.EndPartial
	return run, nil
}

// writeIndex writes the period index: the first finalize of a period writes
// {k}.json; later additions write an index object of their own beside it.
func (c *channel) writeIndex(ctx context.Context, k int64, runs []trackfile.Run, existing []*trackfile.PeriodIndex, g trackfile.Grid) error {
	if len(runs) == 0 {
		return nil
	}
	sort.Slice(runs, func(i, j int) bool {
		if runs[i].Track != runs[j].Track {
			return runs[i].Track < runs[j].Track
		}
		if runs[i].FirstN != runs[j].FirstN {
			return runs[i].FirstN < runs[j].FirstN
		}
		return runs[i].Time < runs[j].Time
	})
	idx := &trackfile.PeriodIndex{Channel: c.name, Period: k, SegmentDuration: g.D, PeriodSegments: g.N,
		STS: c.stsSeconds(), Phase: g.Phase, Runs: runs}
	raw, err := trackfile.MarshalIndex(idx)
	if err != nil {
		return err
	}
	suffix := ""
	if len(existing) > 0 {
		var parts []string
		for _, r := range runs {
			parts = append(parts, fmt.Sprintf("%s-%d", r.Track, r.FirstN))
		}
		suffix = strings.Join(parts, "_")
		if len(suffix) > 200 {
			suffix = fmt.Sprintf("%s-%d-%d", runs[0].Track, runs[0].FirstN, len(runs))
		}
	}
	key := trackfile.IndexKey(c.name, k, suffix)
	err = c.a.store.CreateOrMatch(ctx, key, raw)
	if errors.Is(err, blobstore.ErrExists) {
		// Another archiver indexed the period with other runs: ours
		// become an addition beside it.
		others, lerr := c.periodIndexes(ctx, k)
		if lerr != nil {
			return lerr
		}
		if suffix == "" && len(others) > 0 {
			return c.writeIndex(ctx, k, uncovered(runs, others), others, g)
		}
		c.log.Warn("period index exists with other content", "key", key)
		return nil
	}
	if err != nil {
		return fmt.Errorf("finalize %s period %d: index: %w", c.name, k, err)
	}
	c.cacheIndex(key, idx)
	return nil
}

// uncovered returns the runs whose track files no index lists yet.
func uncovered(runs []trackfile.Run, idx []*trackfile.PeriodIndex) []trackfile.Run {
	have := map[string]bool{}
	for _, p := range idx {
		for _, r := range p.Runs {
			have[r.Key] = true
		}
	}
	var out []trackfile.Run
	for _, r := range runs {
		if !have[r.Key] {
			out = append(out, r)
		}
	}
	return out
}

// coveredSet returns the start times of a track's segments already in
// track files.
func coveredSet(idx []*trackfile.PeriodIndex, track string) map[uint64]bool {
	out := map[uint64]bool{}
	for _, p := range idx {
		for i := range p.Runs {
			if r := &p.Runs[i]; r.Track == track {
				for _, ref := range r.Segments() {
					out[ref.Time] = true
				}
			}
		}
	}
	return out
}
