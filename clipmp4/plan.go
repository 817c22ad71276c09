package clipmp4

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/reapd/reapd/trackfile"
)

// Plan is a clip planned in full: the moov (all sample tables) and where
// every byte of the output comes from. Build one with [NewPlan]; its
// [Plan.Size] and [Plan.ETag] are known before a byte is written, and
// [Plan.WriteTo] and [Plan.WriteRange] stream the output from the
// [Source]. A Plan holds the head (ftyp, moov, mdat header) and one small
// record per output chunk, nothing per sample beyond the moov's own
// tables; it is safe for concurrent writes.
type Plan struct {
	src        Source
	fragmented bool
	head       []byte // ftyp + moov (+ the mdat header when progressive)
	groups     []group
	chunks     [][]chunk // per track, in output order
	size       int64
	etag       string
	start, end time.Time
	gaps       []Gap
	tracks     []TrackInfo
}

// group is the chunks of one segment of one track, written together
// (progressive output interleaves tracks segment by segment).
type group struct {
	track    int32
	first, n int32 // chunks[track][first : first+n]
	key      string
	out      int64 // output offset of the first chunk
	t0       uint64
	ts       uint32
	seq0     uint32 // fragmented: mfhd sequence number of its first chunk − 1
}

// Gap is a stretch inside the clip where a track has no media.
type Gap struct {
	From, To time.Time
	Track    int // index in the tracks given to NewPlan
}

// TrackInfo describes an output track.
type TrackInfo struct {
	ID        uint32    // track_ID in the output
	Input     int       // index in the tracks given to NewPlan
	Handler   string    // vide, soun, …
	Samples   int       // samples in the output
	Start     time.Time // first presented instant (edit list applied)
	End       time.Time // end of presentation
	MediaFrom time.Time // decode time of its first sample
}

// Size returns the size of the output in bytes.
func (p *Plan) Size() int64 { return p.size }

// ETag returns a strong entity tag of the output: a hash of its head and
// of the objects its media comes from (which are write-once).
func (p *Plan) ETag() string { return p.etag }

// Start and End return the presented window: the clip's time zero on the
// epoch timeline and its end.
func (p *Plan) Start() time.Time { return p.start }

// End returns the end of the presentation (see Start).
func (p *Plan) End() time.Time { return p.end }

// Gaps returns where a track has no media inside the clip, in time order.
func (p *Plan) Gaps() []Gap { return p.gaps }

// Tracks returns the output tracks, in track_ID order.
func (p *Plan) Tracks() []TrackInfo { return p.tracks }

// HeadSize returns the size of the output's head: ftyp and moov (and the
// mdat box header of a progressive file); media follows it.
func (p *Plan) HeadSize() int64 { return int64(len(p.head)) }

// trackPlan is one input track while it is planned.
type trackPlan struct {
	in      *Track
	hdrs    []*trackfile.Header
	ts      uint32
	handler string
	t1, t2  uint64 // the window in track ticks
	first   []frag // frags of segment 0
	startAt int    // flat index in segment 0 of the first sample to keep
	p0      uint64 // its presentation time
	tab     *table
	groups  []group
}

