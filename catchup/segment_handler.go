package catchup

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/reapd/reapd/blobstore"
	"github.com/reapd/reapd/trackfile"
)

// immutable is the Cache-Control of segments and headers: a URL names the
// same bytes forever.
const immutable = "public, max-age=31536000, immutable"

// handleSegment serves GET /catchup/{channel}/seg/{track}/{hash}/{timescale}/{time}.m4s:
// the media segment of the track that starts at {time} (epoch timeline,
// in {timescale}, the track's MPD timescale) and uses CMAF header {hash}.
//
// A segment of a finalized period is a range of its storage track file,
// read straight from the store; a segment of the open period is its staged
// copy, normalized as the finalizer will store it (sidx dropped, STS
// applied) while it streams, so that the URL gives the same bytes before
// and after the period is finalized. Range, HEAD and conditional requests work as with
// http.ServeContent; the ETag is the same from either source.
func (s *Server) handleSegment(w http.ResponseWriter, r *http.Request) {
	channel, track, hash := r.PathValue("channel"), r.PathValue("track"), r.PathValue("hash")
	for _, name := range []string{channel, track} {
		if err := trackfile.CheckName(name); err != nil {
			s.writeError(w, r, badRequest("%v", err))
			return
		}
	}
	mts, err1 := strconv.ParseUint(r.PathValue("timescale"), 10, 32)
	num, ok := strings.CutSuffix(r.PathValue("file"), ".m4s")
	t, err2 := strconv.ParseUint(num, 10, 64)
	if err1 != nil || err2 != nil || !ok || mts == 0 {
		s.writeError(w, r, notFound("no segment %q: want {timescale}/{time}.m4s", r.PathValue("timescale")+"/"+r.PathValue("file")))
		return
	}
	src, err := s.findSegment(r.Context(), channel, track, hash, uint32(mts), t)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	defer src.body.Close()
	h := w.Header()
	h.Set("Content-Type", contentType(src.ext))
	h.Set("ETag", src.etag)
	h.Set("Cache-Control", src.cacheControl)
	if plainGet(r) {
		// What http.ServeContent would do for a plain GET, without its
		// per-request 32 kB copy buffer.
		h.Set("Accept-Ranges", "bytes")
		h.Set("Content-Length", strconv.FormatInt(src.size, 10))
		w.WriteHeader(http.StatusOK)
		if wt, ok := src.body.(io.WriterTo); ok {
			_, _ = wt.WriteTo(w) // a track file range: sendfile from a file store
			return
		}
		buf := copyBufs.Get().(*[]byte)
		_, _ = io.CopyBuffer(struct{ io.Writer }{w}, struct{ io.Reader }{src.body}, *buf)
		copyBufs.Put(buf)
		return
	}
	http.ServeContent(w, r, "", time.Time{}, src.body)
}

// plainGet reports whether r is a GET without Range or conditions, whose
// answer is the whole body with 200.
func plainGet(r *http.Request) bool {
	if r.Method != http.MethodGet {
		return false
	}
	for _, k := range []string{"Range", "If-Match", "If-None-Match", "If-Modified-Since", "If-Unmodified-Since", "If-Range"} {
		if r.Header.Get(k) != "" {
			return false
		}
	}
	return true
}

// copyBufs holds copy buffers for plain segment GETs.
var copyBufs = sync.Pool{New: func() any { b := make([]byte, 64<<10); return &b }}

// segmentSource is a segment to serve: its headers and an io.ReadSeeker
// over its bytes (a byte range of a storage track file, or a staged
// segment normalized as it streams).
type segmentSource struct {
	ext, etag, cacheControl string
	size                    int64
	body                    interface {
		io.ReadSeeker
		io.Closer
	}
}

// fileRange reads a byte range of a storage track file, lazily from the
// position of the first Read.
type fileRange struct {
	ctx        context.Context
	store      *blobstore.Store
	key        string
	base, size int64
	pos        int64
	rc         io.ReadCloser
}

func (src *fileRange) Read(p []byte) (int, error) {
	if src.pos >= src.size {
		return 0, io.EOF
	}
	if src.rc == nil {
		rc, err := src.store.NewRangeReader(src.ctx, src.key, src.base+src.pos, src.size-src.pos)
		if err != nil {
			return 0, err
		}
		src.rc = rc
	}
	if int64(len(p)) > src.size-src.pos {
		p = p[:src.size-src.pos]
	}
	n, err := src.rc.Read(p)
	src.pos += int64(n)
	if err == io.EOF && src.pos < src.size {
		err = errors.New("catchup: storage track file " + src.key + " is shorter than its index says")
	}
	return n, err
}

func (src *fileRange) Seek(offset int64, whence int) (int64, error) {
	var pos int64
	switch whence {
	case io.SeekStart:
		pos = offset
	case io.SeekCurrent:
		pos = src.pos + offset
	case io.SeekEnd:
		pos = src.size + offset
	}
	if pos < 0 {
		return 0, errors.New("catchup: seek before the start of a segment")
	}
	if pos != src.pos && src.rc != nil {
		_ = src.rc.Close()
		src.rc = nil
	}
	src.pos = pos
	return pos, nil
}

