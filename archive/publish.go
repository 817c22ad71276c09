package archive

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/reapd/reapd/blobstore"
	"github.com/reapd/reapd/smpd"
	"github.com/reapd/reapd/trackfile"
)

// DefaultArchiveWindow is the default of Options.ArchiveWindow.
const DefaultArchiveWindow = 24 * time.Hour

// publishState is what a channel's publisher keeps between publishes so
// that a publish reads the periods it writes, not the whole archive.
type publishState struct {
	mu     sync.Mutex
	known  bool            // newest and grid are set
	newest int64           // newest period with an index object
	grid   trackfile.Grid  // of the newest index object
	days   map[string]bool // day S-MPDs this process wrote
}

// Republish rewrites a channel's derived S-MPDs after period k changed in
// the store behind the archiver's back (retention deleted its index
// objects): the rolling archive S-MPD and the day S-MPD of k's day.
func (a *Archiver) Republish(ctx context.Context, channel string, k int64) error {
	c, err := a.channelCapped(ctx, channel, false)
	if err != nil {
		return err
	}
	c.forgetPeriod(k)
	return c.publish(ctx, k)
}

// publish rewrites the channel's derived S-MPDs after period k changed
// (finalized, a late part added, or deleted): the rolling archive S-MPD
// {channel}/archive.mpd over the periods of the last Options.ArchiveWindow
// up to the newest one, and the day S-MPD {channel}/archive/{date}.mpd of
// k's day once the archive has passed that day (and of the day before the
// newest period's, the first time this process sees it complete). Each
// is a deterministic function of write-once objects, so any archiver may
// rebuild it and a stale write is healed by the next publish; a publish
// reads the index objects of the periods it writes only, so its cost does
// not grow with the archive's age.
func (c *channel) publish(ctx context.Context, k int64) error {
	ps := &c.pub
	ps.mu.Lock()
	defer ps.mu.Unlock()
	if err := c.publishLocked(ctx, k); err != nil {
		return fmt.Errorf("publish %s: %w", c.name, err)
	}
	return nil
}

func (c *channel) publishLocked(ctx context.Context, k int64) error {
	ps := &c.pub
	if !ps.known {
		if err := c.discoverNewest(ctx); err != nil {
			return err
		}
		if !ps.known { // nothing indexed (any more): no archive S-MPD
			return c.a.store.Delete(ctx, trackfile.ArchiveMPDKey(c.name))
		}
	}
	before := ps.newest
	ps.newest = max(ps.newest, k) // a new period (after an outage, far ahead)
	lo, hi := ps.newest-c.windowPeriods()+1, ps.newest
	if c.a.opts.ArchiveWindow < 0 {
		lo = 0
	}
	listed, err := c.listPeriods(ctx, lo, hi+c.windowPeriods())
	if err != nil {
		return err
	}
	if len(listed[ps.newest]) == 0 && ps.newest == k && before < k {
		// Nothing of k is indexed (only header-use markers or 'miss'
		// segments were staged): the archive is as it was.
		ps.newest = before
		return nil
	}
	if len(listed[ps.newest]) == 0 && ps.newest >= lo { // the newest went: start over
		ps.known = false
		if err := c.discoverNewest(ctx); err != nil || !ps.known {
			return err
		}
		return c.publishLocked(ctx, k)
	}
	for kk := range listed {
		ps.newest = max(ps.newest, kk)
	}
	lo = max(lo, ps.newest-c.windowPeriods()+1)
	if c.a.opts.ArchiveWindow < 0 {
		lo = 0
	}
	if err := c.writeArchive(ctx, trackfile.ArchiveMPDKey(c.name), "", listed, lo, ps.newest); err != nil {
		return err
	}
	days := map[string]bool{}
	newestDay := c.dayOf(ps.newest)
	if d := c.dayOf(k); d < newestDay {
		days[d] = true
	}
	if before >= 0 && c.dayOf(before) < newestDay { // the archive left that day
		days[c.dayOf(before)] = true
	}
	prev := int64(-1) // the newest listed period of an earlier day than the newest's
	for kk := range listed {
		if c.dayOf(kk) < newestDay && kk > prev {
			prev = kk
		}
	}
	if prev >= 0 && !ps.days[c.dayOf(prev)] {
		days[c.dayOf(prev)] = true
	}
	for d := range days {
		if err := c.publishDay(ctx, d); err != nil {
			return err
		}
	}
	c.pruneIndexes(ps.newest - c.windowPeriods() - 48)
	return nil
}

// windowPeriods is the number of storage periods in the rolling window.
func (c *channel) windowPeriods() int64 {
	w := c.a.opts.ArchiveWindow
	g := c.pub.grid
	sec := g.D.Seconds() * float64(g.N)
	if w <= 0 || sec <= 0 {
		return 1
	}
	return max(1, int64((w.Seconds()+sec-1e-9)/sec))
}

