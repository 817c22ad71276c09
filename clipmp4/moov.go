package clipmp4

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"slices"

	"github.com/Eyevinn/mp4ff/mp4"
)

// edit is where a track sits on the movie timeline (ISO/IEC 14496-12
// 8.6.6): an empty edit of empty movie ticks, then media from mediaTime
// (track ticks, composition timeline) for dur movie ticks.
type edit struct {
	empty, dur uint64
	mediaTime  int64
	start, end instant // presented, epoch timeline
}

// assemble lays out the output of planned tracks: the moov, the order of
// the chunks, their offsets, the head bytes.
func assemble(src Source, all []*trackPlan, o Options) (*Plan, error) {
	var tps []*trackPlan
	var inIdx []int
	for i, tp := range all {
		if tp.tab.n > 0 {
			tps, inIdx = append(tps, tp), append(inIdx, i)
		}
	}
	mts := tps[0].ts
	edits := make([]edit, len(tps))
	for i, tp := range tps {
		e := &edits[i]
		startT := tp.p0
		if o.Fragmented {
			startT = tp.tab.firstDTS
		}
		endT := tp.tab.presEnd
		if o.Accurate {
			startT, endT = max(startT, tp.t1), min(endT, tp.t2)
			if endT < startT {
				endT = startT
			}
		}
		e.start, e.end = instant{startT, tp.ts}, instant{endT, tp.ts}
		e.mediaTime = int64(startT) - int64(tp.tab.firstDTS) + int64(tp.tab.ctoShift())
	}
	origin := edits[0].start
	if o.Accurate {
		origin = instant{uint64(o.Start.UnixNano()), 1e9}
	} else {
		for _, e := range edits {
			if e.start.less(origin) {
				origin = e.start
			}
		}
	}
	originM := scale(origin.t, origin.ts, mts)
	var movieDur uint64
	for i := range edits {
		e := &edits[i]
		if s := scale(e.start.t, e.start.ts, mts); s > originM {
			e.empty = s - originM
		}
		e.dur = scale(e.end.t-e.start.t, e.start.ts, mts)
		movieDur = max(movieDur, e.empty+e.dur)
	}

	p := &Plan{src: src, fragmented: o.Fragmented, start: origin.time(), end: instant{originM + movieDur, mts}.time()}
	p.groups = mergeGroups(tps)
	for i, tp := range tps {
		p.chunks = append(p.chunks, tp.tab.chunks)
		for _, g := range tp.tab.gaps {
			p.gaps = append(p.gaps, Gap{From: instant{g[0], tp.ts}.time(), To: instant{g[1], tp.ts}.time(), Track: inIdx[i]})
		}
		p.tracks = append(p.tracks, TrackInfo{ID: uint32(i + 1), Input: inIdx[i], Handler: tp.handler, Samples: int(tp.tab.n),
			Start: edits[i].start.time(), End: edits[i].end.time(), MediaFrom: instant{tp.tab.firstDTS, tp.ts}.time()})
	}
	slices.SortStableFunc(p.gaps, func(a, b Gap) int { return a.From.Compare(b.From) })

	moov := mp4.NewMoovBox()
	mvhd := mp4.CreateMvhd()
	mvhd.Timescale, mvhd.NextTrackID = mts, uint32(len(tps)+1)
	mvhd.SetCreationTimeS(o.Start.Unix())
	mvhd.SetModificationTimeS(o.Start.Unix())
	if !o.Fragmented {
		mvhd.Duration = movieDur
	}
	mvhd.Version = version(mvhd.Duration, mvhd.CreationTime)
	moov.AddChild(mvhd)
	var offsets []func(i int, off uint64) // per track: set chunk offset i
	var stbls []*mp4.StblBox
	var mvex *mp4.MvexBox
	if o.Fragmented {
		mvex = mp4.NewMvexBox()
	}
	audio := 0
	for _, tp := range tps {
		if tp.handler == "soun" {
			audio++
		}
	}
	for i, tp := range tps {
		init, err := decodeInit(tp.in.Headers[0])
		if err != nil {
			return nil, err
		}
		trak := init.Moov.Trak
		trak.Tkhd.TrackID = uint32(i + 1)
		trak.Tkhd.Flags |= 1 // enabled
		trak.Tkhd.CreationTime, trak.Tkhd.ModificationTime = mvhd.CreationTime, mvhd.CreationTime
		trak.Mdia.Mdhd.CreationTime, trak.Mdia.Mdhd.ModificationTime = mvhd.CreationTime, mvhd.CreationTime
		if tp.handler == "soun" && audio > 1 {
			trak.Tkhd.AlternateGroup = 1 // one language at a time
		}
		nt := mp4.NewTrakBox()
		nt.AddChild(trak.Tkhd)
		if o.Fragmented {
			if len(tp.in.Headers) > 1 {
				return nil, fmt.Errorf("%w: a header change inside a fragmented clip", ErrUnsupported)
			}
			trak.Tkhd.Duration = 0
			trex := &mp4.TrexBox{TrackID: uint32(i + 1), DefaultSampleDescriptionIndex: 1,
				DefaultSampleDuration: tp.hdrs[0].DefaultSampleDuration, DefaultSampleSize: tp.hdrs[0].DefaultSampleSize,
				DefaultSampleFlags: tp.hdrs[0].DefaultSampleFlags}
			mvex.AddChild(trex)
		} else {
			e := edits[i]
			trak.Tkhd.Duration = e.empty + e.dur
			elst := &mp4.ElstBox{}
			if e.empty > 0 {
				elst.Entries = append(elst.Entries, mp4.ElstEntry{SegmentDuration: e.empty, MediaTime: -1, MediaRateInteger: 1})
			}
			elst.Entries = append(elst.Entries, mp4.ElstEntry{SegmentDuration: e.dur, MediaTime: e.mediaTime, MediaRateInteger: 1})
			elst.Version = version(e.empty, e.dur, uint64(max(e.mediaTime, 0)))
			edts := &mp4.EdtsBox{}
			edts.AddChild(elst)
			nt.AddChild(edts)
			trak.Mdia.Mdhd.Duration = tp.tab.totalDur
			stbl, set, err := sampleTables(tp, trak.Mdia.Minf.Stbl.Stsd)
			if err != nil {
				return nil, err
			}
			for k, c := range trak.Mdia.Minf.Children {
				if c.Type() == "stbl" {
					trak.Mdia.Minf.Children[k] = stbl
				}
			}
			trak.Mdia.Minf.Stbl = stbl
			offsets, stbls = append(offsets, set), append(stbls, stbl)
		}
		trak.Tkhd.Version = version(trak.Tkhd.Duration, trak.Tkhd.CreationTime)
		trak.Mdia.Mdhd.Version = version(trak.Mdia.Mdhd.Duration, trak.Mdia.Mdhd.CreationTime)
		nt.AddChild(trak.Mdia)
		moov.AddChild(nt)
	}
	if mvex != nil {
		moov.AddChild(mvex)
	}

	var ftyp *mp4.FtypBox
	var payload int64
	for _, g := range p.groups {
		for _, c := range p.chunks[g.track][g.first : g.first+g.n] {
			payload += int64(c.size)
		}
	}
	headLen := int64(0)
	mdatHdr := 0
	if o.Fragmented {
		ftyp = mp4.NewFtyp("iso6", 0, []string{"iso6", "isom", "mp41"})
		headLen = int64(ftyp.Size() + moov.Size())
	} else {
		ftyp = mp4.NewFtyp("isom", 0x200, []string{"isom", "iso2", "mp41"})
		mdatHdr = 8
		if payload+8 > math.MaxUint32 {
			mdatHdr = 16
		}
		headLen = int64(ftyp.Size()+moov.Size()) + int64(mdatHdr)
		var nChunks int64
		for _, cs := range p.chunks {
			nChunks += int64(len(cs))
		}
		if headLen-4*nChunks+payload <= math.MaxUint32 { // 32-bit offsets suffice
			for i, stbl := range stbls {
				offsets[i] = useStco(stbl)
			}
			headLen -= 4 * nChunks
		}
	}
	pos := headLen
	seq := uint32(0)
	next := make([]int, len(tps))
	for gi := range p.groups {
		g := &p.groups[gi]
		g.out, g.seq0 = pos, seq
		for j := range g.n {
			c := p.chunks[g.track][g.first+j]
			if !o.Fragmented {
				offsets[g.track](next[g.track], uint64(pos))
				next[g.track]++
			}
			pos += int64(c.size)
			seq++
		}
	}
	p.size = pos
	var b bytes.Buffer
	b.Grow(int(headLen))
	if err := ftyp.Encode(&b); err != nil {
		return nil, err
	}
	if err := moov.Encode(&b); err != nil {
		return nil, err
	}
	switch mdatHdr {
	case 8:
		b.Write(binary.BigEndian.AppendUint32(nil, uint32(payload+8)))
		b.WriteString("mdat")
	case 16:
		b.Write(binary.BigEndian.AppendUint32(nil, 1))
		b.WriteString("mdat")
		b.Write(binary.BigEndian.AppendUint64(nil, uint64(payload+16)))
	}
	if int64(b.Len()) != headLen {
		return nil, fmt.Errorf("clipmp4: head is %d bytes, planned %d", b.Len(), headLen)
	}
	p.head = b.Bytes()
	p.etag = etagOf(p.head, p.groups)
	return p, nil
}

