package clipmp4

import (
	"context"
	"fmt"
	"sync"
)

// eachSample calls fn for the samples of frags in decode order with their
// flat index and decode time, until fn returns false.
func eachSample(frags []frag, fn func(i int, s *sample, dts uint64) bool) {
	i := 0
	for _, f := range frags {
		dts := f.tfdt
		for _, r := range f.runs {
			for k := range r.samples {
				s := &r.samples[k]
				if !fn(i, s, dts) {
					return
				}
				dts += uint64(s.dur)
				i++
			}
		}
	}
}

// chooseStarts picks each track's first sample: for video the sync sample
// at or before the window start (else the first sync sample); for other
// tracks the sample at the start (Accurate) or at the video's start, so
// that every track starts together.
func chooseStarts(tps []*trackPlan, o Options) {
	pick := func(tp *trackPlan, at uint64, syncOnly bool) {
		tp.startAt = -1
		firstSync := -1
		var firstSyncPT uint64
		eachSample(tp.first, func(i int, s *sample, dts uint64) bool {
			pt := addSigned(dts, int64(s.cto))
			if s.sync || !syncOnly {
				if firstSync < 0 {
					firstSync, firstSyncPT = i, pt
				}
				if pt <= at {
					tp.startAt, tp.p0 = i, pt
				}
			}
			return dts <= at
		})
		if tp.startAt < 0 {
			tp.startAt, tp.p0 = max(firstSync, 0), firstSyncPT
		}
	}
	var videoStart *instant
	for _, tp := range tps {
		if tp.handler == "vide" && len(tp.first) > 0 {
			pick(tp, tp.t1, true)
			if in := (instant{tp.p0, tp.ts}); videoStart == nil || in.less(*videoStart) {
				videoStart = &in
			}
		}
	}
	for _, tp := range tps {
		if tp.handler == "vide" || len(tp.first) == 0 {
			continue
		}
		at := tp.t1
		if !o.Accurate && videoStart != nil {
			at = scale(videoStart.t, videoStart.ts, tp.ts)
		}
		pick(tp, at, false)
	}
}

// collect reads the track's segments (the first already read), up to
// o.Concurrency ahead of the one it adds (sem is shared by all tracks),
// and adds the samples it keeps to its table, in order.
func (tp *trackPlan) collect(ctx context.Context, src Source, o Options, sem chan struct{}) error {
	segs := tp.in.Segments
	if len(segs) == 0 {
		return nil
	}
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	type future struct {
		frags []frag
		err   error
		done  chan struct{}
	}
	var queue []*future
	next := 1
	launch := func() {
		if next >= len(segs) {
			return
		}
		f, seg := &future{done: make(chan struct{})}, segs[next]
		next++
		queue = append(queue, f)
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer close(f.done)
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				f.err = ctx.Err()
				return
			}
			defer func() { <-sem }()
			f.frags, f.err = readFrags(ctx, src, seg, tp.hdrs[seg.Header])
		}()
	}
	for range o.Concurrency {
		launch()
	}
	frags := tp.first
	tp.first = nil
	for i := range segs {
		if i > 0 {
			f := queue[0]
			queue = queue[1:]
			<-f.done
			if f.err != nil {
				return f.err
			}
			frags = f.frags
			launch()
		}
		more, err := tp.addSegment(i, frags, o.Fragmented)
		if err != nil {
			return fmt.Errorf("%s: %w", segs[i].Key, err)
		}
		if !more {
			return nil
		}
	}
	return nil
}

// addSegment adds the kept samples of segment i (frags) as one group;
// false when the window ends in it.
func (tp *trackPlan) addSegment(i int, frags []frag, fragmented bool) (bool, error) {
	lo := 0
	if i == 0 {
		lo = tp.startAt
	}
	// The end: the last sample presented before t2 (a decode order prefix).
	hi, total := -1, 0
	eachSample(frags, func(k int, s *sample, dts uint64) bool {
		if addSigned(dts, int64(s.cto)) < tp.t2 {
			hi = k
		}
		total = k + 1
		return true
	})
	more := hi == total-1
	if fragmented { // whole fragments
		idx := 0
		for _, f := range frags {
			nf := f.count()
			if idx <= lo && lo < idx+nf {
				lo = idx
			}
			if idx <= hi && hi < idx+nf {
				hi = idx + nf - 1
			}
			idx += nf
		}
	}
	seg := &tp.in.Segments[i]
	g := group{key: seg.Key, ts: tp.ts, first: int32(len(tp.tab.chunks))}
	idx, haveT0 := 0, false
	for _, f := range frags {
		if fragmented && idx >= lo && idx <= hi {
			tp.tab.chunks = append(tp.tab.chunks, chunk{srcOff: seg.Offset + f.start, size: uint32(f.end - f.start),
				sdi: uint16(seg.Header), seqOff: f.seqOff, tidOf: f.tidOf})
			g.n++
		}
		dts := f.tfdt
		for _, r := range f.runs {
			c := chunk{srcOff: seg.Offset + r.dataOff, sdi: uint16(seg.Header), seqOff: -1, tidOf: -1}
			for k := range r.samples {
				s := r.samples[k]
				switch {
				case idx >= lo && idx <= hi:
					if !haveT0 {
						g.t0, haveT0 = dts, true
					}
					if err := tp.tab.add(s, dts); err != nil {
						return false, err
					}
					c.samples++
					c.size += s.size
				case c.samples == 0:
					c.srcOff += int64(s.size)
				}
				dts += uint64(s.dur)
				idx++
			}
			if !fragmented && c.samples > 0 {
				tp.tab.chunks = append(tp.tab.chunks, c)
				g.n++
			}
		}
	}
	if g.n > 0 {
		tp.groups = append(tp.groups, g)
	}
	return more, nil
}

// count returns the number of samples of f.
func (f *frag) count() int {
	n := 0
	for _, r := range f.runs {
		n += len(r.samples)
	}
	return n
}
