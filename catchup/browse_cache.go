package catchup

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/reapd/reapd/trackfile"
)

// browseCache holds the answer of GET /api/channels, so that the browse
// API costs the store a listing and three or so operations per channel
// once per BrowseTTL, not per request: 40 clients polling a 5,000-channel
// store share one refresh. Memory is bounded by the store's channels: the
// encoded answer and one small summary per channel of the last listing.
type browseCache struct {
	ttl time.Duration

	mu      sync.Mutex
	body    []byte    // the last answer, encoded
	at      time.Time // when its refresh started
	flight  *browseFlight
	sums    map[string]*channelSummary // channel → summary, from the last refresh
	flagged map[string]bool            // channels whose problems were logged
	dirty   map[string]bool            // channels invalidated while a refresh runs
}

// browseFlight is a refresh under way; every request that finds the
// answer stale while it runs waits for it.
type browseFlight struct {
	done chan struct{}
	body []byte
	err  error
}

// channelSummary is one channel's entry in the list; channel false for a
// directory that is not a channel.
type channelSummary struct {
	at      time.Time
	stale   bool
	channel bool
	cj      channelJSON
}

func newBrowseCache(ttl time.Duration) *browseCache {
	return &browseCache{ttl: ttl, sums: map[string]*channelSummary{}, flagged: map[string]bool{}, dirty: map[string]bool{}}
}

// fresh reports whether something computed at "at" is still good at now.
func (b *browseCache) fresh(at, now time.Time) bool {
	return !at.IsZero() && !at.After(now) && now.Sub(at) < b.ttl
}

// invalidate makes the next request refresh the list and the channel's
// summary.
func (b *browseCache) invalidate(channel string) {
	b.mu.Lock()
	b.body = nil
	if sum := b.sums[channel]; sum != nil {
		sum.stale = true
	}
	if b.flight != nil {
		b.dirty[channel] = true
	}
	b.mu.Unlock()
}

// browseRefreshTimeout bounds one refresh, which runs on behalf of every
// waiting request and so outlives the one that started it.
const browseRefreshTimeout = time.Minute

// browseWorkers is how many channels one refresh summarizes at once.
const browseWorkers = 8

// channelList returns the encoded answer of GET /api/channels: from
// memory while fresh, else from one refresh shared by all the requests
// that ask while it runs.
func (s *Server) channelList(ctx context.Context) ([]byte, error) {
	b := s.browse
	now := s.opts.Now()
	b.mu.Lock()
	if b.body != nil && b.fresh(b.at, now) {
		body := b.body
		b.mu.Unlock()
		return body, nil
	}
	f := b.flight
	if f == nil {
		f = &browseFlight{done: make(chan struct{})}
		b.flight = f
		clear(b.dirty)
		b.mu.Unlock()
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), browseRefreshTimeout)
		f.body, f.err = s.refreshChannels(rctx, now)
		cancel()
		b.mu.Lock()
		b.flight = nil
		// What was invalidated while the refresh ran may be older than
		// the invalidation: not to be reused by the next refresh (this
		// answer stands for its TTL, as any would).
		for name := range b.dirty {
			if sum := b.sums[name]; sum != nil {
				sum.stale = true
			}
		}
		if f.err == nil {
			// Fresh from when it is done: a refresh that takes longer
			// than the TTL does not start the next one at once.
			b.body, b.at = f.body, s.opts.Now()
		}
		b.mu.Unlock()
		close(f.done)
		return f.body, f.err
	}
	b.mu.Unlock()
	select {
	case <-f.done:
		return f.body, f.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// refreshChannels lists the store's channels and summarizes each one
// (reusing the summaries that are still fresh), then encodes the answer.
func (s *Server) refreshChannels(ctx context.Context, now time.Time) ([]byte, error) {
	dirs, err := s.store.ListDirs(ctx, "")
	s.metrics.StoreReads.WithLabelValues("list").Inc()
	if err != nil {
		return nil, err
	}
	b := s.browse
	names := make([]string, 0, len(dirs))
	for _, d := range dirs {
		if name := strings.TrimSuffix(d, "/"); trackfile.CheckName(name) == nil {
			names = append(names, name)
		}
	}
	sums := make([]*channelSummary, len(names))
	prev := make([]*channelSummary, len(names))
	b.mu.Lock()
	for i, name := range names {
		prev[i] = b.sums[name]
		if sum := prev[i]; sum != nil && !sum.stale && b.fresh(sum.at, now) {
			sums[i] = sum
		}
	}
	b.mu.Unlock()

	work := make(chan int)
	var wg sync.WaitGroup
	for range min(browseWorkers, len(names)) {
		wg.Go(func() {
			for i := range work {
				if ctx.Err() == nil {
					sums[i] = s.summarize(ctx, names[i])
				}
			}
		})
	}
	for i := range names {
		if sums[i] == nil {
			work <- i
		}
	}
	close(work)
	wg.Wait()
	for i := range sums {
		if sums[i] == nil { // the store failed: the last summary, if any
			sums[i] = prev[i]
		}
	}
	b.mu.Lock()
	for i, sum := range sums {
		if sum != nil {
			b.sums[names[i]] = sum
		}
	}
	b.mu.Unlock()
	if err := ctx.Err(); err != nil {
		// Not an answer to cache; what was summarized is kept, so the
		// next refresh goes on from there.
		return nil, fmt.Errorf("listing channels: %w", err)
	}

	out := struct {
		Channels []channelJSON `json:"channels"`
	}{Channels: []channelJSON{}}
	keep := make(map[string]*channelSummary, len(names))
	for i, sum := range sums {
		if sum == nil { // a store error, and never summarized before
			continue
		}
		keep[names[i]] = sum
		if sum.channel {
			out.Channels = append(out.Channels, sum.cj)
		}
	}
	b.mu.Lock()
	b.sums = keep // only the channels still in the store
	b.mu.Unlock()
	body, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(body, '\n'), nil
}

// summarize returns a channel's entry in the list: its name and the
// wall-clock extent of its archive, without implausible times; nil when
// the store failed.
func (s *Server) summarize(ctx context.Context, name string) *channelSummary {
	now := s.opts.Now()
	c, err := s.channel(ctx, name)
	if errors.Is(err, ErrNotFound) {
		return &channelSummary{at: now} // not a channel (or not yet)
	}
	if err != nil {
		if ctx.Err() == nil {
			s.log.Warn("browse: store failed summarizing a channel; its last summary is listed, if any", "channel", name, "err", err)
		}
		return nil
	}
	cj := channelJSON{Name: name}
	cj.First, cj.Last, _, cj.Problems = s.saneExtent(ctx, c)
	s.noteProblems(name, cj.Problems)
	return &channelSummary{at: now, channel: true, cj: cj}
}
