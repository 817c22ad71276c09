package archive

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"strings"
	"sync"
	"time"

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

	mu           sync.Mutex
	loaded       bool
	impd         *smpd.IngestMPD
	impdSig      string // structural signature of the last stored I-MPD version
	mpdVersions  int    // I-MPD versions in the store
	grid         trackfile.Grid
	phaseKnown   bool               // grid.Phase is decided (else 0 for now)
	evidence     gridEvidence       // what segments say about D and the phase until decided
	hasVideo     bool               // a video track staged: its durations decide D
	contradicted map[string]bool    // grid contradictions already reported
	sts          trackfile.Rational // seconds; valid when stsKnown
	stsKnown     bool
	timing0      trackfile.ChannelTiming // last timing written to the store
	tracks       map[string]*track

	headers       map[string]*trackfile.Header         // parsed CMAF headers by key
	indexes       map[string]*trackfile.PeriodIndex    // parsed index objects by key
	finalized     map[int64]map[string]map[uint64]bool // period → track → start times in track files
	pending       map[int64]*pendingPeriod             // periods with staged segments
	unplaced      []stagedNote                         // staged while the grid is unknown
	unplacedSince time.Time                            // when the first of them was staged
	timescales    map[string]uint32                    // timescale of each track that staged media
	conf          conformance
	ended         map[string]bool // tracks that sent 'lmsg'
}

