package archive

import (
	"context"
	"fmt"
	"path"
	"strconv"
	"strings"

	"github.com/reapd/reapd/blobstore"
	"github.com/reapd/reapd/trackfile"
)

// stsSeconds returns the channel's STS (zero while undecided).
func (c *channel) stsSeconds() trackfile.Rational {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.stsKnown {
		return trackfile.Rational{}
	}
	return c.sts
}

// stagedTracks lists the channel's track directories in the store.
func (c *channel) stagedTracks(ctx context.Context) ([]string, error) {
	dirs, err := c.a.store.ListDirs(ctx, c.name+"/")
	if err != nil {
		return nil, fmt.Errorf("list tracks of %s: %w", c.name, err)
	}
	var out []string
	for _, d := range dirs {
		name := strings.TrimSuffix(path.Base(strings.TrimSuffix(d, "/")), "/")
		if trackfile.CheckName(name) == nil {
			out = append(out, name)
		}
	}
	return out, nil
}

// periodIndexes returns every index object of period k (the first one and
// later additions), reading each from the store once.
func (c *channel) periodIndexes(ctx context.Context, k int64) ([]*trackfile.PeriodIndex, error) {
	objs, err := c.a.store.List(ctx, fmt.Sprintf("%s/index/%d", c.name, k))
	if err != nil {
		return nil, fmt.Errorf("period %d indexes of %s: %w", k, c.name, err)
	}
	var out []*trackfile.PeriodIndex
	ks := strconv.FormatInt(k, 10)
	for _, o := range objs {
		base := path.Base(o.Key)
		if base != ks+".json" && !(strings.HasPrefix(base, ks+"-") && strings.HasSuffix(base, ".json")) {
			continue
		}
		idx, err := c.indexObject(ctx, o.Key)
		if err != nil {
			return nil, err
		}
		out = append(out, idx)
	}
	return out, nil
}

// indexObject reads and caches one (write-once) index object.
func (c *channel) indexObject(ctx context.Context, key string) (*trackfile.PeriodIndex, error) {
	c.mu.Lock()
	idx := c.indexes[key]
	c.mu.Unlock()
	if idx != nil {
		return idx, nil
	}
	raw, err := c.a.store.Get(ctx, key)
	if err != nil {
		return nil, fmt.Errorf("index %s: %w", key, err)
	}
	if idx, err = trackfile.UnmarshalIndex(raw); err != nil {
		return nil, fmt.Errorf("index %s: %w", key, err)
	}
	c.cacheIndex(key, idx)
	return idx, nil
}

func (c *channel) cacheIndex(key string, idx *trackfile.PeriodIndex) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.indexes[key] = idx
}

// prevHeader returns the header hash of the newest run of track in idx.
func (c *channel) prevHeader(idx []*trackfile.PeriodIndex, track string) string {
	var best *trackfile.Run
	for _, p := range idx {
		for i, r := range p.Runs {
			if r.Track == track && (best == nil || r.FirstN > best.FirstN || r.FirstN == best.FirstN && r.Time > best.Time) {
				best = &p.Runs[i]
			}
		}
	}
	if best == nil {
		return ""
	}
	return trackfile.HeaderHash(best.HeaderKey)
}

// timescaleOf returns the timescale of a track's CMAF header.
func (c *channel) timescaleOf(ctx context.Context, track, hash, ext string) (uint32, error) {
	h, _, err := c.header(ctx, track, hash, ext)
	if err != nil {
		return 0, err
	}
	return h.Info.Timescale, nil
}

// markFinalized remembers which segments of period k are in track files.
func (c *channel) markFinalized(k int64, runs []trackfile.Run, gen int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	fp := c.finalized[k]
	if fp == nil {
		fp = map[string]map[uint64]bool{}
		c.finalized[k] = fp
	}
	for i := range runs {
		r := &runs[i]
		if fp[r.Track] == nil {
			fp[r.Track] = map[uint64]bool{}
		}
		for _, ref := range r.Segments() {
			fp[r.Track][ref.Time] = true
		}
	}
	// Segments staged while finalizing (late ones) keep the period
	// pending: the next round makes them an extra part.
	if p := c.pending[k]; p == nil || p.gen == gen {
		delete(c.pending, k)
	}
	// Bound the memory: forget periods far behind.
	for old := range c.finalized {
		if old < k-48 {
			delete(c.finalized, old)
		}
	}
}

// covered reports whether the segment of track starting at t (timescale
// ts) is already in a storage track file this archiver knows of (a copy
// arriving now is a duplicate).
func (c *channel) covered(track string, ts uint32, t uint64) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.grid.N == 0 {
		return false
	}
	fp := c.finalized[c.grid.Period(c.grid.SegmentIndex(t, ts))]
	return fp != nil && fp[track][t]
}

// periodFinalized reports whether this archiver finalized period k.
func (c *channel) periodFinalized(k int64) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, ok := c.finalized[k]
	return ok
}

// keysOf returns the keys of a listing.
func keysOf(objs []blobstore.Attrs) []string {
	keys := make([]string, len(objs))
	for i, o := range objs {
		keys[i] = o.Key
	}
	return keys
}

// trackTimescale returns the timescale of a track that staged media in
// this process (0 if none did).
func (c *channel) trackTimescale(track string) uint32 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.timescales[track]
}
