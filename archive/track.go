package archive

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"

	"github.com/reapd/reapd/blobstore"
	"github.com/reapd/reapd/trackfile"
)

// track is the ingest state of one track of a channel.
type track struct {
	c    *channel
	name string
	log  *slog.Logger

	mu       sync.Mutex
	resumed  bool                                // the store was asked for the current header
	header   *trackfile.Header                   // current CMAF header; nil until received
	marked   headerMark                          // the last header-use marker written
	findings map[string]bool                     // clauses already logged for this track
	recent   map[trackfile.StagedName]stagedCopy // recently staged segments, for duplicate checks
}

// track returns the state of a track, creating it on first use.
func (c *channel) track(name string) (*track, error) {
	if err := trackfile.CheckName(name); err != nil {
		return nil, fail(ErrBadRequest, "track: %v", err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	t, ok := c.tracks[name]
	if !ok && len(c.tracks) >= c.a.opts.MaxTracks {
		c.mu.Unlock()
		c.a.logCap("tracks", "track limit of a channel reached: new tracks are refused", "max_tracks", c.a.opts.MaxTracks, "channel", c.name, "track", name)
		c.mu.Lock()
		return nil, fail(ErrForbidden, "track %q refused: a channel has at most %d tracks (--max-tracks)", name, c.a.opts.MaxTracks)
	}
	if !ok {
		t = &track{c: c, name: name, log: c.log.With("track", name), findings: map[string]bool{}}
		c.tracks[name] = t
		c.a.metrics.Tracks.Inc()
	}
	return t, nil
}

// setHeader makes h the track's current header, storing it content-addressed
// (a repeated identical header is a no-op in the store).
func (t *track) setHeader(ctx context.Context, h *trackfile.Header) error {
	key := trackfile.HeaderKey(t.c.name, t.name, h.Hash, h.Info.Ext)
	err := t.c.a.store.Create(ctx, key, h.Raw)
	if err != nil && !errors.Is(err, blobstore.ErrExists) {
		t.c.a.metrics.StoreErrors.WithLabelValues("create").Inc()
		return fmt.Errorf("store header %s: %w", key, err)
	}
	t.mu.Lock()
	result := "new"
	switch {
	case t.header != nil && t.header.Hash == h.Hash:
		result = "same"
	case t.header != nil:
		result = "changed"
		t.log.Info("CMAF header changed: a new run starts", "old", t.header.Hash, "new", h.Hash)
	}
	t.c.a.metrics.Headers.WithLabelValues(t.c.name, t.name, result).Inc()
	t.header, t.resumed = h, true
	t.mu.Unlock()
	// Findings lock t.mu themselves: report them after unlocking.
	for _, f := range trackfile.CheckHeader(h) {
		t.finding(f)
	}
	return nil
}

// currentHeader returns the track's header, resuming it from the store
// after a restart: the newest header-use marker beside the staged segments
// names it. Without one the encoder must send its header first (412).
func (t *track) currentHeader(ctx context.Context) (*trackfile.Header, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.header != nil || t.resumed {
		if t.header == nil {
			return nil, fail(ErrNoHeader, "media segment before any CMAF header for track %s", t.name)
		}
		return t.header, nil
	}
	st := t.c.a.store
	objs, err := st.List(ctx, trackfile.StagedPrefix(t.c.name, t.name))
	if err != nil {
		return nil, fmt.Errorf("resume track %s: %w", t.name, err)
	}
	hash := ""
	if marks := trackfile.ParseStagedTrack(keysOf(objs)).Marks; len(marks) > 0 {
		hash = marks[len(marks)-1].Hash
	}
	t.resumed = true
	if hash == "" {
		return nil, fail(ErrNoHeader, "media segment before any CMAF header for track %s", t.name)
	}
	h, err := t.c.headerByHash(ctx, t.name, hash)
	if errors.Is(err, errHeaderMissing) {
		err = errors.Join(err, blobstore.ErrUnavailable) // not yet listed: retried
	}
	if err != nil {
		t.resumed = errors.Is(err, trackfile.ErrMalformed) // a store failure is retried
		return nil, fmt.Errorf("resume track %s: %w", t.name, err)
	}
	t.header = h
	t.log.Info("resumed track header from store", "header", h.Hash)
	return h, nil
}

// headerMark is which header a track marked last, from which start time
// on, and in which storage period (ok false while the grid is unknown).
type headerMark struct {
	hash   string
	period int64
	ok     bool
	t      uint64
}

// markHeader records which header the track's segments from t on use: once
// per storage period and header, and again for a segment earlier than the
// marker (it arrived late, after a header change) or in a period already
// finalized (whose markers went with it).
func (t *track) markHeader(ctx context.Context, h *trackfile.Header, at uint64) error {
	g := t.c.Grid()
	want := headerMark{hash: h.Hash, t: at}
	if g.N != 0 {
		want.period, want.ok = g.Period(g.SegmentIndex(at, h.Info.Timescale)), true
	}
	t.mu.Lock()
	m := t.marked
	t.mu.Unlock()
	if m.hash == want.hash && m.period == want.period && m.ok == want.ok && at >= m.t &&
		!(want.ok && t.c.periodFinalized(want.period)) {
		return nil
	}
	key := trackfile.HeaderUseKey(t.c.name, t.name, at, h.Hash)
	if err := t.c.a.store.Create(ctx, key, nil); err != nil && !errors.Is(err, blobstore.ErrExists) {
		t.c.a.metrics.StoreErrors.WithLabelValues("create").Inc()
		return fmt.Errorf("mark header %s: %w", key, err)
	}
	t.mu.Lock()
	if m.hash != want.hash || m.period != want.period || m.ok != want.ok || at < m.t {
		t.marked = want
	}
	t.mu.Unlock()
	return nil
}

// finding counts a conformance finding and logs it the first time it is
// seen on this track.
func (t *track) finding(f trackfile.Finding) {
	t.c.a.metrics.Findings.WithLabelValues(t.c.name, f.Clause).Inc()
	t.c.conf.add(t.name, f, t.c.a.opts.Now())
	key := f.Clause + "|" + f.Level
	t.mu.Lock()
	seen := t.findings[key]
	t.findings[key] = true
	t.mu.Unlock()
	if !seen {
		t.log.Warn("conformance finding (logged once per track)", "clause", f.Clause, "level", f.Level,
			"subject", f.Subject, "msg", f.Message)
	}
}

// trackFromPath names the track of a header or segment request path
// relative to the channel's ingest root: from the I-MPD's templates when
// they match, else from the built-in forms of design section 3. streams
// reports the long-running "Streams(track.ext)" form.
func (c *channel) trackFromPath(rel string) (name string, streams bool, err error) {
	if m := c.currentMPD(); m != nil {
		if pm, ok := m.Match(rel); ok {
			name, err := trackfile.TrackNameFromPath(pm.Track) // a Representation@id may hold slashes
			if err != nil {
				return "", false, fail(ErrBadRequest, "path %q: %v", strings.TrimSpace(rel), err)
			}
			return name, false, nil
		}
	}
	for _, f := range builtinForms {
		if sm := f.re.FindStringSubmatch(rel); sm != nil {
			name, err := trackfile.TrackNameFromPath(sm[1])
			if err != nil {
				return "", false, fail(ErrBadRequest, "path %q: %v", strings.TrimSpace(rel), err)
			}
			return name, f.streams, nil
		}
	}
	return "", false, fail(ErrBadRequest,
		"path %q names no track: not in the I-MPD's SegmentTemplate and not a known form", strings.TrimSpace(rel))
}
