package catchup

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"

	"github.com/reapd/reapd/blobstore"
	"github.com/reapd/reapd/trackfile"
)

// A staged segment is served as its storage track file will hold it
// (trackfile.PrepareSegment: sidx dropped, the STS added to its times)
// without loading it whole: its layout, computed once from its box
// headers, says which source bytes make which served bytes; a request
// then streams the mdat bodies straight from a range read of the staged
// object and rewrites only the boxes whose times move (moof, prft, emsg),
// one at a time. Twelve slow readers of a 60 MB staged segment hold
// twelve copy buffers, not twelve copies.

// maxRewriteBox bounds a box that serving rewrites (a moof, prft or
// emsg), which is held in memory while it is served.
const maxRewriteBox = 16 << 20

// skipReadMax is the longest stretch of source bytes read and discarded
// to move a range read forward; a longer one opens a new range read.
const skipReadMax = 256 << 10

// stagedPiece is a stretch of served bytes: n source bytes at src, served
// at out as outN bytes, copied or (rewrite) one box rewritten.
type stagedPiece struct {
	src, n    int64
	out, outN int64
	rewrite   bool
}

// stagedLayout is how a staged object becomes the served segment.
type stagedLayout struct {
	offset  int64 // STS in ticks it was computed for
	objSize int64
	size    int64 // served bytes
	pieces  []stagedPiece
}

// normalizeOptions are the options the finalizer normalizes with
// (trackfile.PrepareSegment).
func normalizeOptions(info *trackfile.TrackInfo) *trackfile.NormalizeOptions {
	return &trackfile.NormalizeOptions{Timescale: info.Timescale}
}

// stagedLayoutOf returns the layout of staged segment seg for STS offset
// off (ticks), computed once per key and offset.
func (c *channelIndex) stagedLayoutOf(ctx context.Context, seg *stagedSeg, off int64) (*stagedLayout, error) {
	c.mu.Lock()
	lay := c.layouts[seg.key]
	c.mu.Unlock()
	if lay != nil && lay.offset == off && lay.objSize == seg.size {
		return lay, nil
	}
	src := &rangeSource{ctx: ctx, store: c.s.store, key: seg.key, size: seg.size, count: c.s.stagedRead}
	defer src.Close()
	lay, err := computeLayout(src, off, normalizeOptions(&seg.info))
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	c.layouts[seg.key] = lay
	c.mu.Unlock()
	return lay, nil
}

// computeLayout walks the boxes of a staged object: it reads every box
// header, the bodies of the boxes it rewrites, and skips the rest.
func computeLayout(src *rangeSource, off int64, opts *trackfile.NormalizeOptions) (*stagedLayout, error) {
	lay := &stagedLayout{offset: off, objSize: src.size}
	for pos := int64(0); pos < src.size; {
		if err := src.seek(pos); err != nil {
			return nil, err
		}
		h, err := trackfile.ReadBoxHeader(src)
		if err != nil {
			return nil, fmt.Errorf("staged segment %s at offset %d: %w", src.key, pos, err)
		}
		if h.Size > src.size-pos {
			return nil, fmt.Errorf("staged segment %s: box %q at offset %d has size %d, only %d bytes left: %w",
				src.key, h.Type, pos, h.Size, src.size-pos, trackfile.ErrMalformed)
		}
		switch trackfile.NormalizeAction(h.Type, off, opts) {
		case trackfile.BoxCopy:
			if n := len(lay.pieces); n > 0 && !lay.pieces[n-1].rewrite && lay.pieces[n-1].src+lay.pieces[n-1].n == pos {
				lay.pieces[n-1].n += h.Size
				lay.pieces[n-1].outN += h.Size
			} else {
				lay.pieces = append(lay.pieces, stagedPiece{src: pos, n: h.Size, out: lay.size, outN: h.Size})
			}
			lay.size += h.Size
		case trackfile.BoxRewrite:
			nb, err := readRewritten(src, h, off, opts)
			if err != nil {
				return nil, fmt.Errorf("staged segment %s: box %q at offset %d: %w", src.key, h.Type, pos, err)
			}
			lay.pieces = append(lay.pieces, stagedPiece{src: pos, n: h.Size, out: lay.size, outN: int64(len(nb)), rewrite: true})
			lay.size += int64(len(nb))
		}
		pos += h.Size
	}
	if lay.size == 0 {
		return nil, fmt.Errorf("staged segment %s is empty: %w", src.key, trackfile.ErrMalformed)
	}
	return lay, nil
}

