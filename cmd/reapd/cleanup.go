package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/reapd/reapd/blobstore"
)

// staleTempAge is how old a temporary file of a file:// store must be to
// be removed as left over by a killed writer.
const staleTempAge = time.Minute

// startCleanup removes, in the background, what killed processes left in
// the store: temporary files of file:// writes (at start-up, and once more
// staleTempAge later for those that were too young then) and /readyz
// canaries. The returned channel is closed when it is done (or ctx is).
func startCleanup(ctx context.Context, store *blobstore.Store, log *slog.Logger) <-chan struct{} {
	done := make(chan struct{})
	go func() {
		defer close(done)
		if n, err := removeStaleCanaries(ctx, store); n > 0 || err != nil {
			log.Info("removed stale readiness canaries", "count", n, "err", err)
		}
		for pass := 0; pass < 2; pass++ {
			if pass > 0 {
				t := time.NewTimer(staleTempAge)
				select {
				case <-ctx.Done():
					t.Stop()
					return
				case <-t.C:
				}
			}
			n, err := store.RemoveStaleTemp(ctx, staleTempAge)
			if n > 0 || (err != nil && ctx.Err() == nil) {
				log.Info("removed temporary files left by interrupted writes", "count", n, "err", err)
			}
		}
	}()
	return done
}