// decodeInit decodes a CMAF header with mp4ff.
func decodeInit(raw []byte) (init *mp4.InitSegment, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: CMAF header: decoder panic: %v", ErrMalformed, r)
		}
	}()
	f, err := mp4.DecodeFile(bytes.NewReader(raw))
	if err != nil || f.Init == nil || f.Init.Moov == nil || f.Init.Moov.Trak == nil {
		return nil, fmt.Errorf("%w: CMAF header: %v", ErrMalformed, err)
	}
	return f.Init, nil
}

// version returns the full box version that holds the values: 1 when one
// exceeds 32 bits.
func version(vs ...uint64) byte {
	for _, v := range vs {
		if v > math.MaxUint32 {
			return 1
		}
	}
	return 0
}

// sampleTables builds the stbl of a progressive track (ISO/IEC 14496-12
// 8.5-8.7) with 64-bit chunk offsets to be set through the returned func.
func sampleTables(tp *trackPlan, stsd *mp4.StsdBox) (*mp4.StblBox, func(int, uint64), error) {
	t := tp.tab
	for _, raw := range tp.in.Headers[1:] {
		init, err := decodeInit(raw)
		if err != nil {
			return nil, nil, err
		}
		stsd.AddChild(init.Moov.Trak.Mdia.Minf.Stbl.Stsd.Children[0])
	}
	stbl := mp4.NewStblBox()
	stbl.AddChild(stsd)
	stbl.AddChild(&mp4.SttsBox{SampleCount: t.sttsCount, SampleTimeDelta: t.sttsDelta})
	if t.anyCTO {
		ctts := &mp4.CttsBox{}
		if c := t.ctoShift(); c != 0 {
			for i := range t.cttsOff {
				t.cttsOff[i] += c
			}
		}
		if err := ctts.AddSampleCountsAndOffset(t.cttsCount, t.cttsOff); err != nil {
			return nil, nil, err
		}
		stbl.AddChild(ctts)
	}
	t.cttsCount, t.cttsOff = nil, nil
	if !t.allSync {
		stbl.AddChild(&mp4.StssBox{SampleNumber: t.stss})
	}
	stsc := &mp4.StscBox{}
	for i, c := range t.chunks {
		if i == 0 || c.samples != t.chunks[i-1].samples || c.sdi != t.chunks[i-1].sdi {
			if err := stsc.AddEntry(uint32(i+1), c.samples, uint32(c.sdi)+1); err != nil {
				return nil, nil, err
			}
		}
	}
	stbl.AddChild(stsc)
	stsz := &mp4.StszBox{SampleNumber: t.n}
	if !slices.ContainsFunc(t.sizes, func(s uint32) bool { return s != t.sizes[0] }) {
		stsz.SampleUniformSize = t.sizes[0]
	} else {
		stsz.SampleSize = t.sizes
	}
	t.sizes = nil
	stbl.AddChild(stsz)
	co64 := &mp4.Co64Box{ChunkOffset: make([]uint64, len(t.chunks))}
	stbl.AddChild(co64)
	return stbl, func(i int, off uint64) { co64.ChunkOffset[i] = off }, nil
}

// useStco replaces the co64 of stbl by an stco (32-bit offsets).
func useStco(stbl *mp4.StblBox) func(int, uint64) {
	stco := &mp4.StcoBox{ChunkOffset: make([]uint32, len(stbl.Co64.ChunkOffset))}
	for i, c := range stbl.Children {
		if c == mp4.Box(stbl.Co64) {
			stbl.Children[i] = stco
		}
	}
	stbl.Co64, stbl.Stco = nil, stco
	return func(i int, off uint64) { stco.ChunkOffset[i] = uint32(off) }
}
