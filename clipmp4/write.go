package clipmp4

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"sort"
	"sync"
)

// WriteTo writes the whole output to w: the head from memory, then the
// media from the Source. It returns the bytes written.
func (p *Plan) WriteTo(ctx context.Context, w io.Writer) (int64, error) {
	return p.WriteRange(ctx, w, 0, p.size)
}

// Reads of the write pass: a read covers the chunks of one segment of one
// track (and the few boxes between them), at most readMax bytes of output;
// up to prefetch reads run ahead of the writer, so that store latency
// overlaps with writing. A write holds at most prefetch×readMax bytes.
const (
	readMax  = 1 << 20
	prefetch = 4
)

// WriteRange writes bytes [off, off+n) of the output to w, reading only
// the source ranges they need (the head comes from memory).
func (p *Plan) WriteRange(ctx context.Context, w io.Writer, off, n int64) (int64, error) {
	if off < 0 || n < 0 || off+n > p.size {
		return 0, fmt.Errorf("clipmp4: range [%d, %d) outside a clip of %d bytes", off, off+n, p.size)
	}
	end := off + n
	var written int64
	if hl := int64(len(p.head)); off < hl {
		k, err := w.Write(p.head[off:min(hl, end)])
		written += int64(k)
		if err != nil {
			return written, err
		}
		off += int64(k)
	}
	if off >= end {
		return written, nil
	}
	var wg sync.WaitGroup
	defer wg.Wait()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	gi := sort.Search(len(p.groups), func(i int) bool { return p.groups[i].out > off }) - 1
	st := &readState{gi: gi, pos: p.groups[gi].out, off: off, end: end}
	var queue []*read
	launch := func() {
		rd := p.nextRead(st)
		if rd == nil {
			return
		}
		rd.done = make(chan struct{})
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer close(rd.done)
			rd.fetch(ctx, p.src)
		}()
		queue = append(queue, rd)
	}
	for range prefetch {
		launch()
	}
	for len(queue) > 0 {
		rd := queue[0]
		queue = queue[1:]
		<-rd.done
		if rd.err != nil {
			return written, rd.err
		}
		buf := *rd.buf
		for _, pc := range rd.pieces {
			b := buf[pc.src-rd.lo : pc.src-rd.lo+pc.n]
			if p.fragmented {
				p.patch(b, pc.at, pc.c, pc.track, pc.seq)
			}
			k, err := w.Write(b)
			written += int64(k)
			if err != nil {
				return written, err
			}
		}
		readBufs.Put(rd.buf)
		launch()
	}
	return written, nil
}

// read is one range read of the write pass and the pieces of output it
// holds, in output order.
type read struct {
	key    string
	lo, hi int64 // source range
	pieces []piece
	buf    *[]byte
	err    error
	done   chan struct{}
}

// piece is output bytes [at, at+n) of chunk c, from source offset src.
type piece struct {
	c          *chunk
	track      int32
	seq        uint32 // fragmented: the chunk's mfhd sequence number − 1
	at, src, n int64
}

// readState is where the next read starts: chunk j of group gi, which
// starts at output offset pos; output bytes [off, end) remain.
type readState struct {
	gi       int
	j        int32
	pos      int64
	off, end int64
}

// nextRead plans the next read (nil when the range is done): chunks of
// the current group from st.off, up to readMax bytes of output.
func (p *Plan) nextRead(st *readState) *read {
	for st.gi < len(p.groups) && st.off < st.end {
		g := &p.groups[st.gi]
		if st.j >= g.n {
			st.gi, st.j = st.gi+1, 0
			if st.gi < len(p.groups) {
				st.pos = p.groups[st.gi].out
			}
			continue
		}
		rd := &read{key: g.key}
		var size int64
		for st.j < g.n && st.off < st.end && size < readMax {
			c := &p.chunks[g.track][g.first+st.j]
			cEnd := st.pos + int64(c.size)
			if cEnd <= st.off {
				st.pos, st.j = cEnd, st.j+1
				continue
			}
			from := st.off - st.pos
			upto := min(cEnd, st.end, st.off+readMax-size) - st.pos
			pc := piece{c: c, track: g.track, seq: g.seq0 + uint32(st.j), at: from, src: c.srcOff + from, n: upto - from}
			if k := len(rd.pieces); k > 0 {
				if last := rd.pieces[k-1]; pc.src < last.src+last.n || pc.src-(last.src+last.n) > writeSkip {
					break // not ahead and near in the source: another read
				}
			}
			rd.pieces = append(rd.pieces, pc)
			size += pc.n
			st.off = st.pos + upto
			if st.off == cEnd {
				st.pos, st.j = cEnd, st.j+1
			}
		}
		if len(rd.pieces) > 0 {
			last := rd.pieces[len(rd.pieces)-1]
			rd.lo, rd.hi = rd.pieces[0].src, last.src+last.n
			return rd
		}
	}
	return nil
}

// fetch reads the source range of rd into a pooled buffer.
func (rd *read) fetch(ctx context.Context, src Source) {
	n := rd.hi - rd.lo
	rd.buf = readBufs.Get().(*[]byte)
	if rd.err = ctx.Err(); rd.err != nil {
		return
	}
	if int64(cap(*rd.buf)) < n {
		*rd.buf = make([]byte, max(n, 64<<10))
	}
	*rd.buf = (*rd.buf)[:n]
	rc, err := src.NewRangeReader(ctx, rd.key, rd.lo, n)
	if err != nil {
		rd.err = fmt.Errorf("read %s at %d: %w", rd.key, rd.lo, err)
		return
	}
	defer rc.Close()
	if _, err := io.ReadFull(rc, *rd.buf); err != nil {
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			err = fmt.Errorf("%w: %s is shorter than its index says (at %d)", ErrMalformed, rd.key, rd.lo)
		}
		rd.err = err
	}
}

// patch renumbers a fragment in flight: b holds its bytes from offset at;
// the mfhd sequence number becomes seq+1 and the tfhd track_ID the output
// track's.
func (p *Plan) patch(b []byte, at int64, c *chunk, track int32, seq uint32) {
	put := func(fieldOff int32, v uint32) {
		if fieldOff < 0 {
			return
		}
		var f [4]byte
		binary.BigEndian.PutUint32(f[:], v)
		for i := range 4 {
			if k := int64(fieldOff) + int64(i) - at; k >= 0 && k < int64(len(b)) {
				b[k] = f[i]
			}
		}
	}
	put(c.seqOff, seq+1)
	put(c.tidOf, uint32(track)+1)
}

// readBufs holds the buffers of the write pass's reads.
var readBufs = sync.Pool{New: func() any { b := []byte(nil); return &b }}
