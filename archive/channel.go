package archive

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"net/http"
	"strings"
	"sync"

	"github.com/reapd/reapd/blobstore"
	"github.com/reapd/reapd/smpd"
	"github.com/reapd/reapd/trackfile"
)

// channel is the ingest state of one channel. Its fields are guarded by mu;
// store I/O for staging happens outside the lock (write-once keys make
// concurrent copies safe), only channel-wide decisions hold it.
type channel struct {
	a    *Archiver
	name string
	cfg  ChannelConfig
	log  *slog.Logger

	mu       sync.Mutex
	loaded   bool
	impd     *smpd.IngestMPD
	impdSig  string // structural signature of the last stored I-MPD version
	grid     trackfile.Grid
	sts      trackfile.Rational // seconds; valid when stsKnown
	stsKnown bool
	timing0  trackfile.ChannelTiming // last timing written to the store
	tracks   map[string]*track

	headers   map[string]*trackfile.Header        // parsed CMAF headers by key
	indexes   map[string]*trackfile.PeriodIndex   // parsed index objects by key
	finalized map[int64]map[string]map[int64]bool // period → track → n in track files
	pending   map[int64]*pendingPeriod            // periods with staged segments
	conf      conformance
	ended     map[string]bool // tracks that sent 'lmsg'
}

func newChannel(a *Archiver, name string, cfg ChannelConfig) *channel {
	c := &channel{a: a, name: name, cfg: cfg, log: a.log.With("channel", name), tracks: map[string]*track{},
		headers: map[string]*trackfile.Header{}, indexes: map[string]*trackfile.PeriodIndex{},
		finalized: map[int64]map[string]map[int64]bool{}, pending: map[int64]*pendingPeriod{}, ended: map[string]bool{}}
	if !cfg.STS.Auto {
		c.sts, c.stsKnown = cfg.STS.Seconds, true
	}
	return c
}

// load restores what the store knows of the channel: the latest I-MPD and
// the write-once decisions under {channel}/state/.
func (c *channel) load(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.loaded {
		return nil
	}
	st := c.a.store
	objs, err := st.List(ctx, c.name+"/ingest/")
	if err != nil {
		return fmt.Errorf("load channel %s: %w", c.name, err)
	}
	if len(objs) > 0 {
		raw, err := st.Get(ctx, objs[len(objs)-1].Key)
		if err != nil {
			return fmt.Errorf("load channel %s: %w", c.name, err)
		}
		if m, err := smpd.ParseIngestMPD(raw); err == nil {
			c.impd, c.impdSig = m, mpdSignature(m)
		}
	}
	var g gridState
	if ok, err := c.readState(ctx, "grid", &g); err != nil {
		return err
	} else if ok && c.cfg.SegmentDuration.IsZero() {
		c.grid.D = g.SegmentDuration
	}
	if !c.cfg.SegmentDuration.IsZero() {
		c.grid.D = c.cfg.SegmentDuration
	}
	if c.cfg.STS.Auto {
		var s stsState
		if ok, err := c.readState(ctx, "sts", &s); err != nil {
			return err
		} else if ok {
			c.sts, c.stsKnown = s.STS, true
		}
	}
	c.loaded = true
	return nil
}

type gridState struct {
	SegmentDuration trackfile.Rational `json:"segmentDuration"`
	From            string             `json:"from"`
}

type stsState struct {
	STS  trackfile.Rational `json:"sts"`
	From string             `json:"from"`
}

func (c *channel) readState(ctx context.Context, name string, v any) (bool, error) {
	raw, err := c.a.store.Get(ctx, trackfile.StateKey(c.name, name))
	if errors.Is(err, blobstore.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("load channel %s state %s: %w", c.name, name, err)
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return false, fmt.Errorf("channel %s state %s: %w", c.name, name, err)
	}
	return true, nil
}

// decide stores a write-once channel decision; when another archiver
// decided first, its decision is read back into v and wins.
func (c *channel) decide(ctx context.Context, name string, v any) error {
	raw, _ := json.Marshal(v)
	err := c.a.store.Create(ctx, trackfile.StateKey(c.name, name), raw)
	if errors.Is(err, blobstore.ErrExists) {
		_, err = c.readState(ctx, name, v)
	}
	return err
}

// timing returns the segment index n of a segment and the STS offset in the
// track's timescale, deciding the segment duration and an automatic STS on
// the channel's first segment when needed (design section 2).
func (c *channel) timing(ctx context.Context, track string, h *trackfile.Header, seg *trackfile.Segment) (n int64, offset int64, err error) {
	ts := h.Info.Timescale
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.grid.D.IsZero() {
		if err := c.decideDuration(ctx, track, h, seg); err != nil {
			return 0, 0, err
		}
	}
	if err := c.ensureGridLocked(); err != nil {
		return 0, 0, err
	}
	if !c.stsKnown {
		if err := c.decideSTS(ctx, seg, ts); err != nil {
			return 0, 0, err
		}
	}
	if err := c.publishTimingLocked(ctx); err != nil {
		return 0, 0, err
	}
	offset = c.sts.TicksSigned(ts)
	t0 := int64(seg.BaseDecodeTime) + offset
	if offset < 0 && t0 < 0 {
		return 0, 0, withStatus(http.StatusBadRequest, "segment time %d plus STS %s s is before the epoch",
			seg.BaseDecodeTime, c.sts)
	}
	return c.grid.SegmentIndex(uint64(t0), ts), offset, nil
}

// ensureGrid settles the grid without a segment (config, stored decision or
// I-MPD); D stays zero when none of them knows it yet.
func (c *channel) ensureGrid(ctx context.Context) error {
	if err := c.load(ctx); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ensureGridLocked()
}

