package smpd

import (
	"errors"
	"time"

	"github.com/Eyevinn/dash-mpd/mpd"
	"github.com/reapd/reapd/trackfile"
)

// TODO(helper-smpd): replace every stub in this file with the real
// implementation, in files of its own, and delete this file.

// ErrNotMPD is returned for bodies that are not an MPD document.
var ErrNotMPD = errors.New("smpd: not an MPD")

// IngestTrack is one Representation of an I-MPD, with its naming templates
// resolved for its Representation@id.
type IngestTrack struct {
	ID              string // Representation@id: the track name (REaP 5.3 NOTE 3)
	AdaptationSetID string
	ContentType     string // video, audio, text, ...
	MimeType        string
	Codecs          string
	Bandwidth       uint32
	Width, Height   uint32
	Lang            string
	Roles           []string
	Init            string // SegmentTemplate@initialization with $RepresentationID$ (and $Bandwidth$) substituted
	Media           string // SegmentTemplate@media with $RepresentationID$ (and $Bandwidth$) substituted
	Timescale       uint32
	Duration        uint64 // SegmentTemplate@duration (0 if absent)
	StartNumber     uint64
}

// IngestMPD is a parsed ingest MPD (REaP clause 6.1). Raw keeps the bytes:
// dash-mpd drops elements it does not know.
type IngestMPD struct {
	Raw                   []byte
	MPD                   *mpd.MPD
	Tracks                []IngestTrack
	SegmentDuration       trackfile.Rational // zero when neither @duration nor SegmentTimeline gives it
	AvailabilityStartTime time.Time          // zero if absent
}

// ParseIngestMPD parses an I-MPD: ffmpeg's form (SegmentTemplate in
// Representation, $Number%05d$) as well as the clause 6.1 form.
func ParseIngestMPD(raw []byte) (*IngestMPD, error) { return nil, ErrNotMPD }

// Check returns the clause 6.1 findings of an I-MPD.
func (m *IngestMPD) Check() []trackfile.Finding { return nil }

// PathMatch is what a request path names, according to the I-MPD templates.
type PathMatch struct {
	Track              string
	Init               bool
	Number             uint64 // $Number$ value, when HasNumber
	Time               uint64 // $Time$ value, when HasTime
	HasNumber, HasTime bool
}

// Match resolves a path relative to the channel's ingest root (for example
// "chunk-stream0-00012.m4s") against the tracks' templates.
func (m *IngestMPD) Match(rel string) (PathMatch, bool) { return PathMatch{}, false }

// ArchiveInput is what the 24x7 archive S-MPD is made from.
type ArchiveInput struct {
	Channel string
	Ingest  *IngestMPD      // latest I-MPD; nil: synthesize from the CMAF headers
	Runs    []trackfile.Run // every storage track file run, any order
}

// ArchiveMPD writes the 24x7 archive S-MPD (design section 5). BaseURLs are
// relative to the S-MPD's own key ({channel}/archive.mpd).
func ArchiveMPD(in ArchiveInput) ([]byte, error) { return nil, errors.New("smpd: not implemented") }