func newChannel(a *Archiver, name string, cfg ChannelConfig) *channel {
	c := &channel{a: a, name: name, cfg: cfg, log: a.log.With("channel", name), tracks: map[string]*track{},
		headers: map[string]*trackfile.Header{}, indexes: map[string]*trackfile.PeriodIndex{},
		finalized: map[int64]map[string]map[uint64]bool{}, pending: map[int64]*pendingPeriod{}, ended: map[string]bool{},
		timescales: map[string]uint32{}}
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
	c.mpdVersions = len(objs)
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
	var ph phaseState
	if ok, err := c.readState(ctx, "phase", &ph); err != nil {
		return err
	} else if ok {
		c.grid.Phase, c.phaseKnown = ph.Phase, true
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

type phaseState struct {
	Phase trackfile.Rational `json:"phase"`
	From  string             `json:"from"`
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

// timing returns a segment's start time t on the epoch timeline (its
// identity) and the STS offset in the track's timescale, fixing an
// automatic STS on the channel's first segment, and adds the segment to
// the evidence for the channel's D and grid phase (design section 2).
// A time that is not plausible is refused with 400: past year 9999, or
// further ahead of the wall clock than the channel allows.
func (c *channel) timing(ctx context.Context, track string, h *trackfile.Header, seg *trackfile.Segment) (t uint64, offset int64, err error) {
	return c.timingOf(ctx, track, h, seg, true)
}

// fragmentTiming is timing for one fragment of a segment being collected:
// a fragment is no evidence for D.
func (c *channel) fragmentTiming(ctx context.Context, track string, h *trackfile.Header, seg *trackfile.Segment) (t uint64, offset int64, err error) {
	return c.timingOf(ctx, track, h, seg, false)
}

func (c *channel) timingOf(ctx context.Context, track string, h *trackfile.Header, seg *trackfile.Segment, learn bool) (t uint64, offset int64, err error) {
	ts := h.Info.Timescale
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.ensureGridLocked(); err != nil {
		return 0, 0, err
	}
	if !c.stsKnown {
		if err := c.decideSTS(ctx, seg, ts); err != nil {
			return 0, 0, err
		}
	}
	offset = c.sts.TicksSigned(ts)
	if t, err = c.epochTime(seg, ts, offset); err != nil {
		return 0, 0, err
	}
	if h.Info.Handler == "vide" {
		c.hasVideo = true
	}
	if !learn {
		return t, offset, nil
	}
	if err := c.learnLocked(ctx, track, h, seg, t); err != nil {
		return 0, 0, err
	}
	if err := c.publishTimingLocked(ctx); err != nil {
		return 0, 0, err
	}
	return t, offset, nil
}

// checkDecisionLocked reports (log once per contradiction, metric,
// conformance finding) evidence that contradicts the channel's decided D
// or phase. Nothing is dropped either way: D only files and describes
// segments. An operator who finds the decision wrong configures D, or
// clears the learned decisions with "reapd timing --reset".
func (c *channel) checkDecisionLocked(track string, d trackfile.Rational, from string) {
	what, detail := "", ""
	if !d.IsZero() && d.Reduce() != c.grid.D.Reduce() {
		what, detail = "duration", fmt.Sprintf("segments say D = %s s (%s), the channel files them with D = %s s", d, from, c.grid.D)
	} else if p, pfrom, ok := c.evidence.phaseFrom(c.grid.D, c.hasVideo); ok && p != c.grid.Phase && c.evidence.tracks[track] != nil &&
		(c.evidence.tracks[track].video || !c.hasVideo) {
		what, detail = "phase", fmt.Sprintf("segments start at phase %s s (%s), the channel's grid phase is %s s", p, pfrom, c.grid.Phase)
	}
	if what == "" || c.contradicted[what+"|"+detail] {
		return
	}
	if c.contradicted == nil {
		c.contradicted = map[string]bool{}
	}
	c.contradicted[what+"|"+detail] = true
	c.a.metrics.GridDecisions.WithLabelValues("contradicted").Inc()
	f := trackfile.Finding{Clause: "reapd grid", Level: trackfile.LevelWarning, Subject: "channel " + c.name,
		Message: detail + ": configure the segment duration, or clear the learned decisions with reapd timing --reset"}
	c.conf.add(track, f, c.a.opts.Now())
	c.log.Warn("a grid decision is contradicted by later segments; nothing is lost, but periods and parts follow the old grid",
		"what", what, "detail", detail)
}

// maxEpochSeconds is the end of year 9999: later times are not media.
const maxEpochSeconds = 253402300799

// epochTime returns tfdt + STS, refusing times before the epoch, past year
// 9999 (with the segment's duration) or further ahead of the clock than
// the MaxAhead margin: one such segment would otherwise be filed years
// away, win over the real copy later, or poison every reader.
func (c *channel) epochTime(seg *trackfile.Segment, ts uint32, offset int64) (uint64, error) {
	in := seg.BaseDecodeTime
	limit := uint64(maxEpochSeconds) * uint64(ts)
	if in > limit+uint64(max(-offset, 0)) {
		return 0, fail(ErrBadRequest, "segment time %d (timescale %d) is after year 9999", in, ts)
	}
	t0 := int64(in) + offset
	if t0 < 0 {
		return 0, fail(ErrBadRequest, "segment time %d plus STS %s s is before the epoch", in, c.sts)
	}
	t := uint64(t0)
	if t > limit || seg.Duration > limit-t {
		return 0, fail(ErrBadRequest, "segment time %d + duration %d (timescale %d) is after year 9999", t, seg.Duration, ts)
	}
	if ahead := c.a.opts.MaxAhead; ahead > 0 {
		now := c.a.opts.Now()
		start := time.Unix(int64(t/uint64(ts)), 0)
		if start.After(now.Add(ahead)) {
			return 0, fail(ErrBadRequest, "segment starts at %s, %s ahead of this archiver's clock (more than the %s allowed): check the encoder's clock and STS",
				start.UTC().Format(time.RFC3339), start.Sub(now).Round(time.Second), ahead)
		}
	}
	return t, nil
}

// learnLocked adds a segment to the evidence for D and the phase, and
// stores what the evidence decides (write-once: the first archiver's
// decision wins everywhere).
func (c *channel) learnLocked(ctx context.Context, track string, h *trackfile.Header, seg *trackfile.Segment, t uint64) error {
	o := segObs{t: t, d: seg.Duration, seq: seg.SequenceNumber, sample: uint64(seg.FirstSampleDur)}
	d, phase, from := c.evidence.observe(track, h.Info, o, c.hasVideo)
	if !c.grid.D.IsZero() && c.phaseKnown {
		c.checkDecisionLocked(track, d, from)
		return nil
	}
	if c.grid.D.IsZero() && !d.IsZero() {
		st := gridState{SegmentDuration: d, From: from}
		if err := c.decide(ctx, "grid", &st); err != nil {
			return err
		}
		c.grid.D, c.grid.N = st.SegmentDuration, 0
		c.a.metrics.GridDecisions.WithLabelValues("duration").Inc()
		c.log.Info("segment duration learned; configure it to be sure", "segment_duration", c.grid.D.String(), "from", st.From)
		if err := c.ensureGridLocked(); err != nil {
			return err
		}
		c.regridLocked()
	}
	if c.grid.D.IsZero() || c.phaseKnown {
		return nil
	}
	var ph phaseState
	switch {
	case phase != nil && d.Reduce() == c.grid.D.Reduce():
		ph = phaseState{Phase: *phase, From: from}
	default:
		p, pfrom, ok := c.evidence.phaseFrom(c.grid.D, c.hasVideo)
		if !ok {
			return nil
		}
		ph = phaseState{Phase: p, From: pfrom}
	}
	if err := c.decide(ctx, "phase", &ph); err != nil {
		return err
	}
	c.grid.Phase, c.phaseKnown = ph.Phase, true
	c.a.metrics.GridDecisions.WithLabelValues("phase").Inc()
	if !ph.Phase.IsZero() {
		c.log.Warn("segments are off the REaP epoch grid: archived on a grid with a phase", "phase_s", ph.Phase.String(),
			"segment_duration", c.grid.D.String(), "from", ph.From)
	}
	c.regridLocked()
	return nil
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
			// The configured period is not a whole number of segments of
			// the D learned since: take the nearest whole number of them.
			n = max(1, int64(c.cfg.StoragePeriod.Seconds()/c.grid.D.Seconds()+0.5))
			c.log.Warn("storage period is not a whole multiple of the segment duration: using the nearest whole number of segments",
				"storage_period", c.cfg.StoragePeriod, "segment_duration", c.grid.D.String(), "segments", n)
		}
		c.grid.N = n
	}
	return nil
}

// publishTimingLocked writes the channel's timing for readers of the store
// once per process and whenever it changes.
func (c *channel) publishTimingLocked(ctx context.Context) error {
	if c.grid.D.IsZero() || c.grid.N == 0 {
		return nil // nothing a reader could place segments with yet
	}
	ct := trackfile.ChannelTiming{SegmentDuration: c.grid.D, PeriodSegments: c.grid.N, STS: c.sts, Phase: c.grid.Phase}
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

// decideSTS fixes an automatic STS so that this first segment starts at the
// grid point nearest to the wall clock: STS = k·D − t_in/ts (with D
// unknown yet, the nearest whole second).
func (c *channel) decideSTS(ctx context.Context, seg *trackfile.Segment, ts uint32) error {
	d := c.grid.D
	if d.IsZero() {
		d = trackfile.Rational{Num: 1, Den: 1}
	}
	g := trackfile.Grid{D: d}
	k := g.SegmentAt(c.a.opts.Now().Add(d.Duration() / 2))
	kd := new(big.Rat).Mul(big.NewRat(k, 1), big.NewRat(d.Num, d.Den))
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

// settledGrid returns the channel's grid and whether both D and the phase
// are decided.
func (c *channel) settledGrid() (trackfile.Grid, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.grid, c.grid.N != 0 && c.phaseKnown
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
