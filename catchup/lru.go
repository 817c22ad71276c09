package catchup

import (
	"container/list"
	"context"
	"sync"
)

// lru is a bounded cache of immutable objects (period index objects, CMAF
// headers: write-once in the store) that loads a missing object once for
// all concurrent callers.
type lru[V any] struct {
	mu      sync.Mutex
	max     int
	ll      *list.List // front: most recently used
	items   map[string]*list.Element
	loading map[string]*loadCall[V]
	onSize  func(n int) // called with the size after every change; may be nil
}

type lruEntry[V any] struct {
	key string
	v   V
}

type loadCall[V any] struct {
	done chan struct{}
	v    V
	err  error
}

func newLRU[V any](max int, onSize func(int)) *lru[V] {
	return &lru[V]{max: max, ll: list.New(), items: map[string]*list.Element{}, loading: map[string]*loadCall[V]{}, onSize: onSize}
}

// get returns the object under key, calling load (once, however many
// callers wait for it) when it is not cached. Errors are not cached.
func (c *lru[V]) get(ctx context.Context, key string, load func(context.Context) (V, error)) (V, error) {
	c.mu.Lock()
	if e, ok := c.items[key]; ok {
		c.ll.MoveToFront(e)
		v := e.Value.(*lruEntry[V]).v
		c.mu.Unlock()
		return v, nil
	}
	if call, ok := c.loading[key]; ok {
		c.mu.Unlock()
		select {
		case <-call.done:
			return call.v, call.err
		case <-ctx.Done():
			var zero V
			return zero, ctx.Err()
		}
	}
	call := &loadCall[V]{done: make(chan struct{})}
	c.loading[key] = call
	c.mu.Unlock()

	call.v, call.err = load(ctx)
	c.mu.Lock()
	delete(c.loading, key)
	if call.err == nil {
		c.addLocked(key, call.v)
	}
	c.mu.Unlock()
	close(call.done)
	return call.v, call.err
}

// peek returns a cached object without loading it.
func (c *lru[V]) peek(key string) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.items[key]; ok {
		c.ll.MoveToFront(e)
		return e.Value.(*lruEntry[V]).v, true
	}
	var zero V
	return zero, false
}

func (c *lru[V]) addLocked(key string, v V) {
	if e, ok := c.items[key]; ok {
		e.Value.(*lruEntry[V]).v = v
		c.ll.MoveToFront(e)
		return
	}
	c.items[key] = c.ll.PushFront(&lruEntry[V]{key: key, v: v})
	for c.ll.Len() > c.max {
		last := c.ll.Back()
		c.ll.Remove(last)
		delete(c.items, last.Value.(*lruEntry[V]).key)
	}
	if c.onSize != nil {
		c.onSize(c.ll.Len())
	}
}
