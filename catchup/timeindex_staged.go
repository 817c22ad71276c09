package catchup

import (
	"context"
	"fmt"
	"path"
	"slices"
	"strings"
	"sync"

	"github.com/reapd/reapd/trackfile"
)

// stagedView is the staged segments of a channel as one listing found
// them: the segments of periods that are not finalized yet.
type stagedView struct {
	tracks map[string]*stagedTrack
}

// stagedTrack is one track's staged segments, one per segment index n
// (the real copy over a slate copy), in order.
type stagedTrack struct {
	segs []*stagedSeg
	miss map[int64]bool // n staged only as a 'miss' segment
}

// stagedSeg is a parsed staged segment: where it lies on the epoch
// timeline and how large it is once normalized (as in a track file).
type stagedSeg struct {
	n     int64
	key   string
	slate bool
	hash  string // CMAF header in force
	info  trackfile.TrackInfo
	t, d  uint64 // epoch timeline (STS applied), track timescale
	size  int64  // normalized bytes
	sts   trackfile.Rational
}

// stagedListing is what the listing of one track's live/ prefix holds.
type stagedListing struct {
	copies  map[int64]map[string]string // n → variant → key
	markers map[int64]string            // n → header hash
	ext     map[int64]string
}

// listStagedLocked lists every track's staged segments and parses the ones
// not parsed before (bounded concurrency). Segments that fail to parse
// are logged and left out.
func (c *channelIndex) listStagedLocked(ctx context.Context) (*stagedView, error) {
	st := c.s.store
	dirs, err := st.ListDirs(ctx, c.name+"/")
	c.s.metrics.StoreReads.WithLabelValues("list").Inc()
	if err != nil {
		return nil, fmt.Errorf("list tracks of %s: %w", c.name, err)
	}
	if c.timing == nil {
		return &stagedView{tracks: map[string]*stagedTrack{}}, nil // nothing can be staged before the timing is published
	}
	sts := c.timing.STS
	sv := &stagedView{tracks: map[string]*stagedTrack{}}
	var todo []*stagedSeg
	keep := map[string]bool{}
	for _, d := range dirs {
		track := path.Base(strings.TrimSuffix(d, "/"))
		if trackfile.CheckName(track) != nil {
			continue
		}
		objs, err := st.List(ctx, trackfile.StagedPrefix(c.name, track))
		c.s.metrics.StoreReads.WithLabelValues("list").Inc()
		if err != nil {
			return nil, fmt.Errorf("list staged segments of %s/%s: %w", c.name, track, err)
		}
		if len(objs) == 0 {
			continue
		}
		l := stagedListing{copies: map[int64]map[string]string{}, markers: map[int64]string{}, ext: map[int64]string{}}
		for _, o := range objs {
			base := path.Base(o.Key)
			if n, hash, ok := trackfile.ParseHeaderUseKey(base); ok {
				l.markers[n] = hash
				continue
			}
			n, variant, ext, err := trackfile.ParseStagedKey(base)
			if err != nil {
				continue
			}
			if l.copies[n] == nil {
				l.copies[n] = map[string]string{}
			}
			l.copies[n][variant] = o.Key
			l.ext[n] = ext
		}
		tr := &stagedTrack{miss: map[int64]bool{}}
		headerFor := c.headerResolver(track, l.markers)
		ns := make([]int64, 0, len(l.copies))
		for n := range l.copies {
			ns = append(ns, n)
		}
		slices.Sort(ns)
		for _, n := range ns {
			cp := l.copies[n]
			key, slate := cp[trackfile.VariantReal], false
			if key == "" {
				key, slate = cp[trackfile.VariantSlate], true
			}
			if key == "" {
				tr.miss[n] = true
				continue
			}
			keep[key] = true
			if old := c.infos[key]; old != nil && old.sts == sts {
				tr.segs = append(tr.segs, old)
				continue
			}
			seg := &stagedSeg{n: n, key: key, slate: slate, hash: headerFor(n), sts: sts,
				info: trackfile.TrackInfo{Ext: l.ext[n]}}
			todo = append(todo, seg)
			tr.segs = append(tr.segs, seg)
		}
		sv.tracks[track] = tr
	}
	c.parseStaged(ctx, todo)
	for key := range c.infos {
		if !keep[key] {
			delete(c.infos, key)
		}
	}
	for track, tr := range sv.tracks {
		for _, s := range tr.segs {
			c.infos[s.key] = s // failures too: not read again until they change
		}
		tr.segs = slices.DeleteFunc(tr.segs, func(s *stagedSeg) bool { return s.info.Timescale == 0 })
		if len(tr.segs) == 0 && len(tr.miss) == 0 {
			delete(sv.tracks, track)
		}
	}
	return sv, nil
}

