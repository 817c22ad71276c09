package export

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/reapd/reapd/blobstore"
	"github.com/reapd/reapd/trackfile"
)

// maxFileSegments is the most segments one package file indexes: a sidx
// holds at most 65535 references. A longer stretch continues in the next
// file (a new Period with the period-continuity descriptor, a new
// EXT-X-MAP), so that no window length is refused.
const maxFileSegments = math.MaxUint16

// Plan is what a package holds, decided once from the period indexes of
// the archive: the files, where each one's bytes come from, and the gaps.
// A job stores its plan write-once, so that a retried job writes the same
// bytes even when the archive grew meanwhile.
type Plan struct {
	Version   int       `json:"version"` // 1
	Channel   string    `json:"channel"`
	Start     time.Time `json:"start"` // the asked window
	End       time.Time `json:"end"`
	IngestKey string    `json:"ingestKey,omitempty"` // the I-MPD the manifests copy, if any
	Files     []File    `json:"files"`
	Gaps      []Gap     `json:"gaps,omitempty"`
	Bytes     int64     `json:"bytes"` // sum of the files' sizes
}

// File is one file of a package: a storage track file (CMAF header, one
// sidx v1, the segments) holding a stretch of one track that is contiguous
// in time and uses one CMAF header.
type File struct {
	Name    string        `json:"name"`    // relative to the package root
	Run     trackfile.Run `json:"run"`     // the file as a run: Key = Channel + "/" + Name
	Sources []Piece       `json:"sources"` // the segments' bytes, in order
}

// Piece is a byte range of a storage track file of the archive.
type Piece struct {
	Key    string `json:"key"`
	Offset int64  `json:"offset"`
	Length int64  `json:"length"`
}

// Gap is a stretch of the window where some track has no media.
type Gap struct {
	From   time.Time `json:"from"`
	To     time.Time `json:"to"`
	Reason string    `json:"reason"`
}

// selection is the segments of one archive run that a package takes.
type selection struct {
	run    *trackfile.Run
	refs   []trackfile.SegmentRef
	header string
}

func (s *selection) start() uint64 { return s.refs[0].Time }

// MakePlan reads the period indexes of the channel that the window
// [start, end) spans and plans the package: every segment of the archive
// that overlaps the window (the window is cut at segment boundaries: the
// package starts with the segment holding start and ends with the one
// holding end, and presents them whole), for the tracks asked (nil: all),
// in files split at gaps and header changes. Only finalized periods are
// read: media still staged is not in the plan. ErrNotFound when the
// window has no media.
func MakePlan(ctx context.Context, store *blobstore.Store, channel string, start, end time.Time, tracks []string) (*Plan, error) {
	if err := trackfile.CheckName(channel); err != nil {
		return nil, fmt.Errorf("%w: channel: %v", ErrBadRequest, err)
	}
	if !end.After(start) {
		return nil, fmt.Errorf("%w: end must be after start", ErrBadRequest)
	}
	raw, err := store.Get(ctx, trackfile.TimingKey(channel))
	if errors.Is(err, blobstore.ErrNotFound) {
		return nil, fmt.Errorf("%w: channel %q has no archive", ErrNotFound, channel)
	}
	if err != nil {
		return nil, err
	}
	timing, err := trackfile.UnmarshalTiming(raw)
	if err != nil {
		return nil, err
	}
	g := timing.Grid()
	if g.D.IsZero() || g.N <= 0 {
		return nil, fmt.Errorf("%w: channel %q has no segment grid yet", ErrNotFound, channel)
	}
	kLo, kHi := g.Period(g.SegmentAt(start)-1), g.Period(g.SegmentAt(end)+1)
	indexes, err := loadIndexes(ctx, store, channel, kLo, kHi)
	if err != nil {
		return nil, err
	}
	want := map[string]bool{}
	for _, t := range tracks {
		want[t] = true
	}
	byTrack := map[string][]*selection{}
	for _, ix := range indexes {
		for i := range ix.Runs {
			r := &ix.Runs[i]
			if len(want) > 0 && !want[r.Track] {
				continue
			}
			t1, t2 := ticks(start, r.Info.Timescale), ticks(end, r.Info.Timescale)
			var refs []trackfile.SegmentRef
			for _, ref := range r.Segments() {
				if ref.Time < t2 && ref.Time+ref.Duration > t1 {
					refs = append(refs, ref)
				}
			}
			if len(refs) > 0 {
				byTrack[r.Track] = append(byTrack[r.Track], &selection{run: r, refs: refs, header: r.HeaderKey})
			}
		}
	}
	if len(byTrack) == 0 {
		return nil, fmt.Errorf("%w: channel %q has no finalized media in %s – %s", ErrNotFound, channel,
			start.UTC().Format(time.RFC3339Nano), end.UTC().Format(time.RFC3339Nano))
	}
	p := &Plan{Version: 1, Channel: channel, Start: start.UTC(), End: end.UTC()}
	if p.IngestKey, err = latestIngest(ctx, store, channel); err != nil {
		return nil, err
	}
	hp := &headPlanner{ctx: ctx, store: store, headers: map[string]*trackfile.Header{}}
	for _, track := range slices.Sorted(maps.Keys(byTrack)) {
		files, err := hp.files(channel, track, byTrack[track], g)
		if err != nil {
			return nil, err
		}
		p.Files = append(p.Files, files...)
	}
	for _, f := range p.Files {
		p.Bytes += f.Run.Size
	}
	p.Gaps = gaps(p, g)
	return p, nil
}