// readRewritten reads the body of the box whose header h src just read
// and returns the box rewritten (trackfile.NormalizeWith of it alone).
func readRewritten(src *rangeSource, h trackfile.BoxHeader, off int64, opts *trackfile.NormalizeOptions) ([]byte, error) {
	if h.Size > maxRewriteBox {
		return nil, fmt.Errorf("%w: %d bytes, at most %d are rewritten", trackfile.ErrTooLarge, h.Size, maxRewriteBox)
	}
	box := make([]byte, h.Size)
	copy(box, h.Bytes())
	if _, err := io.ReadFull(src, box[h.HdrLen:]); err != nil {
		return nil, err
	}
	return trackfile.NormalizeWith(box, off, opts)
}

// rangeSource reads a store object from any position, keeping one range
// read open and moving it forward while the stretch to skip is short.
type rangeSource struct {
	ctx   context.Context
	store *blobstore.Store
	key   string
	size  int64  // the object's size
	count func() // called for every range read opened
	rc    io.ReadCloser
	pos   int64 // source position of rc
}

// seek moves the source to pos.
func (r *rangeSource) seek(pos int64) error {
	if r.rc != nil && pos >= r.pos && pos-r.pos <= skipReadMax {
		if pos > r.pos {
			n, err := io.CopyN(io.Discard, r.rc, pos-r.pos)
			r.pos += n
			if err != nil {
				return r.readErr(err)
			}
		}
		return nil
	}
	r.Close()
	rc, err := r.store.NewRangeReader(r.ctx, r.key, pos, -1)
	if r.count != nil {
		r.count()
	}
	if err != nil {
		return err
	}
	r.rc, r.pos = rc, pos
	return nil
}

func (r *rangeSource) Read(p []byte) (int, error) {
	if r.rc == nil {
		if err := r.seek(r.pos); err != nil {
			return 0, err
		}
	}
	n, err := r.rc.Read(p)
	r.pos += int64(n)
	if err != nil && (n == 0 || err != io.EOF) {
		return n, r.readErr(err)
	}
	return n, nil
}

// readErr reports an end of the object before its listed size as such.
func (r *rangeSource) readErr(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		if r.pos < r.size {
			return fmt.Errorf("catchup: staged segment %s ends at %d bytes, listed with %d: %w", r.key, r.pos, r.size, io.ErrUnexpectedEOF)
		}
		return io.EOF
	}
	return err
}

// Close releases the open range read.
func (r *rangeSource) Close() error {
	if r.rc == nil {
		return nil
	}
	err := r.rc.Close()
	r.rc = nil
	return err
}

// stagedReader is an io.ReadSeeker over the served bytes of a staged
// segment.
type stagedReader struct {
	lay      *stagedLayout
	src      *rangeSource
	opts     *trackfile.NormalizeOptions
	pos      int64 // in served bytes
	buf      []byte
	bufPiece int // the piece buf holds; -1: none
}

func (r *stagedReader) Read(p []byte) (int, error) {
	if r.pos >= r.lay.size {
		return 0, io.EOF
	}
	i := sort.Search(len(r.lay.pieces), func(i int) bool { pc := &r.lay.pieces[i]; return pc.out+pc.outN > r.pos })
	pc := &r.lay.pieces[i]
	in := r.pos - pc.out
	if pc.rewrite {
		if r.bufPiece != i {
			if err := r.src.seek(pc.src); err != nil {
				return 0, err
			}
			h, err := trackfile.ReadBoxHeader(r.src)
			if err != nil {
				return 0, err
			}
			nb, err := readRewritten(r.src, h, r.lay.offset, r.opts)
			if err != nil {
				return 0, err
			}
			if h.Size != pc.n || int64(len(nb)) != pc.outN {
				return 0, fmt.Errorf("catchup: staged segment %s changed under its layout", r.src.key)
			}
			r.buf, r.bufPiece = nb, i
		}
		n := copy(p, r.buf[in:])
		r.pos += int64(n)
		return n, nil
	}
	if err := r.src.seek(pc.src + in); err != nil {
		return 0, err
	}
	if rem := pc.outN - in; int64(len(p)) > rem {
		p = p[:rem]
	}
	n, err := r.src.Read(p)
	r.pos += int64(n)
	if err == io.EOF {
		err = fmt.Errorf("catchup: staged segment %s is shorter than its layout: %w", r.src.key, io.ErrUnexpectedEOF)
	}
	return n, err
}

func (r *stagedReader) Seek(offset int64, whence int) (int64, error) {
	pos := offset
	switch whence {
	case io.SeekCurrent:
		pos += r.pos
	case io.SeekEnd:
		pos += r.lay.size
	}
	if pos < 0 {
		return 0, errors.New("catchup: seek before the start of a segment")
	}
	r.pos = pos
	return pos, nil
}

// Close releases the store reader.
func (r *stagedReader) Close() error { return r.src.Close() }
