package recording

import (
	"context"
	"errors"
	"time"
)

// Start starts the Recorder's goroutine, which completes waiting
// recordings: every Options.Poll on every channel, and at once on a
// channel named to Notify. It is an error to Start twice.
func (r *Recorder) Start(ctx context.Context) error {
	if r.done != nil {
		return errors.New("recording: Recorder started twice")
	}
	ctx, r.cancel = context.WithCancel(context.WithoutCancel(ctx))
	r.done = make(chan struct{})
	go r.loop(ctx)
	return nil
}

// Close stops the goroutine and waits for it (or for ctx). A recording
// being written when Close is called is finished or left waiting, never
// half written: its objects are write-once.
func (r *Recorder) Close(ctx context.Context) error {
	if r.done == nil {
		return nil
	}
	r.cancel()
	select {
	case <-r.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Notify tells the Recorder that the archive of channel has moved on (a
// period was finalized): its waiting recordings are looked at now. It
// never blocks; wire it to archive.Options.OnFinalize.
func (r *Recorder) Notify(channel string) {
	select {
	case r.notify <- channel:
	default: // the poll catches up
	}
}

func (r *Recorder) loop(ctx context.Context) {
	defer close(r.done)
	t := time.NewTicker(r.opts.Poll)
	defer t.Stop()
	r.completeAll(ctx)
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			r.completeAll(ctx)
		case ch := <-r.notify:
			if _, err := r.CompleteChannel(ctx, ch); err != nil && ctx.Err() == nil {
				r.log.Warn("completing recordings", "channel", ch, "err", err)
			}
		}
	}
}

// completeAll completes what it can on every channel.
func (r *Recorder) completeAll(ctx context.Context) {
	channels, err := r.channels(ctx)
	if err != nil {
		if ctx.Err() == nil {
			r.log.Warn("completing recordings: listing channels", "err", err)
		}
		return
	}
	for _, ch := range channels {
		if _, err := r.CompleteChannel(ctx, ch); err != nil && ctx.Err() == nil {
			r.log.Warn("completing recordings", "channel", ch, "err", err)
		}
	}
}