// headerResolver returns the header hash in force for staged segment n of
// a track, as the finalizer decides it: the newest header-use marker at or
// before n; else the header of the track's last finalized run; else the
// first marker.
func (c *channelIndex) headerResolver(track string, markers map[int64]string) func(n int64) string {
	marks := make([]int64, 0, len(markers))
	for n := range markers {
		marks = append(marks, n)
	}
	slices.Sort(marks)
	prev := ""
	if len(c.ks) > 0 {
		for _, key := range c.periods[c.ks[len(c.ks)-1]] {
			if idx, ok := c.s.indexes.peek(key); ok {
				for i := range idx.Runs {
					if r := &idx.Runs[i]; r.Track == track {
						prev = headerHash(r.HeaderKey)
					}
				}
			}
		}
	}
	return func(n int64) string {
		h := prev
		if h == "" && len(marks) > 0 {
			h = markers[marks[0]]
		}
		for _, m := range marks {
			if m > n {
				break
			}
			h = markers[m]
		}
		return h
	}
}

// parseStaged reads and parses staged segments, StagedReaders at a time.
// A segment that cannot be read or parsed keeps a zero timescale.
func (c *channelIndex) parseStaged(ctx context.Context, segs []*stagedSeg) {
	if len(segs) == 0 {
		return
	}
	sem := make(chan struct{}, c.s.opts.StagedReaders)
	var wg sync.WaitGroup
	for _, seg := range segs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			if err := c.parseOne(ctx, seg); err != nil {
				c.s.log.Warn("staged segment left out of catch-up", "key", seg.key, "err", err)
			}
		}()
	}
	wg.Wait()
}

func (c *channelIndex) parseOne(ctx context.Context, seg *stagedSeg) error {
	track := path.Base(path.Dir(path.Dir(seg.key)))
	if seg.hash == "" {
		return fmt.Errorf("no header-use marker for segment %d", seg.n)
	}
	h, err := c.s.header(ctx, c.name, track, seg.hash, seg.info.Ext)
	if err != nil {
		return err
	}
	raw, err := c.s.store.Get(ctx, seg.key)
	c.s.metrics.StoreReads.WithLabelValues("staged").Inc()
	if err != nil {
		return err
	}
	norm, parsed, err := normalizeStaged(raw, h, seg.sts)
	if err != nil {
		return err
	}
	seg.t, seg.d, seg.size = parsed.BaseDecodeTime, parsed.Duration, int64(len(norm))
	seg.info = h.Info
	return nil
}

// normalizeStaged returns a staged segment's bytes as a storage track file
// holds them (trackfile.NormalizeWith with the channel STS, as the
// finalizer writes them) and its parse, with times on the epoch timeline.
func normalizeStaged(raw []byte, h *trackfile.Header, sts trackfile.Rational) ([]byte, *trackfile.Segment, error) {
	off := sts.TicksSigned(h.Info.Timescale)
	norm, err := trackfile.NormalizeWith(raw, off, &trackfile.NormalizeOptions{Timescale: h.Info.Timescale})
	if err != nil {
		return nil, nil, err
	}
	seg, err := trackfile.ParseSegment(norm, h)
	if err != nil {
		return nil, nil, err
	}
	return norm, seg, nil
}

// headerHash returns the content hash of a header key
// "{channel}/{track}/init-{hash}.{ext}".
func headerHash(key string) string {
	base := strings.TrimPrefix(path.Base(key), "init-")
	h, _, _ := strings.Cut(base, ".")
	return h
}
