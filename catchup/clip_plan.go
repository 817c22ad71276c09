package catchup

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/reapd/reapd/blobstore"
	"github.com/reapd/reapd/clipmp4"
	"github.com/reapd/reapd/trackfile"
)

// ClipRequest is what a clip holds: a closed window [Start, End) of a
// channel and which tracks (by name; none: the best video — highest
// bandwidth — and the best audio track of every language).
type ClipRequest struct {
	Start, End time.Time
	Tracks     []string
	// Accurate presents exactly [Start, End) with edit lists; otherwise
	// the clip starts at the key frame at or before Start.
	Accurate bool
	// Fragmented gives a fragmented MP4 (moof+mdat as stored) instead of
	// a progressive one; it cannot be Accurate.
	Fragmented bool
}

// ClipPlan is a planned clip.mp4: its size, ETag, tracks and gaps are
// known before a byte is written. It holds the moov and a record per
// chunk (see package clipmp4), reads media only while it writes, and may
// be written any number of times, also concurrently.
type ClipPlan struct {
	plan   *clipmp4.Plan
	tracks []string
	gaps   []ClipGap
}

// ClipGap is a stretch of the clip where a track has no media; the clip
// keeps its time (nothing after it moves).
type ClipGap struct {
	From, To time.Time
	Track    string
}

// Size returns the clip's size in bytes.
func (p *ClipPlan) Size() int64 { return p.plan.Size() }

// ETag returns the clip's strong entity tag.
func (p *ClipPlan) ETag() string { return p.plan.ETag() }

// Start returns the clip's time zero on the wall clock (the key frame at
// or before the asked start, or the asked start when accurate), End the
// end of its presentation.
func (p *ClipPlan) Start() time.Time { return p.plan.Start() }

// End returns the end of the clip's presentation.
func (p *ClipPlan) End() time.Time { return p.plan.End() }

// Tracks returns the names of the clip's tracks, in track_ID order.
func (p *ClipPlan) Tracks() []string { return p.tracks }

// Gaps returns where a track of the clip has no media, in time order.
func (p *ClipPlan) Gaps() []ClipGap { return p.gaps }

// WriteTo writes the whole clip to w and returns the bytes written.
func (p *ClipPlan) WriteTo(ctx context.Context, w io.Writer) (int64, error) {
	return p.plan.WriteTo(ctx, w)
}

// WriteRange writes bytes [off, off+n) of the clip to w, reading only the
// media those bytes hold.
func (p *ClipPlan) WriteRange(ctx context.Context, w io.Writer, off, n int64) (int64, error) {
	return p.plan.WriteRange(ctx, w, off, n)
}

// ClipInfo describes a written clip.
type ClipInfo struct {
	Size       int64
	ETag       string
	Start, End time.Time
	Tracks     []string
	Gaps       []ClipGap
}

// WriteClip plans a clip of a channel and writes it to w: PlanClip then
// ClipPlan.WriteTo. For the export jobs (format mp4), which call it in
// process.
func (s *Server) WriteClip(ctx context.Context, w io.Writer, channel string, req ClipRequest) (ClipInfo, error) {
	p, err := s.PlanClip(ctx, channel, req)
	if err != nil {
		return ClipInfo{}, err
	}
	info := ClipInfo{Size: p.Size(), ETag: p.ETag(), Start: p.Start(), End: p.End(), Tracks: p.Tracks(), Gaps: p.Gaps()}
	n, err := p.WriteTo(ctx, w)
	if err == nil && n != p.Size() {
		err = fmt.Errorf("catchup: clip of %d bytes, wrote %d", p.Size(), n)
	}
	return info, err
}

