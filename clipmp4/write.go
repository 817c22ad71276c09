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
// media chunk by chunk from the Source (one range read per segment and
// track: the chunks of a segment are read in one pass, skipping the
// boxes between them). It returns the bytes written.
func (p *Plan) WriteTo(ctx context.Context, w io.Writer) (int64, error) {
	return p.WriteRange(ctx, w, 0, p.size)
}

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
	bp := bufs.Get().(*[]byte)
	defer bufs.Put(bp)
	buf := *bp
	var cur *rangeCursor
	defer func() {
		if cur != nil {
			cur.close()
		}
	}()
	gi := sort.Search(len(p.groups), func(i int) bool { return p.groups[i].out > off }) - 1
	for ; gi < len(p.groups) && off < end; gi++ {
		g := &p.groups[gi]
		if cur != nil {
			cur.close()
		}
		// One range read per group, up to the last byte it needs.
		cur = &rangeCursor{ctx: ctx, src: p.src, key: g.key, pos: -1, skip: writeSkip}
		pos := g.out
		for j := int32(0); j < g.n; j++ {
			c := &p.chunks[g.track][g.first+j]
			if pos >= end {
				break
			}
			cur.end = c.srcOff + min(int64(c.size), end-pos)
			pos += int64(c.size)
		}
		pos = g.out
		for j := int32(0); j < g.n && off < end; j++ {
			c := &p.chunks[g.track][g.first+j]
			cEnd := pos + int64(c.size)
			if cEnd <= off {
				pos = cEnd
				continue
			}
			from := off - pos // offset in the chunk
			upto := min(cEnd, end) - pos
			if err := cur.seek(c.srcOff + from); err != nil {
				return written, err
			}
			for from < upto {
				k, err := io.ReadFull(cur, buf[:min(int64(len(buf)), upto-from)])
				if err != nil {
					return written, cur.readErr(err)
				}
				if p.fragmented {
					p.patch(buf[:k], from, c, g.track, g.seq0+uint32(j))
				}
				m, err := w.Write(buf[:k])
				written += int64(m)
				if err != nil {
					return written, err
				}
				from += int64(k)
			}
			off = pos + upto
			pos = cEnd
		}
	}
	return written, nil
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

// bufs holds copy buffers for writes.
var bufs = sync.Pool{New: func() any { b := make([]byte, 64<<10); return &b }}
