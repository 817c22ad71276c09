package archive

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/reapd/reapd/trackfile"
)

// pendingPeriod is what this archiver knows is staged in a storage period
// that is not finalized yet.
type pendingPeriod struct {
	staged   map[string]map[int64]bool // track → staged segment indexes (any variant)
	ended    map[string]int64          // track → n of its 'lmsg' segment
	nextTry  time.Time                 // after a failure: when to try again
	failures int
	gen      int // bumped by every noteStaged: a finalize only clears what it saw
}

// noteStaged records a staged segment for the finalizer.
func (c *channel) noteStaged(track string, n int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.grid.N == 0 {
		return
	}
	p := c.pendingLocked(c.grid.Period(n))
	if p.staged[track] == nil {
		p.staged[track] = map[int64]bool{}
	}
	p.staged[track][n] = true
	p.gen++
}

// pendingGen returns the generation of period k's pending state, taken
// before a finalize lists the store.
func (c *channel) pendingGen(k int64) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	if p := c.pending[k]; p != nil {
		return p.gen
	}
	return 0
}

// trackEnded notes an 'lmsg' segment: the track needs nothing after n.
func (c *channel) trackEnded(track string, n int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.grid.N == 0 {
		return
	}
	c.pendingLocked(c.grid.Period(n)).ended[track] = n
	c.ended[track] = true
}

func (c *channel) pendingLocked(k int64) *pendingPeriod {
	p := c.pending[k]
	if p == nil {
		p = &pendingPeriod{staged: map[string]map[int64]bool{}, ended: map[string]int64{}}
		c.pending[k] = p
	}
	return p
}

// duePeriods returns the pending periods to finalize now: complete ones
// (every track that is not ended has all N segments, or ended in the
// period), and those past their end plus the finalize delay.
func (c *channel) duePeriods(now time.Time) []int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.grid.N == 0 || c.grid.D.IsZero() {
		return nil
	}
	delay := c.cfg.FinalizeDelay
	if delay <= 0 {
		delay = 3 * c.grid.D.Duration()
	}
	var due []int64
	for k, p := range c.pending {
		if now.Before(p.nextTry) {
			continue
		}
		end := c.grid.SegmentTime(c.grid.PeriodFirst(k + 1))
		if !now.Before(end.Add(delay)) || c.completeLocked(k, p) {
			due = append(due, k)
		}
	}
	return due
}

func (c *channel) completeLocked(k int64, p *pendingPeriod) bool {
	first, next := c.grid.PeriodFirst(k), c.grid.PeriodFirst(k+1)
	for name := range c.tracks {
		if _, ok := p.staged[name]; !ok && c.ended[name] {
			continue // ended in an earlier period
		}
		last := next - 1
		if e, ok := p.ended[name]; ok {
			last = e
		}
		for n := first; n <= last; n++ {
			if !p.staged[name][n] {
				return false
			}
		}
	}
	return len(p.staged) > 0
}

// finalizeFailed schedules a retry with backoff.
func (c *channel) finalizeFailed(k int64) time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	p := c.pendingLocked(k)
	p.failures++
	wait := time.Duration(min(p.failures, 6)) * time.Second
	p.nextTry = c.a.opts.Now().Add(wait)
	return wait
}

// Run finalizes storage periods until ctx is done: it first resumes from
// the store (every staged segment of every channel), then checks pending
// periods every tick and rescans the store every rescan interval (staged
// segments another archiver left behind).
func (a *Archiver) Run(ctx context.Context) error {
	tick := time.NewTicker(a.opts.FinalizeTick)
	defer tick.Stop()
	lastScan := time.Time{}
	for {
		if time.Since(lastScan) >= a.opts.RescanInterval {
			if err := a.Rescan(ctx); err != nil {
				a.log.Warn("rescan of the store failed; will retry", "err", err)
			} else {
				lastScan = time.Now()
			}
		}
		a.FinalizeDue(ctx)
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

// FinalizeDue finalizes every period that is due now.
func (a *Archiver) FinalizeDue(ctx context.Context) {
	for _, c := range a.channelList() {
		for _, k := range c.duePeriods(a.opts.Now()) {
			err := c.finalizePeriod(ctx, k)
			if errors.Is(err, errClaimed) {
				c.finalizeFailed(k) // look again shortly: the holder finishes or its claim goes stale
				continue
			}
			if err != nil {
				wait := c.finalizeFailed(k)
				c.log.Error("finalize failed; will retry", "period", k, "retry_in", wait, "err", err)
				a.metrics.StoreErrors.WithLabelValues("finalize").Inc()
			}
		}
	}
}

// FinalizeAll finalizes every pending period now, due or not (for shutdown
// of a channel that will not continue, and for tests).
func (a *Archiver) FinalizeAll(ctx context.Context) error {
	for _, c := range a.channelList() {
		c.mu.Lock()
		var ks []int64
		for k := range c.pending {
			ks = append(ks, k)
		}
		c.mu.Unlock()
		for _, k := range ks {
			if err := c.finalizePeriod(ctx, k); err != nil {
				return err
			}
		}
	}
	return nil
}

func (a *Archiver) channelList() []*channel {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := make([]*channel, 0, len(a.channels))
	for _, c := range a.channels {
		out = append(out, c)
	}
	return out
}

// Rescan reads the store for staged segments of every channel and adds
// their periods to the pending ones: how an archiver resumes after a crash
// from the store alone.
func (a *Archiver) Rescan(ctx context.Context) error {
	dirs, err := a.store.ListDirs(ctx, "")
	if err != nil {
		return fmt.Errorf("rescan: %w", err)
	}
	for _, d := range dirs {
		name := strings.TrimSuffix(d, "/")
		if trackfile.CheckName(name) != nil {
			continue
		}
		c, err := a.channel(ctx, name)
		if err != nil {
			a.log.Debug("rescan: skip channel", "channel", name, "err", err)
			continue
		}
		if err := c.rescan(ctx); err != nil {
			return err
		}
	}
	return nil
}

func (c *channel) rescan(ctx context.Context) error {
	if err := c.ensureGrid(ctx); err != nil || c.Grid().N == 0 {
		return err
	}
	tracks, err := c.stagedTracks(ctx)
	if err != nil {
		return err
	}
	g := c.Grid()
	for _, name := range tracks {
		objs, err := c.a.store.List(ctx, trackfile.StagedPrefix(c.name, name))
		if err != nil {
			return fmt.Errorf("rescan %s/%s: %w", c.name, name, err)
		}
		if len(objs) == 0 {
			continue
		}
		if _, err := c.track(name); err != nil {
			continue
		}
		for _, sp := range parseStaged(name, objs, g) {
			for n := range sp.copies {
				c.noteStaged(name, n)
			}
		}
	}
	return nil
}
