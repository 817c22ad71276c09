package export

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/reapd/reapd/blobstore"
	"github.com/reapd/reapd/trackfile"
)

// Formats of a package.
const (
	FormatMP4  = "mp4"  // one MP4 file (the clip builder, see ClipWriter)
	FormatDASH = "dash" // the files and a static MPD
	FormatHLS  = "hls"  // the files and HLS playlists with byte ranges
	FormatCMAF = "cmaf" // the files, the MPD and the playlists
)

// Names of the manifests at the root of a package.
const (
	MPDName    = "manifest.mpd"
	MasterName = "master.m3u8"
	ClipName   = "clip.mp4"
)

// WriteOptions tune WritePackage; nil means defaults.
type WriteOptions struct {
	// Progress, when set, is called with the bytes written so far (files
	// found complete at the destination count as written).
	Progress func(done int64)
	// MaxRate bounds the bytes per second written (0: no bound), so that
	// an export does not take the link from ingest.
	MaxRate int64
}

// WritePackage writes the plan's package in the format to dst and returns
// the names of its objects (relative to dst), manifests first. Media
// files are written first, each under its deterministic name with a
// write-once create (a file already there with its size is taken as
// written: names say track, start and segment count, and the bytes are a
// function of the plan), then the manifests, also write-once (an
// identical one already there is fine, a different one is ErrConflict).
// So an interrupted write leaves no partial object and no manifest naming
// a missing file, and a retry writes the same bytes.
func WritePackage(ctx context.Context, src *blobstore.Store, p *Plan, format string, dst *Destination, opts *WriteOptions) ([]string, error) {
	if opts == nil {
		opts = &WriteOptions{}
	}
	manifests, err := Manifests(ctx, src, p, format)
	if err != nil {
		return nil, err
	}
	cw := &copier{ctx: ctx, rate: opts.MaxRate, progress: opts.Progress, start: time.Now()}
	var names []string
	for _, m := range manifests {
		names = append(names, m.Name)
	}
	for _, f := range p.Files {
		if err := writeFile(ctx, src, &f, dst, cw); err != nil {
			return nil, err
		}
		names = append(names, f.Name)
	}
	if opts.Progress != nil {
		opts.Progress(cw.done)
	}
	for _, m := range manifests {
		err := dst.Store.CreateOrMatch(ctx, dst.Prefix+m.Name, m.Data)
		if errors.Is(err, blobstore.ErrExists) {
			return nil, fmt.Errorf("%w: %s already holds another %s", ErrConflict, dst.URL(""), m.Name)
		}
		if err != nil {
			return nil, err
		}
	}
	return names, nil
}

// writeFile writes one package file: the CMAF header and a sidx v1 for
// its segments (trackfile.WriteHead), then the segments, copied by range
// reads of the archive's storage track files.
func writeFile(ctx context.Context, src *blobstore.Store, f *File, dst *Destination, cw *copier) error {
	key := dst.Prefix + f.Name
	if a, err := dst.Store.Stat(ctx, key); err == nil && a.Size == f.Run.Size {
		cw.add(a.Size)
		return nil
	} else if err != nil && !errors.Is(err, blobstore.ErrNotFound) {
		return err
	}
	raw, err := src.Get(ctx, f.Run.HeaderKey)
	if err != nil {
		return err
	}
	h, err := trackfile.ParseHeader(raw)
	if err != nil {
		return fmt.Errorf("%s: %w", f.Run.HeaderKey, err)
	}
	infos := segmentInfos(&f.Run)
	before := cw.done
	err = dst.Store.CreateFrom(ctx, key, func(w io.Writer) error {
		cw.w = w
		lay, err := trackfile.WriteHead(cw, h, infos)
		if err != nil {
			return err
		}
		if lay != (trackfile.HeadLayout{Init: f.Run.InitRange, Index: f.Run.IndexRange}) {
			return fmt.Errorf("export: %s: head layout %v differs from the plan's", f.Name, lay)
		}
		buf := make([]byte, copyBuffer)
		for _, pc := range f.Sources {
			rc, err := src.NewRangeReader(ctx, pc.Key, pc.Offset, pc.Length)
			if err != nil {
				return err
			}
			n, err := io.CopyBuffer(cw, rc, buf)
			rc.Close()
			if err == nil && n != pc.Length {
				err = fmt.Errorf("export: %s: %d bytes at %d, want %d", pc.Key, n, pc.Offset, pc.Length)
			}
			if err != nil {
				return err
			}
		}
		if got := cw.done - before; got != f.Run.Size {
			return fmt.Errorf("export: %s: wrote %d bytes, planned %d", f.Name, got, f.Run.Size)
		}
		return nil
	})
	if errors.Is(err, blobstore.ErrExists) { // another instance wrote it meanwhile
		if a, serr := dst.Store.Stat(ctx, key); serr == nil && a.Size == f.Run.Size {
			return nil
		}
		return fmt.Errorf("%w: %s already holds another %s", ErrConflict, dst.URL(""), f.Name)
	}
	if err != nil {
		cw.done = before
	}
	return err
}

// copyBuffer is the size of the reads and writes that copy segments: large
// enough that a file costs few system calls or store requests per MB.
const copyBuffer = 1 << 20

// copier counts the bytes written, reports progress at most every 200 ms
// and holds the rate under its bound.
type copier struct {
	ctx      context.Context
	w        io.Writer
	done     int64
	rate     int64
	progress func(int64)
	start    time.Time
	reported time.Time
	written  int64 // bytes written by this copier (not skipped), for the rate
}

func (c *copier) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.written += int64(n)
	c.add(int64(n))
	if err == nil && c.rate > 0 {
		due := c.start.Add(time.Duration(float64(c.written) / float64(c.rate) * float64(time.Second)))
		if d := time.Until(due); d > 0 {
			t := time.NewTimer(d)
			select {
			case <-c.ctx.Done():
				t.Stop()
				return n, c.ctx.Err()
			case <-t.C:
			}
		}
	}
	return n, err
}

func (c *copier) add(n int64) {
	c.done += n
	if c.progress != nil && time.Since(c.reported) >= 200*time.Millisecond {
		c.reported = time.Now()
		c.progress(c.done)
	}
}
