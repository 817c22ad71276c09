package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/reapd/reapd/blobstore"
	"github.com/reapd/reapd/catchup"
	"github.com/reapd/reapd/export"
)

// clipWriter returns the in-process clip builder for "mp4" exports over
// store: catch-up's, as GET /catchup/{channel}/clip.mp4 builds them.
func clipWriter(store *blobstore.Store) export.ClipWriter {
	return catchup.New(store, nil).ClipExporter()
}

// exportCmd writes a VoD package (or an MP4) of a window of a channel's
// archive from the command line, with a progress bar on a terminal and
// plain progress lines otherwise.
func exportCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("reapd export", flag.ContinueOnError)
	fs.SetOutput(stderr)
	storeURL := fs.String("store", "file://./data", "store URL of the archive (as for serve)")
	channel := fs.String("channel", "", "channel name (required)")
	startS := fs.String("start", "", "window start: RFC 3339 or epoch seconds (required)")
	endS := fs.String("end", "", "window end: RFC 3339 or epoch seconds (required)")
	format := fs.String("format", "cmaf", "mp4, dash, hls or cmaf (dash and hls over one set of files)")
	out := fs.String("out", "", "a directory, or a store URL and prefix (file://, s3://, gs://); for mp4 a file name ending in .mp4 names the file (required)")
	tracks := fs.String("tracks", "", "comma-separated tracks to export (default: all)")
	maxRate := fs.Int64("max-rate", 0, "bytes per second to write at most (0: no bound)")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: reapd export --store URL --channel C --start T1 --end T2 --format mp4|dash|hls|cmaf --out PATH|URL\n\n"+
			"Writes the window [T1, T2) of the channel's archive, cut at segment boundaries, as a VoD package:\n"+
			"one file per track (CMAF header, one sidx, the segments) with a static MPD (dash), HLS playlists\n"+
			"with byte ranges (hls) or both (cmaf); or one MP4 (mp4). Files are written first, manifests last;\n"+
			"running it again over the same output writes nothing new and gives the same bytes.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *channel == "" || *startS == "" || *endS == "" || *out == "" {
		fs.Usage()
		return errors.New("export: --channel, --start, --end and --out are required")
	}
	start, err := catchup.ParseInstant(*startS)
	if err != nil {
		return fmt.Errorf("--start: %w", err)
	}
	end, err := catchup.ParseInstant(*endS)
	if err != nil {
		return fmt.Errorf("--end: %w", err)
	}
	var trackList []string
	if *tracks != "" {
		trackList = strings.Split(*tracks, ",")
	}
	req := export.Request{Channel: *channel, Start: start, End: end, Format: *format, Tracks: trackList, Destination: "file:///"}
	if err := req.Check(); err != nil {
		return err
	}
	src, err := blobstore.Open(ctx, *storeURL, nil)
	if err != nil {
		return err
	}
	defer src.Close()
	destURL, clipName := *out, ""
	if *format == export.FormatMP4 && strings.HasSuffix(destURL, ".mp4") && !strings.Contains(destURL, "://") {
		destURL, clipName = filepath.Dir(destURL), filepath.Base(destURL)
	}
	if !strings.Contains(destURL, "://") {
		abs, err := filepath.Abs(destURL)
		if err != nil {
			return err
		}
		destURL = "file://" + abs
	}
	dst, err := export.OpenDestination(ctx, destURL)
	if err != nil {
		return err
	}
	defer dst.Store.Close()
	plan, err := export.MakePlan(ctx, src, *channel, start, end, trackList)
	if err != nil {
		return err
	}
	for _, g := range plan.Gaps {
		fmt.Fprintf(stdout, "gap %s – %s: %s\n", g.From.Format(time.RFC3339Nano), g.To.Format(time.RFC3339Nano), g.Reason)
	}
	prog := newProgress(stdout, plan.Bytes)
	defer prog.finish()
	var names []string
	if *format == export.FormatMP4 {
		names, err = writeMP4(ctx, src, dst, req, clipName, prog)
	} else {
		names, err = export.WritePackage(ctx, src, plan, *format, dst, &export.WriteOptions{Progress: prog.set, MaxRate: *maxRate})
	}
	prog.finish()
	if err != nil {
		return err
	}
	for _, n := range names {
		fmt.Fprintln(stdout, dst.URL(n))
	}
	return nil
}

