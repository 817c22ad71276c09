package archive

import (
	"context"
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
	run             context.Context    // done when the clock ran out
	runOut          context.CancelFunc // makes run done
	timer           *time.Timer
}

// newStoreClock starts a clock running (the handler is working) for a
// request with context parent.
func newStoreClock(parent context.Context, d time.Duration) *storeClock {
	run, runOut := context.WithCancel(context.Background())
	c := &storeClock{Context: context.WithoutCancel(parent), d: d, run: run, runOut: runOut}
	c.timer = time.AfterFunc(d, runOut)
	return c
}

// Done is closed when the clock ran out.
func (c *storeClock) Done() <-chan struct{} { return c.run.Done() }

// Err is context.DeadlineExceeded once the clock ran out, else nil.
func (c *storeClock) Err() error {
	if c.run.Err() != nil {
		return context.DeadlineExceeded
	}
	return nil
}

// AfterFunc runs f once the clock has run out, in a goroutine of its own,
// as context.AfterFunc does. context.WithCancel (every store attempt's
// context is one) uses it to hear of the end of a parent that is not one
// of its own: without it, each attempt started a goroutine that waited on
// Done for as long as the attempt lasted.
func (c *storeClock) AfterFunc(f func()) (stop func() bool) { return context.AfterFunc(c.run, f) }

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