// WriteTo writes the rest of the segment to w; from a file store, as a
// file range (sendfile to an HTTP response).
func (src *fileRange) WriteTo(w io.Writer) (int64, error) {
	if src.pos >= src.size {
		return 0, nil
	}
	if src.rc == nil {
		rc, err := src.store.NewRangeReader(src.ctx, src.key, src.base+src.pos, src.size-src.pos)
		if err != nil {
			return 0, err
		}
		src.rc = rc
	}
	var n int64
	var err error
	if wt, ok := src.rc.(io.WriterTo); ok {
		n, err = wt.WriteTo(w)
	} else {
		buf := copyBufs.Get().(*[]byte)
		n, err = io.CopyBuffer(struct{ io.Writer }{w}, struct{ io.Reader }{src.rc}, *buf)
		copyBufs.Put(buf)
	}
	src.pos += n
	if err == nil && src.pos < src.size {
		err = errors.New("catchup: storage track file " + src.key + " is shorter than its index says")
	}
	return n, err
}

// Close releases the store reader.
func (src *fileRange) Close() error {
	if src.rc != nil {
		return src.rc.Close()
	}
	return nil
}

// segmentIndexAge is how old a channel's listing may be for a segment
// request: a segment already in a listed track file is found without a
// listing; one that is not is looked for again after a fresh one.
const segmentIndexAge = 30 * time.Second

// findSegment finds the segment a URL names: the one of the track with
// header hash whose start, converted to timescale mts, is t. It looks in
// the storage track files first, then among the staged segments; a
// segment not found, or a staged one that vanished (finalized meanwhile),
// is looked for again after listing the store.
func (s *Server) findSegment(ctx context.Context, channel, track, hash string, mts uint32, t uint64) (*segmentSource, error) {
	c, err := s.channel(ctx, channel)
	if err != nil {
		return nil, err
	}
	g, err := c.gridAged(ctx, segmentIndexAge)
	if err != nil {
		return nil, err
	}
	h, err := s.headerByHash(ctx, channel, track, hash)
	if err != nil {
		return nil, err
	}
	ts := h.Info.Timescale
	n := g.SegmentIndex(scaleTicks(t, mts, ts), ts)
	for attempt := 0; attempt < 2; attempt++ {
		v, err := c.viewAged(ctx, g.Period(n-1), g.Period(n+1), stagedNever, segmentIndexAge)
		if err != nil {
			return nil, err
		}
		if r, pos, segT := v.find(track, hash, mts, t); r != nil {
			off := r.IndexRange.End
			for _, sz := range r.Sizes[:pos] {
				off += sz
			}
			size := r.Sizes[pos]
			return &segmentSource{ext: h.Info.Ext, etag: segmentETag(hash, segT, size), cacheControl: immutable, size: size,
				body: &fileRange{ctx: ctx, store: s.store, key: r.Key, base: off, size: size}}, nil
		}
		sv, err := c.stagedAged(ctx, s.opts.IndexTTL)
		if err != nil {
			return nil, err
		}
		if seg := sv.find(track, n, mts, t); seg != nil && seg.hash == hash {
			src, err := s.stagedSegment(ctx, c, v, seg)
			if !errors.Is(err, blobstore.ErrNotFound) {
				return src, err
			}
		}
		if attempt > 0 || (v.lastK != noPeriod && g.Period(n) < v.lastK) {
			break // not a segment of the open period: nothing to wait for
		}
		c.invalidate() // maybe finalized or staged since the last listing
	}
	return nil, notFound("channel %q track %q has no segment at %d/%d with header %s", channel, track, t, mts, hash)
}

// stagedSegment returns the source of a staged segment, normalized as it
// is read; ErrNotFound when the staged object is gone.
func (s *Server) stagedSegment(ctx context.Context, c *channelIndex, v *view, seg *stagedSeg) (*segmentSource, error) {
	off := v.sts.TicksSigned(seg.info.Timescale)
	lay, err := c.stagedLayoutOf(ctx, seg, off)
	switch {
	case errors.Is(err, trackfile.ErrMalformed) || errors.Is(err, trackfile.ErrTooLarge) || errors.Is(err, trackfile.ErrRange) ||
		errors.Is(err, io.ErrUnexpectedEOF):
		s.log.Warn("staged segment cannot be served", "key", seg.key, "err", err)
		return nil, notFound("staged segment %s cannot be served", seg.key)
	case err != nil:
		return nil, err
	}
	src := &segmentSource{ext: seg.info.Ext, etag: segmentETag(seg.hash, seg.t, lay.size), cacheControl: immutable, size: lay.size,
		body: &stagedReader{lay: lay, opts: normalizeOptions(&seg.info), bufPiece: -1,
			src: &rangeSource{ctx: ctx, store: s.store, key: seg.key, size: seg.size, count: s.stagedRead}}}
	if seg.slate {
		// A real copy may still replace a slate: not immutable.
		src.etag = `W/"slat-` + strings.Trim(src.etag, `"`) + `"`
		src.cacheControl = "public, max-age=" + strconv.Itoa(max(1, int(v.grid.D.Duration()/time.Second)))
	}
	return src, nil
}

// stagedRead counts a range read of a staged segment.
func (s *Server) stagedRead() { s.metrics.StoreReads.WithLabelValues("staged").Inc() }

// segmentETag is the strong ETag of a segment: its header, start time
// (track timescale) and size identify its bytes, staged or in a track
// file.
func segmentETag(hash string, t uint64, size int64) string {
	return `"` + hash + "-" + strconv.FormatUint(t, 10) + "-" + strconv.FormatInt(size, 10) + `"`
}

// contentType returns the media type of a track's CMAF files.
func contentType(ext string) string {
	switch ext {
	case "cmfv":
		return "video/mp4"
	case "cmfa":
		return "audio/mp4"
	}
	return "application/mp4"
}