// discoverNewest lists every index object once (at the first publish of
// a process) to find the newest period and its grid.
func (c *channel) discoverNewest(ctx context.Context) error {
	objs, err := c.a.store.List(ctx, trackfile.IndexPrefix(c.name))
	if err != nil {
		return err
	}
	newest, key := int64(-1), ""
	for _, o := range objs {
		if kk, ok := trackfile.IndexKeyPeriod(o.Key); ok && kk > newest {
			newest, key = kk, o.Key
		}
	}
	if newest < 0 {
		return nil
	}
	idx, err := c.indexObject(ctx, key)
	if err != nil {
		return err
	}
	ps := &c.pub
	ps.newest, ps.grid, ps.known = newest, trackfile.Grid{D: idx.SegmentDuration, N: idx.PeriodSegments, Phase: idx.Phase}, true
	if ps.days == nil {
		ps.days = map[string]bool{}
	}
	return nil
}

// writeArchive writes the S-MPD at key over the listed periods [lo, hi],
// or deletes it when they hold no run.
func (c *channel) writeArchive(ctx context.Context, key, basePrefix string, listed map[int64][]string, lo, hi int64) error {
	var runs []trackfile.Run
	for kk, keys := range listed {
		if kk < lo || kk > hi {
			continue
		}
		for _, ik := range keys {
			idx, err := c.indexObject(ctx, ik)
			if errors.Is(err, blobstore.ErrNotFound) { // deleted since the listing
				continue
			}
			if err != nil {
				return err
			}
			runs = append(runs, idx.Runs...)
		}
	}
	raw, err := smpd.ArchiveMPD(smpd.ArchiveInput{Channel: c.name, Ingest: c.currentMPD(), Runs: runs, BaseURLPrefix: basePrefix})
	if errors.Is(err, smpd.ErrNoRuns) {
		return c.a.store.Delete(ctx, key)
	}
	if err != nil {
		return err
	}
	return c.a.store.Put(ctx, key, raw)
}

// dayOf returns the UTC day (2006-01-02) in which period k starts.
func (c *channel) dayOf(k int64) string {
	g := c.pub.grid
	return g.SegmentTime(g.PeriodFirst(k)).UTC().Format(time.DateOnly)
}

// publishDay writes the day S-MPD of day d: the periods starting that day.
func (c *channel) publishDay(ctx context.Context, d string) error {
	start, err := time.Parse(time.DateOnly, d)
	if err != nil {
		return err
	}
	g := c.pub.grid
	startOf := func(k int64) time.Time { return g.SegmentTime(g.PeriodFirst(k)) }
	end := start.AddDate(0, 0, 1)
	lo := g.Period(g.SegmentAt(start))
	for !startOf(lo).Before(start) {
		lo--
	}
	for startOf(lo).Before(start) {
		lo++
	}
	hi := g.Period(g.SegmentAt(end))
	for !startOf(hi).Before(end) {
		hi--
	}
	listed, err := c.listPeriods(ctx, lo, hi)
	if err != nil {
		return err
	}
	if err := c.writeArchive(ctx, trackfile.ArchiveDayKey(c.name, d), "../", listed, lo, hi); err != nil {
		return err
	}
	c.pub.days[d] = true
	return nil
}

// listPeriods lists the index objects of periods [lo, hi] with a few
// prefix listings (decimalPrefixes), not the whole index.
func (c *channel) listPeriods(ctx context.Context, lo, hi int64) (map[int64][]string, error) {
	out := map[int64][]string{}
	prefixes := []string{""} // the whole index (ArchiveWindow < 0)
	if lo > 0 {
		prefixes = decimalPrefixes(lo, hi)
	}
	for _, p := range prefixes {
		objs, err := c.a.store.List(ctx, trackfile.IndexPrefix(c.name)+p)
		if err != nil {
			return nil, err
		}
		for _, o := range objs {
			if k, ok := trackfile.IndexKeyPeriod(o.Key); ok && k >= lo && k <= hi {
				out[k] = append(out[k], o.Key)
			}
		}
	}
	return out, nil
}

// forgetPeriod drops the cached index objects of period k.
func (c *channel) forgetPeriod(k int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for key := range c.indexes {
		if kk, ok := trackfile.IndexKeyPeriod(key); ok && kk == k {
			delete(c.indexes, key)
		}
	}
}

// pruneIndexes drops cached index objects of periods before k: the cache
// stays bounded however old the archive grows.
func (c *channel) pruneIndexes(k int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for key := range c.indexes {
		if kk, ok := trackfile.IndexKeyPeriod(key); ok && kk < k {
			delete(c.indexes, key)
		}
	}
}
