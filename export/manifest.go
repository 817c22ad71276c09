package export

import (
	"context"
	"fmt"

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

// vodMPD writes the package's MPD with smpd.VoDMPD: the files as runs, the
// AdaptationSets copied from the channel's I-MPD when there is one.
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
	for i, f := range p.Files {
		runs[i] = f.Run
	}
	return smpd.VoDMPD(smpd.ArchiveInput{Channel: p.Channel, Ingest: ingest, Runs: runs})
}
