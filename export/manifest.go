package export

import (
	"context"
	"fmt"
	"time"

	"github.com/reapd/reapd/blobstore"
	"github.com/reapd/reapd/smpd"
	"github.com/reapd/reapd/trackfile"
)

// Manifest is one manifest of a package.
type Manifest struct {
	Name string
	Data []byte
}

// Manifests returns the manifests of the plan's package in the format:
// for dash the static MPD (MPDName), for hls the multivariant playlist
// (MasterName) and one media playlist per track, for cmaf both. They are a
// deterministic function of the plan (and of the write-once I-MPD it
// names).
func Manifests(ctx context.Context, src *blobstore.Store, p *Plan, format string) ([]Manifest, error) {
	var out []Manifest
	if format == FormatDASH || format == FormatCMAF {
		m, err := vodMPD(ctx, src, p)
		if err != nil {
			return nil, err
		}
		out = append(out, Manifest{Name: MPDName, Data: m})
	}
	if format == FormatHLS || format == FormatCMAF {
		out = append(out, hlsPlaylists(p)...)
	}
	if out == nil {
		return nil, fmt.Errorf("%w: format %q: want dash, hls or cmaf", ErrBadRequest, format)
	}
	return out, nil
}

// vodMPD writes the package's MPD with smpd.VoDMPD (the recording S-MPD
// machinery): the files as runs, the AdaptationSets copied from the
// channel's I-MPD (with what dash-mpd does not model) when there is one.
func vodMPD(ctx context.Context, src *blobstore.Store, p *Plan) ([]byte, error) {
	var ingest *smpd.IngestMPD
	if p.IngestKey != "" {
		raw, err := src.Get(ctx, p.IngestKey)
		if err != nil {
			return nil, err
		}
		if ingest, err = smpd.ParseIngestMPD(raw); err != nil {
			ingest = nil // synthesize from the CMAF headers, as the archive S-MPD does
		}
	}
	runs := make([]trackfile.Run, len(p.Files))
	var start, end time.Time
	for i, f := range p.Files {
		runs[i] = f.Run
		r := &f.Run
		from, to := at(r.EPT, r.Info.Timescale), at(r.EPT+(r.EndTime()-r.Time), r.Info.Timescale)
		if i == 0 || from.Before(start) {
			start = from
		}
		if to.After(end) {
			end = to
		}
	}
	// The presentation is what the files hold: from the earliest first
	// frame to the latest end, whole segments (the window's cut).
	start, end = start.Truncate(time.Millisecond), end.Add(time.Millisecond-1).Truncate(time.Millisecond)
	return smpd.VoDMPD(smpd.RecordingInput{Channel: p.Channel, Ingest: ingest, Start: start, End: end, Runs: runs})
}