// writeMP4 writes the window as one MP4 with the clip builder.
func writeMP4(ctx context.Context, src *blobstore.Store, dst *export.Destination, req export.Request, name string, prog *progress) ([]string, error) {
	cw := clipWriter(src)
	size, err := cw.ClipSize(ctx, req.Channel, req.Start, req.End, req.Tracks)
	if err != nil {
		return nil, err
	}
	prog.total = size
	if name == "" {
		name = export.ClipName
	}
	err = dst.Store.CreateFrom(ctx, dst.Prefix+name, func(w io.Writer) error {
		_, err := cw.WriteClip(ctx, &countWriter{w: w, add: prog.set}, req.Channel, req.Start, req.End, req.Tracks)
		return err
	})
	return []string{name}, err
}

type countWriter struct {
	w   io.Writer
	n   int64
	add func(int64)
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	c.add(c.n)
	return n, err
}

// progress shows bytes written: a progress bar on a terminal, else a line
// per 10 %.
type progress struct {
	w     io.Writer
	total int64
	bar   *progressbar.ProgressBar
	last  int
	done  bool
}

func newProgress(w io.Writer, total int64) *progress {
	p := &progress{w: w, total: total, last: -1}
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		p.bar = progressbar.NewOptions64(total, progressbar.OptionSetWriter(w), progressbar.OptionShowBytes(true),
			progressbar.OptionSetDescription("exporting"), progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionShowCount(), progressbar.OptionOnCompletion(func() { fmt.Fprintln(w) }))
	}
	return p
}

func (p *progress) set(done int64) {
	if p.bar != nil {
		_ = p.bar.Set64(done)
		return
	}
	pct := 100
	if p.total > 0 {
		pct = int(min(100, 100*done/p.total))
	}
	if pct/10 > p.last/10 || p.last < 0 {
		p.last = pct
		fmt.Fprintf(p.w, "progress %3d%% %d/%d bytes\n", pct, done, p.total)
	}
}

func (p *progress) finish() {
	if p.done {
		return
	}
	p.done = true
	if p.bar != nil {
		_ = p.bar.Finish()
	}
}

// exportFlags are the flags of "reapd serve" for export jobs.
type exportFlags struct {
	destinations stringList
	workers      int
	lease        time.Duration
	maxRate      int64
}

func (e *exportFlags) register(fs *flag.FlagSet) {
	fs.Var(&e.destinations, "export-destination", "a store URL under which export jobs may write (repeatable; its path or below, with the same bucket and query,\ne.g. 's3://vod?region=eu-west-1'); without it jobs write only to reapd's own store")
	fs.IntVar(&e.workers, "export-workers", 2, "export jobs this instance runs at once")
	fs.DurationVar(&e.lease, "export-lease", 30*time.Second, "an export job whose instance has not renewed its claim for this long is taken over by another")
	fs.Int64Var(&e.maxRate, "export-max-rate", 0, "bytes per second each export job writes at most (0: no bound)")
}

// service builds the export job service of "reapd serve".
func (e *exportFlags) service(store *blobstore.Store, cu *catchup.Server, log *slog.Logger) (*export.Service, error) {
	clip := cu.ClipExporter() // shares the catch-up server's index and clip plans
	allow, err := export.AllowDestinations(e.destinations)
	if err != nil {
		return nil, fmt.Errorf("--export-destination: %w", err)
	}
	return export.New(store, &export.Options{Logger: log.With("component", "export"), Workers: e.workers,
		Lease: e.lease, MaxRate: e.maxRate, Clip: clip, AllowDestination: allow}), nil
}
