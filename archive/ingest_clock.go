package archive

import (
	"context"
	"sync"
	"time"
)

// storeClock is the context of an ingest request's store writes. It is
// done, with context.DeadlineExceeded, once the handler has spent
// Options.StoreTimeout at a stretch away from the request body —
// processing and staging what it read — but not while it waits for the
// body's next bytes (the connection guard bounds that). A long-running
// Streams() POST thus may last for ever, while a store that hangs fails
// its request within StoreTimeout. It is not cancelled when the client
// goes away: a segment received whole is staged even if the encoder hangs
// up before the answer.
type storeClock struct {
	context.Context // values only
	d               time.Duration
	done            chan struct{}
	once            sync.Once
	timer           *time.Timer
}

// newStoreClock starts a clock running (the handler is working) for a
// request with context parent.
func newStoreClock(parent context.Context, d time.Duration) *storeClock {
	c := &storeClock{Context: context.WithoutCancel(parent), d: d, done: make(chan struct{})}
	c.timer = time.AfterFunc(d, c.expire)
	return c
}

func (c *storeClock) expire() { c.once.Do(func() { close(c.done) }) }

// Done is closed when the clock ran out.
func (c *storeClock) Done() <-chan struct{} { return c.done }

// Err is context.DeadlineExceeded once the clock ran out, else nil.
func (c *storeClock) Err() error {
	select {
	case <-c.done:
		return context.DeadlineExceeded
	default:
		return nil
	}
}

// waiting stops the clock: the handler waits for the body.
func (c *storeClock) waiting() { c.timer.Stop() }

// working restarts the clock, from zero: the handler got bytes to work on.
func (c *storeClock) working() {
	if c.Err() == nil {
		c.timer.Reset(c.d)
	}
}

// stop releases the timer at the end of the request.
func (c *storeClock) stop() { c.timer.Stop() }