// PlanClip plans a clip.mp4 of a channel (the plan pass: the period
// indexes, then the moof of every segment in the window by range read;
// no media payload is read). Errors: ErrBadRequest for a bad window or
// unknown track names, ErrNotFound when the window holds no media, store
// errors as they are (blobstore categories). The window has no length
// limit: a 48-hour clip is planned like a minute's.
func (s *Server) PlanClip(ctx context.Context, channel string, req ClipRequest) (*ClipPlan, error) {
	w := Window{Start: req.Start.UTC().Truncate(time.Millisecond), End: req.End.UTC().Truncate(time.Millisecond)}
	if w.End.IsZero() {
		return nil, badRequest("a clip needs an end")
	}
	if err := w.check(0); err != nil {
		return nil, err
	}
	if req.Accurate && req.Fragmented {
		return nil, badRequest("accurate=1 needs format=mp4: a fragmented clip cuts at fragment boundaries")
	}
	c, err := s.channel(ctx, channel)
	if err != nil {
		return nil, err
	}
	p, err := s.present(ctx, channel, w)
	if err != nil {
		return nil, err
	}
	tls, err := pickClipTracks(p, req.Tracks)
	if err != nil {
		return nil, err
	}
	src := &clipSource{s: s, c: c, v: p.v, staged: map[string]stagedRef{}}
	tracks := make([]clipmp4.Track, 0, len(tls))
	names := make([]string, 0, len(tls))
	for _, tl := range tls {
		t, err := s.clipTrack(ctx, channel, tl, src)
		if err != nil {
			return nil, err
		}
		tracks, names = append(tracks, t), append(names, tl.name)
	}
	// A window reaching outside the archive is clipped to it (as its
	// manifests are): an accurate clip does not start with nothing.
	start, end := w.Start, w.End
	if ps := time.UnixMilli(p.startMs).UTC(); ps.After(start) {
		start = ps
	}
	if pe := time.UnixMilli(p.endMs).UTC(); pe.Before(end) {
		end = pe
	}
	plan, err := clipmp4.NewPlan(ctx, src, tracks, &clipmp4.Options{Start: start, End: end, Accurate: req.Accurate,
		Fragmented: req.Fragmented})
	switch {
	case errors.Is(err, clipmp4.ErrNoMedia):
		return nil, notFound("channel %q has no media between %s and %s", channel, formatInstant(w.Start), formatInstant(w.End))
	case errors.Is(err, clipmp4.ErrUnsupported):
		return nil, badRequest("%v", err)
	case err != nil:
		return nil, err
	}
	cp := &ClipPlan{plan: plan}
	for _, ti := range plan.Tracks() { // a track without samples in the window is left out
		cp.tracks = append(cp.tracks, names[ti.Input])
	}
	for _, g := range plan.Gaps() {
		cp.gaps = append(cp.gaps, ClipGap{From: g.From, To: g.To, Track: names[g.Track]})
	}
	return cp, nil
}

// pickClipTracks returns the tracks asked for by name, or by default the
// video track of the highest bandwidth and, per audio language, the audio
// track of the highest bandwidth; in presentation order.
func pickClipTracks(p *presentation, names []string) ([]*trackTimeline, error) {
	if len(names) > 0 {
		var out []*trackTimeline
		for _, n := range names {
			i := slices.IndexFunc(p.tracks, func(tl *trackTimeline) bool { return tl.name == n })
			if i < 0 {
				have := make([]string, len(p.tracks))
				for k, tl := range p.tracks {
					have[k] = tl.name
				}
				return nil, badRequest("no track %q in the window (it has %s)", n, strings.Join(have, ", "))
			}
			if !slices.Contains(out, p.tracks[i]) {
				out = append(out, p.tracks[i])
			}
		}
		slices.SortStableFunc(out, compareTracks)
		return out, nil
	}
	bw := bandwidths(p)
	var video *trackTimeline
	audio := map[string]*trackTimeline{}
	for _, tl := range p.tracks { // in name order within each kind
		switch tl.info().Handler {
		case "vide":
			if video == nil || bw[tl] > bw[video] {
				video = tl
			}
		case "soun":
			lang := tl.info().Language
			if a := audio[lang]; a == nil || bw[tl] > bw[a] {
				audio[lang] = tl
			}
		}
	}
	var out []*trackTimeline
	for _, tl := range p.tracks {
		if tl == video || audio[tl.info().Language] == tl && tl.info().Handler == "soun" {
			out = append(out, tl)
		}
	}
	if len(out) == 0 {
		return nil, notFound("no video or audio track in the window")
	}
	return out, nil
}

