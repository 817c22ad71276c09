package recording

import (
	"context"
	"time"

	"github.com/reapd/reapd/blobstore"
)

// Window is a stretch of a channel's archive that retention must keep.
type Window struct {
	From, To time.Time
	Reason   string // e.g. "recording news-2026-12-01"
}

// Windows returns the windows of every recording of a channel, waiting or
// complete or failed: retention keeps every storage period overlapping
// one (the recording S-MPDs point into the storage track files).
func Windows(ctx context.Context, store *blobstore.Store, channel string) ([]Window, error) {
	recs, _, err := New(store, nil).records(ctx, channel)
	if err != nil {
		return nil, err
	}
	out := make([]Window, 0, len(recs))
	for _, rec := range recs {
		out = append(out, Window{From: rec.Start, To: rec.End, Reason: "recording " + rec.Name})
	}
	return out, nil
}
