package archive

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/reapd/reapd/trackfile"
)

// pendingPeriod is what this archiver knows is staged in a storage period
// that is not finalized yet.
type pendingPeriod struct {
	staged   map[string]map[uint64]uint64 // track → start time → duration of a staged copy (any variant)
	ended    map[string]uint64            // track → start time of its 'lmsg' segment
	nextTry  time.Time                    // after a failure: when to try again
	failures int
	gen      int // bumped by every noteStaged: a finalize only clears what it saw
	checked  int // gen when complete was last computed
	complete bool
}

// stagedNote is a staged segment the finalizer was told of before the
// channel's grid was known (it cannot be placed in a period yet).
type stagedNote struct {
	track string
	t, d  uint64
	lmsg  bool
}

// noteStaged records a staged segment of a track (timescale ts) for the
// finalizer.
func (c *channel) noteStaged(track string, ts uint32, t, d uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.noteLocked(track, ts, stagedNote{track: track, t: t, d: d})
}

// trackEnded notes an 'lmsg' segment at t: the track needs nothing after it.
func (c *channel) trackEnded(track string, ts uint32, t, d uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.noteLocked(track, ts, stagedNote{track: track, t: t, d: d, lmsg: true})
	c.ended[track] = true
}

func (c *channel) noteLocked(track string, ts uint32, s stagedNote) {
	if ts != 0 {
		c.timescales[track] = ts
	}
	ts = c.timescales[track]
	if c.grid.N == 0 || ts == 0 {
		if len(c.unplaced) == 0 {
			c.unplacedSince = c.a.opts.Now()
		}
		for _, u := range c.unplaced { // a rescan notes what is staged again
			if u.track == s.track && u.t == s.t && u.d >= s.d {
				return
			}
		}
		c.unplaced = append(c.unplaced, s)
		return
	}
	p := c.pendingLocked(c.grid.Period(c.grid.SegmentIndex(s.t, ts)))
	if p.staged[track] == nil {
		p.staged[track] = map[uint64]uint64{}
	}
	if d, ok := p.staged[track][s.t]; !ok || s.d > d {
		p.staged[track][s.t] = s.d
	}
	if s.lmsg {
		p.ended[track] = s.t
	}
	p.gen++
}

// regridLocked places every pending segment again after the grid changed
// (D or the phase decided): its periods may differ.
func (c *channel) regridLocked() {
	notes := c.unplaced
	c.unplaced = nil
	for _, p := range c.pending {
		for track, segs := range p.staged {
			for t, d := range segs {
				e, ok := p.ended[track]
				notes = append(notes, stagedNote{track: track, t: t, d: d, lmsg: ok && e == t})
			}
		}
	}
	c.pending = map[int64]*pendingPeriod{}
	for _, s := range notes {
		c.noteLocked(s.track, 0, s)
	}
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

func (c *channel) pendingLocked(k int64) *pendingPeriod {
	p := c.pending[k]
	if p == nil {
		p = &pendingPeriod{staged: map[string]map[uint64]uint64{}, ended: map[string]uint64{}, checked: -1}
		c.pending[k] = p
	}
	return p
}

// duePeriods returns the pending periods to finalize now: complete ones
// (every track that staged media has the period's whole time span, or
// ended in it), and those past their end plus the finalize delay.
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
	spread := min(c.a.opts.FinalizeSpread, time.Duration(c.grid.N)*c.grid.D.Duration()/10)
	var due []int64
	for k, p := range c.pending {
		if now.Before(p.nextTry) {
			continue
		}
		end := c.grid.SegmentTime(c.grid.PeriodFirst(k + 1))
		if spread > 0 && !c.a.stopping.Load() && !now.Before(end) {
			// Past its end, a period waits for the channel's turn in
			// the spread (the herd: every channel's period completes
			// when the next one begins). One complete before its end
			// (every track ended) is due at once, and so is every
			// period when the archiver shuts down.
			end = end.Add(spreadOffset(c.name, k, spread))
			if now.Before(end) {
				continue
			}
		}
		if !now.Before(end.Add(delay)) || c.completeLocked(k, p) {
			due = append(due, k)
		}
	}
	return due
}

// completeLocked reports whether every track that staged media has period
// k's whole span, contiguous in time (from a segment in the period's first
// slot to one that ends in the next period's first slot), or ended in it
// with 'lmsg'.
func (c *channel) completeLocked(k int64, p *pendingPeriod) bool {
	if p.checked == p.gen {
		return p.complete
	}
	p.checked, p.complete = p.gen, false
	first, next := c.grid.PeriodFirst(k), c.grid.PeriodFirst(k+1)
	for name, ts := range c.timescales {
		segs := p.staged[name]
		if len(segs) == 0 {
			if c.ended[name] {
				continue // ended in an earlier period
			}
			return false
		}
		if _, ok := p.ended[name]; ok {
			continue // 'lmsg' in this period: the track needs nothing more (design section 4)
		}
		times := make([]uint64, 0, len(segs))
		for t := range segs {
			times = append(times, t)
		}
		slices.Sort(times)
		if c.grid.SegmentIndex(times[0], ts) != first {
			return false
		}
		end := times[0]
		for _, t := range times {
			if t > end {
				return false // a hole
			}
			end = max(end, t+segs[t])
		}
		if c.grid.SegmentIndex(end, ts) < next {
			return false
		}
	}
	p.complete = len(p.staged) > 0
	return p.complete
}