func (c *channel) ensureGridLocked() error {
	if c.grid.D.IsZero() {
		switch {
		case !c.cfg.SegmentDuration.IsZero():
			c.grid.D = c.cfg.SegmentDuration
		case c.impd != nil && !c.impd.SegmentDuration.IsZero():
			c.grid.D = c.impd.SegmentDuration
		default:
			return nil
		}
	}
	if c.grid.N != 0 {
		return nil
	}
	c.grid.N = trackfile.DefaultPeriodSegments(c.grid.D)
	if c.cfg.StoragePeriod > 0 {
		n, err := trackfile.PeriodSegments(c.cfg.StoragePeriod, c.grid.D)
		if err != nil {
			return withStatus(http.StatusInternalServerError, "channel %s: %v", c.name, err)
		}
		c.grid.N = n
	}
	return nil
}

// publishTimingLocked writes the channel's timing for readers of the store
// once per process and whenever it changes.
func (c *channel) publishTimingLocked(ctx context.Context) error {
	ct := trackfile.ChannelTiming{SegmentDuration: c.grid.D, PeriodSegments: c.grid.N, STS: c.sts}
	if c.timing0 == ct {
		return nil
	}
	raw, _ := trackfile.MarshalTiming(ct)
	if err := c.a.store.Put(ctx, trackfile.TimingKey(c.name), raw); err != nil {
		c.a.metrics.StoreErrors.WithLabelValues("put").Inc()
		return fmt.Errorf("channel %s timing: %w", c.name, err)
	}
	c.timing0 = ct
	return nil
}

// decideDuration fixes D from config, the I-MPD, or the first segment.
func (c *channel) decideDuration(ctx context.Context, track string, h *trackfile.Header, seg *trackfile.Segment) error {
	switch {
	case !c.cfg.SegmentDuration.IsZero():
		c.grid.D = c.cfg.SegmentDuration
		return nil
	case c.impd != nil && !c.impd.SegmentDuration.IsZero():
		c.grid.D = c.impd.SegmentDuration
		return nil
	}
	if seg.Duration == 0 {
		return withStatus(http.StatusBadRequest, "cannot infer segment duration from an empty segment")
	}
	d := inferDuration(seg.Duration, h.Info)
	st := gridState{SegmentDuration: d, From: "inferred from track " + track}
	if err := c.decide(ctx, "grid", &st); err != nil {
		return err
	}
	c.grid.D = st.SegmentDuration
	c.log.Warn("segment duration inferred; configure it to be sure", "segment_duration", c.grid.D.String(),
		"from", st.From)
	return nil
}

// inferDuration turns a first segment's duration into D: exact for video,
// rounded to 1/25 s for audio and other tracks whose segments vary by up to
// a frame around D.
func inferDuration(ticks uint64, info trackfile.TrackInfo) trackfile.Rational {
	d := trackfile.RationalFromTicks(ticks, info.Timescale)
	if info.Handler == "vide" {
		return d
	}
	q := new(big.Rat).SetFrac64(d.Num*25, d.Den)
	f, _ := q.Float64()
	units := int64(f + 0.5)
	if units < 1 {
		return d
	}
	return trackfile.Rational{Num: units, Den: 25}.Reduce()
}

// decideSTS fixes an automatic STS so that this first segment starts at the
// grid point nearest to the wall clock: STS = k·D − t_in/ts.
func (c *channel) decideSTS(ctx context.Context, seg *trackfile.Segment, ts uint32) error {
	k := c.grid.SegmentAt(c.a.opts.Now().Add(c.grid.D.Duration() / 2))
	kd := new(big.Rat).Mul(big.NewRat(k, 1), big.NewRat(c.grid.D.Num, c.grid.D.Den))
	in := new(big.Rat).SetFrac(new(big.Int).SetUint64(seg.BaseDecodeTime), big.NewInt(int64(ts)))
	sts := new(big.Rat).Sub(kd, in)
	st := stsState{STS: trackfile.Rational{Num: sts.Num().Int64(), Den: sts.Denom().Int64()},
		From: fmt.Sprintf("auto at segment %d", k)}
	if err := c.decide(ctx, "sts", &st); err != nil {
		return err
	}
	c.sts, c.stsKnown = st.STS, true
	c.log.Info("sts fixed automatically", "sts", c.sts.String(), "from", st.From)
	return nil
}

// Grid returns the channel's segment grid (D zero while unknown).
func (c *channel) Grid() trackfile.Grid {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.grid
}

// currentMPD returns the current I-MPD (nil if none).
func (c *channel) currentMPD() *smpd.IngestMPD {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.impd
}

// mpdSignature identifies an I-MPD version by its structure: everything but
// the SegmentTimeline contents and the attributes that change with every
// republish, so that an encoder re-sending its MPD after each segment
// (ffmpeg) stores one version, not thousands.
func mpdSignature(m *smpd.IngestMPD) string {
	var b strings.Builder
	for _, t := range m.Tracks {
		fmt.Fprintf(&b, "%s|%s|%s|%s|%s|%d|%s|%d|%d|%s|%v|%d|%d\n", t.ID, t.AdaptationSetID, t.ContentType,
			t.MimeType, t.Codecs, 0, t.Lang, t.Width, t.Height, t.Init+" "+t.Media, t.Roles,
			t.Timescale, t.Duration)
	}
	fmt.Fprintf(&b, "D=%s AST=%s", m.SegmentDuration, m.AvailabilityStartTime)
	return b.String()
}
