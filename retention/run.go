package retention

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"strings"

	"github.com/reapd/reapd/blobstore"
	"github.com/reapd/reapd/trackfile"
)

// A tombstone (trackfile.TombstoneKey) records a period whose deletion
// has begun: written before anything goes and removed after the last
// object went, so that a run cut short (a crash, SIGKILL) is finished by
// the next one instead of leaving orphan files.

// Run runs retention once for a channel under its policy and returns what
// went (with dryRun, what would go: nothing is deleted). It first finishes
// the deletions an earlier run left unfinished.
func (r *Retention) Run(ctx context.Context, channel string, dryRun bool) (Plan, error) {
	if err := trackfile.CheckName(channel); err != nil {
		return Plan{}, fmt.Errorf("%w: channel: %v", ErrBadRequest, err)
	}
	lock := r.channelLock(channel)
	lock.Lock()
	defer lock.Unlock()
	if !dryRun {
		if err := r.finishTombstones(ctx, channel); err != nil {
			return Plan{}, err
		}
	}
	r.mu.Lock()
	cache := r.cache[channel]
	if cache == nil {
		cache = map[string]*Period{}
		r.cache[channel] = cache
	}
	r.mu.Unlock()
	periods, err := scan(ctx, r.store, channel, cache)
	if err != nil {
		return Plan{}, err
	}
	keep, err := r.keep(ctx, channel)
	if err != nil {
		return Plan{}, err
	}
	pl := plan(channel, periods, r.policy(channel), keep, r.opts.Now())
	if dryRun {
		return pl, nil
	}
	refs := map[string]int{} // periods naming each header, until they go
	for _, p := range periods {
		for _, h := range p.Headers {
			refs[h]++
		}
	}
	for i := range pl.Delete {
		p := &pl.Delete[i]
		var last []string // headers no other period names once p is gone
		for _, h := range p.Headers {
			if refs[h]--; refs[h] == 0 {
				last = append(last, h)
			}
		}
		p.Headers = last
		if err := r.deletePeriod(ctx, channel, p); err != nil {
			pl.Delete = pl.Delete[:i]
			return pl, err
		}
	}
	return pl, nil
}

// keep returns what a run of channel must keep: its holds and the
// injected windows (recordings).
func (r *Retention) keep(ctx context.Context, channel string) ([]Window, error) {
	ws, err := holdWindows(ctx, r.store, channel)
	if err != nil {
		return nil, err
	}
	if r.opts.Keep != nil {
		more, err := r.opts.Keep(ctx, channel)
		if err != nil {
			return nil, fmt.Errorf("windows to keep of %s: %w", channel, err)
		}
		ws = append(ws, more...)
	}
	return ws, nil
}

// deletePeriod deletes one period so that no reader meets a dangling
// reference at any point: tombstone, then the index objects (no new
// manifest names the period), then the derived S-MPDs are republished
// without it, then the track files and the headers nothing else names,
// then the tombstone.
func (r *Retention) deletePeriod(ctx context.Context, channel string, p *Period) error {
	raw, err := json.Marshal(p)
	if err != nil {
		return err
	}
	if err := r.store.Create(ctx, trackfile.TombstoneKey(channel, p.K), raw); err != nil && !errors.Is(err, blobstore.ErrExists) {
		return fmt.Errorf("retention %s period %d: tombstone: %w", channel, p.K, err)
	}
	if r.opts.testHook != nil {
		r.opts.testHook("tombstone", p.K)
	}
	return r.finish(ctx, channel, p)
}

// finish does the deletion a tombstone records (idempotent).
func (r *Retention) finish(ctx context.Context, channel string, p *Period) error {
	fail := func(step string, err error) error {
		return fmt.Errorf("retention %s period %d: %s: %w", channel, p.K, step, err)
	}
	for _, key := range p.IndexKeys {
		if err := r.store.Delete(ctx, key); err != nil {
			return fail("delete index", err)
		}
	}
	if r.opts.testHook != nil {
		r.opts.testHook("index", p.K)
	}
	if r.opts.Publish != nil {
		if err := r.opts.Publish(ctx, channel, p.K); err != nil {
			return fail("republish", err)
		}
	}
	if r.opts.OnDelete != nil {
		r.opts.OnDelete(channel)
	}
	for _, key := range p.Files {
		if err := r.store.Delete(ctx, key); err != nil {
			return fail("delete track file", err)
		}
	}
	if r.opts.testHook != nil {
		r.opts.testHook("files", p.K)
	}
	for _, key := range p.Headers {
		used, err := r.headerStaged(ctx, key)
		if err != nil {
			return fail("header use", err)
		}
		if !used {
			if err := r.store.Delete(ctx, key); err != nil {
				return fail("delete header", err)
			}
		}
	}
	if err := r.store.Delete(ctx, trackfile.TombstoneKey(channel, p.K)); err != nil {
		return fail("delete tombstone", err)
	}
	r.opts.Metrics.freed(channel, p.Bytes)
	r.log.Info("retention: period deleted", "channel", channel, "period", p.K,
		"from", p.From, "to", p.To, "bytes", p.Bytes, "files", len(p.Files), "reason", p.Reason)
	return nil
}

// headerStaged reports whether a staged segment of the header's track
// still uses the header (a header-use marker names its hash): the open
// period needs it even though no index does yet.
func (r *Retention) headerStaged(ctx context.Context, headerKey string) (bool, error) {
	dir := path.Dir(headerKey) // {channel}/{track}
	objs, err := r.store.List(ctx, dir+"/live/")
	if err != nil {
		return false, err
	}
	hash := trackfile.HeaderHash(headerKey)
	for _, o := range objs {
		if _, h, ok := trackfile.ParseHeaderUseKey(path.Base(o.Key)); ok && h == hash {
			return true, nil
		}
	}
	return false, nil
}

// finishTombstones finishes the deletions that a run cut short left.
func (r *Retention) finishTombstones(ctx context.Context, channel string) error {
	objs, err := r.store.List(ctx, trackfile.TombstonePrefix(channel))
	if err != nil {
		return fmt.Errorf("list tombstones of %s: %w", channel, err)
	}
	for _, o := range objs {
		if !strings.HasSuffix(o.Key, ".json") {
			continue
		}
		raw, err := r.store.Get(ctx, o.Key)
		if errors.Is(err, blobstore.ErrNotFound) {
			continue
		}
		if err != nil {
			return fmt.Errorf("tombstone %s: %w", o.Key, err)
		}
		var p Period
		if err := json.Unmarshal(raw, &p); err != nil || trackfile.TombstoneKey(channel, p.K) != o.Key {
			return fmt.Errorf("tombstone %s: malformed", o.Key)
		}
		r.log.Info("retention: finishing an interrupted deletion", "channel", channel, "period", p.K)
		if err := r.finish(ctx, channel, &p); err != nil {
			return err
		}
	}
	return nil
}