// resumeEvidence adds a staged segment found by a rescan to the evidence
// for D (what an archiver learnt before a restart is in the store, not in
// its memory), while D is undecided.
func (c *channel) resumeEvidence(track string, info trackfile.TrackInfo, s trackfile.StagedSegment) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.grid.D.IsZero() || s.Miss {
		return
	}
	if info.Handler == "vide" {
		c.hasVideo = true
	}
	c.evidence.observe(track, info, segObs{t: s.T, d: s.D}, c.hasVideo)
}

// fallbackAfter is how long segments may wait for the evidence that
// decides the channel's D before a weaker rule decides it.
const fallbackAfter = time.Minute

// settleGrid decides D from weak evidence when segments have waited
// fallbackAfter without the evidence that decides it (an encoder that sent
// one or two segments, then stopped), and the phase as 0 when the first
// period is due without evidence for one: staged media must reach track
// files in the end.
func (c *channel) settleGrid(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.a.opts.Now()
	if c.grid.D.IsZero() && len(c.unplaced) > 0 && !c.unplacedSince.IsZero() && now.Sub(c.unplacedSince) >= fallbackAfter {
		d, from, ok := c.evidence.fallback(c.hasVideo)
		if !ok {
			return nil
		}
		st := gridState{SegmentDuration: d, From: from}
		if err := c.decide(ctx, "grid", &st); err != nil {
			return err
		}
		c.grid.D, c.grid.N = st.SegmentDuration, 0
		c.a.metrics.GridDecisions.WithLabelValues("duration").Inc()
		c.log.Warn("segment duration decided from weak evidence; configure it to be sure", "segment_duration", d.String(), "from", st.From)
		if err := c.ensureGridLocked(); err != nil {
			return err
		}
		c.regridLocked()
	}
	if c.grid.N == 0 || c.phaseKnown || len(c.pending) == 0 {
		return nil
	}
	delay := c.cfg.FinalizeDelay
	if delay <= 0 {
		delay = 3 * c.grid.D.Duration()
	}
	for k := range c.pending {
		if end := c.grid.SegmentTime(c.grid.PeriodFirst(k + 1)); now.Before(end.Add(delay)) {
			continue
		}
		ph := phaseState{From: "no evidence before the first period was due"}
		if err := c.decide(ctx, "phase", &ph); err != nil {
			return err
		}
		c.grid.Phase, c.phaseKnown = ph.Phase, true
		c.regridLocked()
		return nil
	}
	return nil
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
	done := make(chan struct{})
	go func() {
		defer close(done)
		lowerPriority() // this goroutine's thread only; it ends with the loop
		a.run(ctx)
	}()
	<-done
	return nil
}

func (a *Archiver) run(ctx context.Context) {
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
		a.passes.Add(1)
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// FinalizeDue finalizes every period that is due now.
func (a *Archiver) FinalizeDue(ctx context.Context) {
	for _, c := range a.channelList() {
		if err := c.settleGrid(ctx); err != nil {
			c.log.Warn("settling the segment grid failed; will retry", "err", err)
		}
		for _, k := range c.duePeriods(a.opts.Now()) {
			err := c.finalizePeriod(ctx, k)
			if ctx.Err() != nil {
				return // stopped (Close): not a failure, no backoff; Close flushes what is due
			}
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
		c, err := a.channelCapped(ctx, name, false)
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
	if err := c.ensureGrid(ctx); err != nil {
		return err
	}
	tracks, err := c.stagedTracks(ctx)
	if err != nil {
		return err
	}
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
		st := trackfile.ParseStagedTrack(keysOf(objs))
		for _, s := range st.Segments("") {
			if s.Header == "" {
				s.Header = c.soleHeader(ctx, name)
			}
			h, _, err := c.header(ctx, name, s.Header, s.Ext)
			if err != nil {
				c.log.Warn("rescan: staged segment with an unreadable header; left for later", "track", name, "key", s.Key, "err", err)
				continue
			}
			c.resumeEvidence(name, h.Info, s)
			c.noteStaged(name, h.Info.Timescale, s.T, s.D)
		}
		c.rescanMarks(ctx, name, st)
	}
	return nil
}

// rescanMarks makes the period of every header-use marker pending, so
// that a marker that outlived its segments (a crash while finalizing
// deleted them, or between staging the marker and the segment of an
// encoder that never came back) is deleted by finalizing its period
// rather than left staged for ever. Markers wait while the grid is unknown.
func (c *channel) rescanMarks(ctx context.Context, track string, st *trackfile.StagedTrack) {
	g := c.Grid()
	if g.N == 0 || g.D.IsZero() {
		return
	}
	ts := c.trackTimescale(track)
	for _, m := range st.Marks {
		k, err := c.markPeriod(ctx, track, m, ts, g)
		if err != nil {
			c.log.Warn("rescan: header-use marker with an unreadable header; left for later", "track", track, "key", m.Key, "err", err)
			continue
		}
		c.mu.Lock()
		c.pendingLocked(k)
		c.mu.Unlock()
	}
}
