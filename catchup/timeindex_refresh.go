package catchup

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/reapd/reapd/blobstore"
	"github.com/reapd/reapd/smpd"
	"github.com/reapd/reapd/trackfile"
)

// A channel's index listing, and its staged listing, are each refreshed by
// one flight at a time, outside channelIndex.mu: the store is listed by a
// goroutine of its own while requests that need a fresh listing wait for
// it (or leave when their context is done), and requests whose view is
// fresh enough do not wait at all. Before, the mutex was held through the
// listing, so at every finalize (which invalidates the channel) every
// catch-up request of the channel queued behind one store listing — a
// staged listing reads a list per track and the headers — and a client
// that gave up still held its place.

// refreshTimeout bounds one refresh flight (it runs on no request's
// context, so a request that leaves does not cut it for the others).
const refreshTimeout = 30 * time.Second

// flight is one listing in flight: done is closed when val and err are set.
type flight[T any] struct {
	done chan struct{}
	val  T
	err  error
}

func newFlight[T any]() *flight[T] { return &flight[T]{done: make(chan struct{})} }

// awaitLocked waits for flight f without holding mu, which it releases and
// takes again; ctx.Err() when ctx ends first.
func awaitLocked[T any](ctx context.Context, mu *sync.Mutex, f *flight[T]) (T, error) {
	mu.Unlock()
	defer mu.Lock()
	select {
	case <-f.done:
		return f.val, f.err
	case <-ctx.Done():
		var zero T
		return zero, ctx.Err()
	}
}

// indexFlight is one refresh of the index listing in flight (no value:
// it applies what it lists to the channel).
type indexFlight = flight[struct{}]

// indexListing is what one listing of the store found.
type indexListing struct {
	periods   map[int64][]string
	ks        []int64
	timing    *trackfile.ChannelTiming
	ingestKey string
	ingest    *smpd.IngestMPD
	newIngest bool
}

// freshIndexLocked makes the index listing at most maxAge old (or no
// longer stale): it joins the refresh in flight or starts one, and waits
// for it without holding c.mu. Called and returns with c.mu held; ctx.Err()
// when the caller's context ends first.
func (c *channelIndex) freshIndexLocked(ctx context.Context, maxAge time.Duration) error {
	for range 2 { // one more flight when an invalidation came during the first
		now := c.s.opts.Now()
		if !c.stale && now.Sub(c.listedAt) < maxAge && !c.listedAt.After(now) {
			return nil
		}
		f := c.flight
		if f == nil {
			f = newFlight[struct{}]()
			c.flight = f
			go c.refresh(f, c.ingestKey, c.gen)
		}
		if _, err := awaitLocked(ctx, &c.mu, f); err != nil {
			return err
		}
	}
	return nil
}

// refresh lists the store for flight f and applies the result.
func (c *channelIndex) refresh(f *indexFlight, ingestKey string, gen int) {
	ctx, cancel := context.WithTimeout(context.Background(), refreshTimeout)
	defer cancel()
	l, err := c.listIndex(ctx, ingestKey)
	c.mu.Lock()
	defer c.mu.Unlock()
	if err == nil {
		c.applyLocked(l, gen)
	}
	f.err = err
	c.flight = nil
	close(f.done)
}

// stagedFlight is one staged listing in flight.
type stagedFlight = flight[*stagedView]

// freshStagedLocked returns the staged segments as listed at most maxAge
// ago (and since the last invalidation): it joins the staged listing in
// flight or starts one, and waits for it without holding c.mu. Called and
// returns with c.mu held; ctx.Err() when the caller's context ends first.
func (c *channelIndex) freshStagedLocked(ctx context.Context, maxAge time.Duration) (*stagedView, error) {
	now := c.s.opts.Now()
	if c.staged != nil && now.Sub(c.stagedAt) < maxAge && !c.stagedAt.After(now) {
		return c.staged, nil
	}
	f := c.sflight
	if f == nil {
		f = newFlight[*stagedView]()
		c.sflight = f
		go c.refreshStaged(f, c.stagedInputsLocked(), c.ingestKey, c.gen)
	}
	return awaitLocked(ctx, &c.mu, f)
}