// NewPlan plans a clip of tracks over opts' window: it reads the moofs of
// every segment (range reads of the segment heads, at most
// opts.Concurrency at once) and computes the whole moov. Tracks come out
// in the order given, with track_IDs 1, 2, …; the first track's timescale
// is the movie timescale. Segments must be in decode order and cover the
// window (with the one that holds a sync sample at or before Start
// first); a track with no sample in the window is an error only if all
// are (ErrNoMedia).
func NewPlan(ctx context.Context, src Source, tracks []Track, opts *Options) (*Plan, error) {
	o := *opts
	if o.Concurrency <= 0 {
		o.Concurrency = 16
	}
	if !o.Start.Before(o.End) {
		return nil, fmt.Errorf("%w: the window [%v, %v) is empty", ErrUnsupported, o.Start, o.End)
	}
	if o.Fragmented && o.Accurate {
		return nil, fmt.Errorf("%w: accurate cuts need progressive output", ErrUnsupported)
	}
	tps := make([]*trackPlan, 0, len(tracks))
	for i := range tracks {
		tp, err := newTrackPlan(&tracks[i], o)
		if err != nil {
			return nil, fmt.Errorf("track %d: %w", i, err)
		}
		tps = append(tps, tp)
	}
	if err := readFirst(ctx, src, tps, o.Concurrency); err != nil {
		return nil, err
	}
	chooseStarts(tps, o)
	sem := make(chan struct{}, o.Concurrency)
	errs := make([]error, len(tps))
	var wg sync.WaitGroup
	for i, tp := range tps { // tracks at once: their tables are their own
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := tp.collect(ctx, src, o, sem); err != nil {
				errs[i] = fmt.Errorf("track %d: %w", i, err)
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if !slices.ContainsFunc(tps, func(tp *trackPlan) bool { return tp.tab.n > 0 }) {
		return nil, ErrNoMedia
	}
	return assemble(src, tps, o)
}

func newTrackPlan(t *Track, o Options) (*trackPlan, error) {
	if len(t.Headers) == 0 {
		return nil, fmt.Errorf("%w: no CMAF header", ErrMalformed)
	}
	tp := &trackPlan{in: t}
	for i, raw := range t.Headers {
		h, err := trackfile.ParseHeader(raw)
		if err != nil {
			return nil, fmt.Errorf("%w: header %d: %v", ErrMalformed, i, err)
		}
		if i > 0 && (h.Info.Timescale != tp.ts || h.Info.Handler != tp.handler) {
			return nil, fmt.Errorf("%w: the header changes to timescale %d, handler %s", ErrUnsupported, h.Info.Timescale, h.Info.Handler)
		}
		tp.hdrs = append(tp.hdrs, h)
		tp.ts, tp.handler = h.Info.Timescale, h.Info.Handler
	}
	for _, s := range t.Segments {
		if s.Header < 0 || s.Header >= len(t.Headers) {
			return nil, fmt.Errorf("%w: segment %s names header %d of %d", ErrMalformed, s.Key, s.Header, len(t.Headers))
		}
	}
	tp.t1, tp.t2 = ticksOf(o.Start, tp.ts), ticksOf(o.End, tp.ts)
	tp.tab = newTable(tp.ts)
	return tp, nil
}

// readFirst reads the first segment of every track.
func readFirst(ctx context.Context, src Source, tps []*trackPlan, conc int) error {
	errs := make([]error, len(tps))
	sem := make(chan struct{}, conc)
	var wg sync.WaitGroup
	for i, tp := range tps {
		if len(tp.in.Segments) == 0 {
			continue
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			seg := tp.in.Segments[0]
			tp.first, errs[i] = readFrags(ctx, src, seg, tp.hdrs[seg.Header])
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			return fmt.Errorf("track %d: %w", i, err)
		}
	}
	return nil
}

// mergeGroups orders all tracks' groups by start time, then track: the
// output's interleaving.
func mergeGroups(tps []*trackPlan) []group {
	var all []group
	for ti, tp := range tps {
		for _, g := range tp.groups {
			g.track = int32(ti)
			all = append(all, g)
		}
	}
	slices.SortStableFunc(all, func(a, b group) int {
		if c := (instant{a.t0, a.ts}).cmp(instant{b.t0, b.ts}); c != 0 {
			return c
		}
		return cmp.Compare(a.track, b.track)
	})
	return all
}

// etagOf hashes the head and where each segment's media sits on the
// epoch timeline: the bytes are a function of those (the head holds every
// size, and a segment is identified by its track and start time, whether
// it is read from a staged copy or from a track file), so the ETag holds
// when a period is finalized.
func etagOf(head []byte, groups []group) string {
	h := sha256.New()
	h.Write(head)
	var b [16]byte
	for _, g := range groups {
		binary.BigEndian.PutUint32(b[0:], uint32(g.track))
		binary.BigEndian.PutUint32(b[4:], g.ts)
		binary.BigEndian.PutUint64(b[8:], g.t0)
		h.Write(b[:])
	}
	return `"` + hex.EncodeToString(h.Sum(nil)[:16]) + `"`
}
