package archive

import (
	"context"
	"errors"
	"fmt"
	"path"
	"strings"

	"github.com/reapd/reapd/smpd"
	"github.com/reapd/reapd/trackfile"
)

// publish rewrites the channel's 24x7 archive S-MPD from every period
// index. It is a derived object: a deterministic function of write-once
// objects, so any archiver may rebuild it and a stale write is healed by
// the next publish.
func (c *channel) publish(ctx context.Context) error {
	objs, err := c.a.store.List(ctx, trackfile.IndexPrefix(c.name))
	if err != nil {
		return fmt.Errorf("publish %s: %w", c.name, err)
	}
	var runs []trackfile.Run
	for _, o := range objs {
		if !strings.HasSuffix(path.Base(o.Key), ".json") {
			continue
		}
		idx, err := c.indexObject(ctx, o.Key)
		if err != nil {
			return fmt.Errorf("publish %s: %w", c.name, err)
		}
		runs = append(runs, idx.Runs...)
	}
	if len(runs) == 0 {
		return nil
	}
	raw, err := smpd.ArchiveMPD(smpd.ArchiveInput{Channel: c.name, Ingest: c.currentMPD(), Runs: runs})
	if errors.Is(err, smpd.ErrNoRuns) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("publish %s: %w", c.name, err)
	}
	if err := c.a.store.Put(ctx, trackfile.ArchiveMPDKey(c.name), raw); err != nil {
		return fmt.Errorf("publish %s: %w", c.name, err)
	}
	return nil
}