// refreshStaged lists the staged segments for flight f, then the index
// again, and applies both: a period finalized between the two listings is
// then seen in the index (its staged segments may be gone), never lost.
// The staged view is kept only if the channel was not invalidated since
// generation gen; f's waiters get it either way.
func (c *channelIndex) refreshStaged(f *stagedFlight, in stagedInputs, ingestKey string, gen int) {
	ctx, cancel := context.WithTimeout(context.Background(), refreshTimeout)
	defer cancel()
	start := c.s.opts.Now()
	sv, keep, err := c.listStaged(ctx, in)
	var l *indexListing
	if err == nil {
		l, err = c.listIndex(ctx, ingestKey)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if err == nil {
		c.applyLocked(l, gen)
		if c.gen == gen {
			c.staged, c.stagedAt = sv, start
		}
		for key := range c.layouts {
			if !keep[key] {
				delete(c.layouts, key)
			}
		}
	}
	f.val, f.err = sv, err
	c.sflight = nil
	close(f.done)
}

// listIndexLocked lists the store with c.mu held (a channel not shared
// yet).
func (c *channelIndex) listIndexLocked(ctx context.Context) error {
	l, err := c.listIndex(ctx, c.ingestKey)
	if err != nil {
		return err
	}
	c.applyLocked(l, c.gen)
	return nil
}

// applyLocked installs a listing started at invalidation generation gen:
// it stays stale if the channel was invalidated since.
func (c *channelIndex) applyLocked(l *indexListing, gen int) {
	c.periods, c.ks, c.timing = l.periods, l.ks, l.timing
	if l.newIngest {
		c.ingestKey, c.ingest = l.ingestKey, l.ingest
	}
	c.listedAt = c.s.opts.Now()
	if c.gen == gen {
		c.stale = false
	}
}

// listIndex lists the period index objects, reads the channel timing and
// picks up an I-MPD newer than ingestKey; it touches no state of c.
func (c *channelIndex) listIndex(ctx context.Context, ingestKey string) (*indexListing, error) {
	st := c.s.store
	m := c.s.metrics.StoreReads
	objs, err := st.List(ctx, trackfile.IndexPrefix(c.name))
	m.WithLabelValues("list").Inc()
	if err != nil {
		return nil, fmt.Errorf("list period indexes of %s: %w", c.name, err)
	}
	l := &indexListing{periods: map[int64][]string{}}
	for _, o := range objs {
		if k, ok := trackfile.IndexKeyPeriod(o.Key); ok {
			l.periods[k] = append(l.periods[k], o.Key)
		}
	}
	l.ks = make([]int64, 0, len(l.periods))
	for k, keys := range l.periods {
		l.ks = append(l.ks, k)
		slices.SortFunc(keys, compareIndexKeys)
	}
	slices.Sort(l.ks)

	raw, err := st.Get(ctx, trackfile.TimingKey(c.name))
	m.WithLabelValues("timing").Inc()
	switch {
	case errors.Is(err, blobstore.ErrNotFound):
	case err != nil:
		return nil, fmt.Errorf("channel timing of %s: %w", c.name, err)
	default:
		if t, err := trackfile.UnmarshalTiming(raw); err == nil {
			l.timing = &t
		} else {
			c.s.log.Warn("ignoring malformed channel timing", "channel", c.name, "err", err)
		}
	}
	if err := c.loadIngest(ctx, ingestKey, l); err != nil {
		return nil, err
	}
	return l, nil
}

// loadIngest reads the latest I-MPD into l when it is newer than key.
func (c *channelIndex) loadIngest(ctx context.Context, key string, l *indexListing) error {
	objs, err := c.s.store.List(ctx, c.name+"/ingest/")
	c.s.metrics.StoreReads.WithLabelValues("list").Inc()
	if err != nil {
		return fmt.Errorf("list I-MPDs of %s: %w", c.name, err)
	}
	if len(objs) == 0 || objs[len(objs)-1].Key == key {
		return nil
	}
	latest := objs[len(objs)-1].Key
	raw, err := c.s.store.Get(ctx, latest)
	c.s.metrics.StoreReads.WithLabelValues("mpd").Inc()
	if err != nil {
		return fmt.Errorf("I-MPD of %s: %w", c.name, err)
	}
	m, err := smpd.ParseIngestMPD(raw)
	if err != nil {
		c.s.log.Warn("ignoring unparseable I-MPD", "key", latest, "err", err)
		m = nil
	}
	l.ingestKey, l.ingest, l.newIngest = latest, m, true
	return nil
}
