package catchup

import (
	"context"
	"io"
	"time"
)

// ClipExporter gives export jobs (format mp4) the clips of a Server with
// plain arguments: ClipSize plans a clip (and keeps the plan a minute, as
// clip.mp4 does), WriteClip writes it, planning again only when the plan
// is gone. The same arguments give the same bytes as long as the archive
// holds the same media. Get one with [Server.ClipExporter].
type ClipExporter struct{ s *Server }

// ClipExporter returns the Server's clips for export jobs.
func (s *Server) ClipExporter() ClipExporter { return ClipExporter{s: s} }

// ClipSize returns the size of the clip of channel over [start, end) with
// tracks (none: the default tracks).
func (e ClipExporter) ClipSize(ctx context.Context, channel string, start, end time.Time, tracks []string) (int64, error) {
	p, err := e.plan(ctx, channel, start, end, tracks)
	if err != nil {
		return 0, err
	}
	return p.Size(), nil
}

// WriteClip writes the clip of channel over [start, end) with tracks to w
// and returns the bytes written.
func (e ClipExporter) WriteClip(ctx context.Context, w io.Writer, channel string, start, end time.Time, tracks []string) (int64, error) {
	p, err := e.plan(ctx, channel, start, end, tracks)
	if err != nil {
		return 0, err
	}
	return p.WriteTo(ctx, w)
}

func (e ClipExporter) plan(ctx context.Context, channel string, start, end time.Time, tracks []string) (*ClipPlan, error) {
	req := ClipRequest{Start: start.UTC().Truncate(time.Millisecond), End: end.UTC().Truncate(time.Millisecond), Tracks: tracks}
	return e.s.clips.get(ctx, clipKey(channel, req), e.s.opts.Now(), func() (*ClipPlan, error) {
		return e.s.PlanClip(ctx, channel, req)
	})
}