// loadIndexes reads the index objects of periods [kLo, kHi], in key order.
func loadIndexes(ctx context.Context, store *blobstore.Store, channel string, kLo, kHi int64) ([]*trackfile.PeriodIndex, error) {
	objs, err := store.List(ctx, trackfile.IndexPrefix(channel))
	if err != nil {
		return nil, err
	}
	var out []*trackfile.PeriodIndex
	for _, o := range objs {
		base := strings.TrimSuffix(path.Base(o.Key), ".json")
		kStr, _, _ := strings.Cut(base, "-")
		k, err := strconv.ParseInt(kStr, 10, 64)
		if err != nil || k < kLo || k > kHi || !strings.HasSuffix(o.Key, ".json") {
			continue
		}
		raw, err := store.Get(ctx, o.Key)
		if err != nil {
			return nil, err
		}
		ix, err := trackfile.UnmarshalIndex(raw)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", o.Key, err)
		}
		out = append(out, ix)
	}
	return out, nil
}

// latestIngest returns the key of the channel's latest I-MPD, "" if none.
func latestIngest(ctx context.Context, store *blobstore.Store, channel string) (string, error) {
	objs, err := store.List(ctx, channel+"/ingest/")
	if err != nil {
		return "", err
	}
	for i := len(objs) - 1; i >= 0; i-- {
		if strings.HasSuffix(objs[i].Key, ".mpd") {
			return objs[i].Key, nil
		}
	}
	return "", nil
}

// headPlanner builds the files of the plan, reading CMAF headers (and the
// first segment of a file that starts inside an archive run, for its
// earliest presentation time) as it needs them.
type headPlanner struct {
	ctx     context.Context
	store   *blobstore.Store
	headers map[string]*trackfile.Header
}

func (hp *headPlanner) header(key string) (*trackfile.Header, error) {
	if h := hp.headers[key]; h != nil {
		return h, nil
	}
	raw, err := hp.store.Get(hp.ctx, key)
	if err != nil {
		return nil, err
	}
	h, err := trackfile.ParseHeader(raw)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", key, err)
	}
	hp.headers[key] = h
	return h, nil
}