// clipTrack turns a track's segments in the window into builder input:
// a byte range of a storage track file per segment, or a staged segment
// normalized as it is read.
func (s *Server) clipTrack(ctx context.Context, channel string, tl *trackTimeline, src *clipSource) (clipmp4.Track, error) {
	var t clipmp4.Track
	hashes := map[string]int{}
	runs := map[int32]*runCursor{}
	for i := range tl.segs {
		sg := &tl.segs[i]
		hash := tl.hash(sg)
		hi, ok := hashes[hash]
		if !ok {
			h, err := s.headerByHash(ctx, channel, tl.name, hash)
			if err != nil {
				return t, err
			}
			hi = len(t.Headers)
			hashes[hash] = hi
			t.Headers = append(t.Headers, h.Raw)
		}
		if sg.src < 0 {
			st := tl.staged[^sg.src]
			size, err := src.stagedSize(ctx, tl.name, st)
			if err != nil {
				return t, err
			}
			t.Segments = append(t.Segments, clipmp4.Segment{Key: st.key, Size: size, Header: hi})
			continue
		}
		r := tl.runs[sg.src]
		cur := runs[sg.src]
		if cur == nil {
			cur = &runCursor{r: r, t: r.Time, off: r.IndexRange.End}
			runs[sg.src] = cur
		}
		off, ok := cur.to(sg.t)
		if !ok {
			return t, fmt.Errorf("catchup: no segment at %d in %s", sg.t, r.Key)
		}
		t.Segments = append(t.Segments, clipmp4.Segment{Key: r.Key, Offset: off, Size: sg.size, Header: hi})
	}
	return t, nil
}

// runCursor walks the segments of a storage track file's run in order.
type runCursor struct {
	r    *trackfile.Run
	t    uint64 // start of segment pos
	pos  int
	off  int64 // its offset in the file
	d, k int   // r.Durations[d], repetition k
}

// to advances to the segment that starts at t and returns its offset.
func (c *runCursor) to(t uint64) (int64, bool) {
	for c.t < t && c.pos < len(c.r.Sizes) && c.d < len(c.r.Durations) {
		c.off += c.r.Sizes[c.pos]
		c.t += c.r.Durations[c.d].D
		c.pos++
		if c.k++; c.k > c.r.Durations[c.d].R {
			c.d, c.k = c.d+1, 0
		}
	}
	return c.off, c.t == t && c.pos < len(c.r.Sizes)
}

// clipSource reads the media of a clip: ranges of storage track files
// straight from the store, staged segments normalized as they are read
// (the bytes catch-up serves for them). A staged segment whose period has
// been finalized since the plan (its staged object deleted) is read from
// its track file instead: the bytes are the same.
type clipSource struct {
	s      *Server
	c      *channelIndex
	v      *view
	staged map[string]stagedRef // filled while planning, read-only after
}

// stagedRef is a staged segment of a clip and its track.
type stagedRef struct {
	track string
	seg   *stagedSeg
}

// stagedSize returns the normalized size of a staged segment and marks
// its key as staged.
func (cs *clipSource) stagedSize(ctx context.Context, track string, st *stagedSeg) (int64, error) {
	src, err := cs.s.stagedSegment(ctx, cs.c, cs.v, st)
	if err != nil {
		return 0, err
	}
	_ = src.body.Close()
	cs.staged[st.key] = stagedRef{track: track, seg: st}
	return src.size, nil
}

// NewRangeReader implements clipmp4.Source.
func (cs *clipSource) NewRangeReader(ctx context.Context, key string, off, n int64) (io.ReadCloser, error) {
	ref, ok := cs.staged[key]
	if !ok {
		cs.s.metrics.StoreReads.WithLabelValues("clip").Inc()
		return cs.s.store.NewRangeReader(ctx, key, off, n)
	}
	return cs.openStaged(ctx, ref, off, n)
}

// openStaged reads bytes [off, off+n) of a staged segment of the clip:
// from its track file when its period has been finalized since the plan,
// else from its staged copy. The first byte is read at once, so that a
// staged copy deleted meanwhile is noticed here (then the store is listed
// again and the track file read).
func (cs *clipSource) openStaged(ctx context.Context, ref stagedRef, off, n int64) (io.ReadCloser, error) {
	st := ref.seg
	for attempt := 0; ; attempt++ {
		src, err := cs.s.findSegment(ctx, cs.c.name, ref.track, st.hash, st.info.Timescale, st.t)
		if err != nil {
			return nil, err
		}
		if _, err := src.body.Seek(off, io.SeekStart); err != nil {
			_ = src.body.Close()
			return nil, err
		}
		br := bufio.NewReaderSize(src.body, 32<<10)
		if _, err := br.Peek(1); err != nil {
			_ = src.body.Close()
			if errors.Is(err, blobstore.ErrNotFound) && attempt == 0 {
				cs.c.invalidate()
				continue
			}
			return nil, err
		}
		return struct {
			io.Reader
			io.Closer
		}{io.LimitReader(br, n), src.body}, nil
	}
}

var _ clipmp4.Source = (*clipSource)(nil)
var _ clipmp4.Source = (*blobstore.Store)(nil)
