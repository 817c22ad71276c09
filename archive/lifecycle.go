package archive

import (
	"context"
	"errors"
)

// Start starts the archiver's finalizer in the background: it resumes
// from the store (every staged segment of every channel), then finalizes
// periods as they complete or time out (Run). The finalizer does not stop
// when ctx is cancelled — it is stopped by Close, after ingest has
// drained — but it keeps ctx's values. Start is a no-op if already started.
func (a *Archiver) Start(ctx context.Context) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.runDone != nil {
		return
	}
	runCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{})
	a.stopRun, a.runDone = stop, done
	go func() {
		defer close(done)
		_ = a.Run(runCtx)
	}()
}

// Close stops the archiver: no new ingest requests (503), the ones in
// flight finish (Shutdown), the finalizer started by Start stops, and the
// periods due now are finalized; what is not yet due waits in the store for
// the next start. It returns when all of that is done or ctx is; the
// finalizer's goroutine is always waited for. Only the first call does the
// work; later calls return its result.
func (a *Archiver) Close(ctx context.Context) error {
	a.closeOnce.Do(func() { a.closeErr = a.close(ctx) })
	return a.closeErr
}

func (a *Archiver) close(ctx context.Context) error {
	err := a.Shutdown(ctx)
	a.mu.Lock()
	stop, done := a.stopRun, a.runDone
	a.mu.Unlock()
	if stop != nil {
		stop()
		<-done // Run returns at its next select once stopped
	}
	if ctx.Err() == nil {
		a.FinalizeDue(ctx)
	}
	return errors.Join(err, ctx.Err())
}
