package catchup

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"time"
)

// clipCache keeps recent clip plans for a short while, so that the Range
// requests of one player (a video element seeks with many) plan the clip
// once: concurrent requests for one clip share one plan pass. It holds at
// most clipCacheBytes of moov; a bigger plan is shared by the requests
// waiting for it and then dropped.
type clipCache struct {
	mu    sync.Mutex
	items map[string]*clipEntry
	bytes int64
}

type clipEntry struct {
	done chan struct{}
	p    *ClipPlan
	err  error
	at   time.Time
}

const (
	clipCacheTTL   = time.Minute // as the Cache-Control of a clip
	clipCacheBytes = 64 << 20
)

// get returns the plan of key, planning it with load when it is not
// cached or older than clipCacheTTL.
func (c *clipCache) get(ctx context.Context, key string, now time.Time, load func() (*ClipPlan, error)) (*ClipPlan, error) {
	c.mu.Lock()
	if c.items == nil {
		c.items = map[string]*clipEntry{}
	}
	e := c.items[key]
	if e != nil && e.p != nil && now.Sub(e.at) >= clipCacheTTL {
		c.dropLocked(key, e)
		e = nil
	}
	if e == nil {
		e = &clipEntry{done: make(chan struct{}), at: now}
		c.items[key] = e
		c.mu.Unlock()
		e.p, e.err = load()
		c.mu.Lock()
		switch {
		case e.err != nil || e.p.plan.HeadSize() > clipCacheBytes:
			delete(c.items, key)
		default:
			c.bytes += e.p.plan.HeadSize()
			c.evictLocked(now)
		}
		c.mu.Unlock()
		close(e.done)
		return e.p, e.err
	}
	c.mu.Unlock()
	select {
	case <-e.done:
		return e.p, e.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// evictLocked drops expired plans, then the oldest while over budget.
func (c *clipCache) evictLocked(now time.Time) {
	for c.bytes > clipCacheBytes || len(c.items) > 0 {
		var oldK string
		var old *clipEntry
		for k, e := range c.items {
			if e.p != nil && (old == nil || e.at.Before(old.at)) {
				oldK, old = k, e
			}
		}
		if old == nil || c.bytes <= clipCacheBytes && now.Sub(old.at) < clipCacheTTL {
			return
		}
		c.dropLocked(oldK, old)
	}
}

func (c *clipCache) dropLocked(key string, e *clipEntry) {
	delete(c.items, key)
	c.bytes -= e.p.plan.HeadSize()
}

// clipKey names a clip request of a channel.
func clipKey(channel string, req ClipRequest) string {
	return strings.Join([]string{channel, strconv.FormatInt(req.Start.UnixMilli(), 10), strconv.FormatInt(req.End.UnixMilli(), 10),
		strings.Join(req.Tracks, ","), strconv.FormatBool(req.Accurate), strconv.FormatBool(req.Fragmented)}, "|")
}
