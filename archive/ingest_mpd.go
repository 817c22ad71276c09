package archive

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/reapd/reapd/blobstore"
	"github.com/reapd/reapd/smpd"
	"github.com/reapd/reapd/trackfile"
)

// ingestMPD receives an I-MPD (REaP clause 6.1): it is parsed, checked,
// stored raw as a new version when its structure changed, and used for
// naming and timing from then on.
func (c *channel) ingestMPD(r *http.Request, rel string) error {
	ctx := r.Context()
	raw, err := io.ReadAll(io.LimitReader(r.Body, c.a.opts.MaxMPDBytes+1))
	if err != nil {
		return fail(ErrBadRequest, "read I-MPD %s: %v", rel, err)
	}
	if int64(len(raw)) > c.a.opts.MaxMPDBytes {
		return fail(ErrTooLarge, "I-MPD %s larger than %d bytes", rel, c.a.opts.MaxMPDBytes)
	}
	if len(raw) == 0 {
		return nil // connectivity check
	}
	m, err := smpd.ParseIngestMPD(raw)
	if err != nil {
		return fmt.Errorf("I-MPD %s: %w", rel, err)
	}
	sig := mpdSignature(m)
	c.mu.Lock()
	prev, prevSig := c.impd, c.impdSig
	c.mu.Unlock()
	if prev != nil && sig == prevSig {
		c.setMPD(m, sig)
		c.a.metrics.MPDs.WithLabelValues(c.name, "unchanged").Inc()
		return nil
	}
	c.mu.Lock()
	versions := c.mpdVersions
	c.mu.Unlock()
	if versions >= c.a.opts.MaxMPDVersions {
		c.a.logCap("mpd-versions", "I-MPD version limit of a channel reached: new versions are refused", "max_mpd_versions", c.a.opts.MaxMPDVersions, "channel", c.name)
		return fail(ErrTooMany, "I-MPD refused: channel %s already has %d stored I-MPD versions (--max-mpd-versions); an encoder re-sending an unchanged MPD stores none", c.name, versions)
	}
	start := time.Now()
	if err := c.storeMPD(ctx, raw); err != nil {
		return err
	}
	c.mu.Lock()
	c.mpdVersions++
	c.mu.Unlock()
	c.a.metrics.IngestDuration.WithLabelValues(c.name, "mpd").Observe(time.Since(start).Seconds())
	c.a.metrics.MPDs.WithLabelValues(c.name, "stored").Inc()
	findings := m.Check()
	if prev != nil {
		findings = append(findings, smpd.NamingChanged(prev, m)...)
	}
	for _, f := range findings {
		c.a.metrics.Findings.WithLabelValues(c.name, f.Clause).Inc()
		c.conf.add("mpd", f, c.a.opts.Now())
		c.log.Warn("I-MPD conformance finding", "clause", f.Clause, "level", f.Level, "subject", f.Subject, "msg", f.Message)
	}
	c.log.Info("I-MPD version stored", "tracks", len(m.Tracks), "segment_duration", m.SegmentDuration.String(),
		"findings", len(findings))
	c.setMPD(m, sig)
	return nil
}

func (c *channel) setMPD(m *smpd.IngestMPD, sig string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.impd, c.impdSig = m, sig
	if !c.cfg.SegmentDuration.IsZero() && !m.SegmentDuration.IsZero() && c.cfg.SegmentDuration != m.SegmentDuration.Reduce() {
		c.log.Warn("I-MPD segment duration differs from the configured one; the configured one is used",
			"mpd", m.SegmentDuration.String(), "config", c.cfg.SegmentDuration.String())
	}
}

// storeMPD writes an I-MPD version under its receive time in ms, moving on
// to the next millisecond if another archiver took that key.
func (c *channel) storeMPD(ctx context.Context, raw []byte) error {
	ms := c.a.opts.Now().UnixMilli()
	for i := int64(0); i < 100; i++ {
		err := c.a.store.Create(ctx, trackfile.IngestMPDKey(c.name, ms+i), raw)
		if !errors.Is(err, blobstore.ErrExists) {
			if err != nil {
				c.a.metrics.StoreErrors.WithLabelValues("create").Inc()
			}
			return err
		}
	}
	return fail(ErrUnavailable, "no free I-MPD version key")
}