// files cuts one track's selections into package files: a new file at a
// gap (the next segment does not start where the last ended), a header
// change, or after maxFileSegments segments. Overlapping selections (which
// a consistent archive has not) keep the earlier segments.
func (hp *headPlanner) files(channel, track string, sels []*selection, g trackfile.Grid) ([]File, error) {
	slices.SortStableFunc(sels, func(a, b *selection) int { return cmp.Compare(a.start(), b.start()) })
	var out []File
	var cur *fileBuilder
	for _, s := range sels {
		if cur != nil {
			for len(s.refs) > 0 && s.refs[0].Time < cur.end {
				s.refs = s.refs[1:]
			}
			if len(s.refs) == 0 {
				continue
			}
		}
		for len(s.refs) > 0 {
			if cur == nil || cur.header != s.header || cur.end != s.start() || len(cur.infos) == maxFileSegments {
				if cur != nil {
					f, err := cur.finish(hp, channel, g)
					if err != nil {
						return nil, err
					}
					out = append(out, f)
				}
				cur = &fileBuilder{track: track, header: s.header, info: s.run.Info}
			}
			n := min(len(s.refs), maxFileSegments-len(cur.infos))
			if err := cur.add(hp, s, s.refs[:n]); err != nil {
				return nil, err
			}
			s.refs = s.refs[n:]
		}
	}
	if cur != nil {
		f, err := cur.finish(hp, channel, g)
		if err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, nil
}

// fileBuilder accumulates one package file.
type fileBuilder struct {
	track   string
	header  string
	info    trackfile.TrackInfo
	infos   []trackfile.SegmentInfo
	sources []Piece
	end     uint64
}

// add appends refs, consecutive segments of run s.run.
func (b *fileBuilder) add(hp *headPlanner, s *selection, refs []trackfile.SegmentRef) error {
	first := len(b.infos) == 0
	ept := s.run.EPT
	if first && refs[0].Time != s.run.Time { // starts inside the run: read the segment for its EPT
		var err error
		if ept, err = hp.segmentEPT(s.run, refs[0]); err != nil {
			return err
		}
	}
	for _, r := range refs {
		b.infos = append(b.infos, trackfile.SegmentInfo{Time: r.Time, EPT: r.Time, Duration: r.Duration, Size: r.Size, StartsWithSAP: r.SAP})
	}
	if first {
		b.infos[0].EPT = ept
	}
	last := refs[len(refs)-1]
	piece := Piece{Key: s.run.Key, Offset: refs[0].Offset, Length: last.Offset + last.Size - refs[0].Offset}
	if n := len(b.sources); n > 0 && b.sources[n-1].Key == piece.Key && b.sources[n-1].Offset+b.sources[n-1].Length == piece.Offset {
		b.sources[n-1].Length += piece.Length
	} else {
		b.sources = append(b.sources, piece)
	}
	b.end = last.Time + last.Duration
	return nil
}

// segmentEPT reads one segment of a storage track file and returns its
// earliest presentation time.
func (hp *headPlanner) segmentEPT(run *trackfile.Run, ref trackfile.SegmentRef) (uint64, error) {
	h, err := hp.header(run.HeaderKey)
	if err != nil {
		return 0, err
	}
	rc, err := hp.store.NewRangeReader(hp.ctx, run.Key, ref.Offset, ref.Size)
	if err != nil {
		return 0, err
	}
	defer rc.Close()
	raw := make([]byte, ref.Size)
	if _, err := io.ReadFull(rc, raw); err != nil {
		return 0, fmt.Errorf("%s: %w", run.Key, err)
	}
	seg, err := trackfile.ParseSegment(raw, h)
	if err != nil {
		return 0, fmt.Errorf("%s at %d: %w", run.Key, ref.Offset, err)
	}
	return seg.EPT, nil
}

// finish names the file and lays out its head.
func (b *fileBuilder) finish(hp *headPlanner, channel string, g trackfile.Grid) (File, error) {
	h, err := hp.header(b.header)
	if err != nil {
		return File{}, err
	}
	lay, err := trackfile.WriteHead(io.Discard, h, b.infos)
	if err != nil {
		return File{}, fmt.Errorf("package file of %s: %w", b.track, err)
	}
	sl := trackfile.NewSlotter(g, b.info.Timescale)
	for i := range b.infos {
		b.infos[i].N = sl.Slot(b.infos[i].Time)
	}
	run := trackfile.NewRun(b.track, h.Info, b.infos, lay)
	run.EndN = max(sl.Slot(run.EndTime()), run.FirstN+1)
	run.HeaderKey = b.header
	name := fmt.Sprintf("%s-%d-%d.%s", b.track, run.Time, run.Count(), cmp.Or(h.Info.Ext, trackfile.ExtForHandler(h.Info.Handler)))
	run.Key = channel + "/" + name
	run.End = trackfile.EndComplete
	return File{Name: name, Run: run, Sources: b.sources}, nil
}

// ticks returns t in the timescale, on the epoch timeline (0 before it).
func ticks(t time.Time, ts uint32) uint64 {
	ns := t.UnixNano()
	if ns <= 0 {
		return 0
	}
	sec, rem := uint64(ns)/1e9, uint64(ns)%1e9
	return sec*uint64(ts) + rem*uint64(ts)/1e9
}

// segmentInfos expands a package file's run into the SegmentInfo of each
// segment, as WriteHead takes them (the run's EPT on the first).
func segmentInfos(r *trackfile.Run) []trackfile.SegmentInfo {
	refs := r.Segments()
	infos := make([]trackfile.SegmentInfo, len(refs))
	for i, ref := range refs {
		infos[i] = trackfile.SegmentInfo{Time: ref.Time, EPT: ref.Time, Duration: ref.Duration, Size: ref.Size, StartsWithSAP: ref.SAP}
		if ref.SAP {
			infos[i].SAPType = 1
		}
	}
	if len(infos) > 0 {
		infos[0].EPT = r.EPT
	}
	return infos
}
