package trackfile

import "errors"

// Error categories of the parsers. Callers map them to HTTP statuses with
// errors.Is: ErrMalformed → 400, ErrTooLarge → 413, ErrNotISOBMFF → 415.
var (
	ErrMalformed  = errors.New("trackfile: malformed ISOBMFF")
	ErrTooLarge   = errors.New("trackfile: box too large")
	ErrNotISOBMFF = errors.New("trackfile: not ISOBMFF/CMAF")
)

// TrackInfo describes a CMAF track as read from its CMAF header (ftyp+moov):
// what an S-MPD or catch-up manifest needs to describe it.
type TrackInfo struct {
	TrackID    uint32   `json:"trackId"`
	Handler    string   `json:"handler"`             // vide, soun, text, subt, meta
	Ext        string   `json:"ext"`                 // cmfv, cmfa, cmft, cmfm
	Timescale  uint32   `json:"timescale"`           // mdhd timescale
	Codecs     string   `json:"codecs"`              // RFC 6381, e.g. avc1.64001f, mp4a.40.2
	Bandwidth  uint32   `json:"bandwidth,omitempty"` // from btrt (avg, else max), 0 if absent
	Width      uint32   `json:"width,omitempty"`
	Height     uint32   `json:"height,omitempty"`
	SampleRate uint32   `json:"sampleRate,omitempty"`
	Channels   uint16   `json:"channels,omitempty"`
	Language   string   `json:"lang,omitempty"`     // elng, else mdhd language; "" for und
	Roles      []string `json:"roles,omitempty"`    // from kind boxes "schemeURI value"
	Brands     []string `json:"brands,omitempty"`   // ftyp major + compatible
	EditList   bool     `json:"editList,omitempty"` // true if an elst is present (REaP 6.2 g forbids it)
}

// Header is a parsed CMAF header: ftyp + moov (ISO/IEC 23000-19 7.3.2).
type Header struct {
	Raw  []byte
	Hash string // first 12 hex digits of sha256(Raw): the content address
	Info TrackInfo
	// Default sample duration/flags from trex, used to parse fragments.
	DefaultSampleDuration uint32
	DefaultSampleFlags    uint32
	DefaultSampleSize     uint32 // trex default_sample_size, to check sample data bounds
}

// Segment is a parsed CMAF segment or chunk sequence: optional styp, prft,
// emsg and sidx boxes followed by one or more moof+mdat pairs
// (ISO/IEC 23000-19 7.3.3, REaP clause 6.2).
type Segment struct {
	Raw            []byte   // as received (ParseSegmentHead: the head only)
	TrackID        uint32   // tfhd track_ID of the first fragment
	BaseDecodeTime uint64   // tfdt of the first fragment, as received
	EPT            uint64   // earliest presentation time (min dts+cto), as received
	Duration       uint64   // sum of all sample durations
	Samples        int      // number of samples
	Fragments      int      // number of moof boxes
	FirstSampleDur uint32   // duration of the first sample
	SequenceNumber uint32   // mfhd sequence number of the first fragment
	Brands         []string // styp major + compatible brands (nil without styp)
	HasPrft        bool     // at least one prft box
	StartsWithSAP  bool     // first sample is a sync sample
	SAPType        uint8    // 1 or 2 when StartsWithSAP, else 0

	size int64 // of the whole segment: len(Raw), or more for a head
}

// HasBrand reports whether the segment's styp carries brand b ("lmsg",
// "slat", "miss").
func (s *Segment) HasBrand(b string) bool {
	for _, x := range s.Brands {
		if x == b {
			return true
		}
	}
	return false
}

// SegmentInfo is what a storage track file's sidx and the period index
// record of one segment, after normalization (see Normalize).
type SegmentInfo struct {
	N             int64  // grid slot of the segment's start (names and orders; not its identity)
	Time          uint64 // tfdt on the epoch timeline
	EPT           uint64 // earliest presentation time on the epoch timeline
	Duration      uint64
	Size          int64 // size of the normalized segment bytes
	StartsWithSAP bool
	SAPType       uint8
}

// ByteRange is a half-open byte range [Start, End).
type ByteRange struct {
	Start int64 `json:"start"`
	End   int64 `json:"end"`
}

// Finding is one conformance finding of a validation against REaP clauses
// 6.1 (I-MPD) and 6.2 (segments).
type Finding struct {
	Clause  string `json:"clause"`  // e.g. "6.1 b", "6.2 f"
	Level   string `json:"level"`   // "error" (shall), "warning" (should) or "info"
	Subject string `json:"subject"` // what was checked: a file, track or segment
	Message string `json:"message"`
}
