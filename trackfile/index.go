package trackfile

import (
	"encoding/json"
	"fmt"
)

// PeriodIndex is the index object of a storage period (stored as JSON under
// IndexKey): every storage track file run of every track of the channel in
// period k, with enough detail that catch-up can build manifests and serve
// byte ranges without reading any track file head.
type PeriodIndex struct {
	Version         int      `json:"version"` // 1
	Channel         string   `json:"channel"`
	Period          int64    `json:"period"`          // k
	SegmentDuration Rational `json:"segmentDuration"` // D
	PeriodSegments  int64    `json:"periodSegments"`  // N
	STS             Rational `json:"sts"`             // seconds added to input times (Num may be negative)
	Phase           Rational `json:"phase,omitempty"` // grid phase in seconds (zero on the REaP grid)
	Runs            []Run    `json:"runs"`
}

// End reasons of a Run: why the run stops where it does.
const (
	EndComplete = "complete"   // the run reaches the end of the period
	EndGap      = "gap"        // the next segment was never received
	EndMiss     = "miss"       // the next segment was a 'miss' segment
	EndHeader   = "header"     // the next segment uses a different CMAF header
	EndLast     = "lmsg"       // the run ends with an 'lmsg' segment
	EndPartial  = "period-end" // finalized at the grace deadline with segments missing after it
)

// Run is one storage track file: a run of segments of one track that is
// contiguous in time (each starts where the one before it ends), stored
// after its CMAF header and one sidx. FirstN and EndN are the grid slots
// of its start and of its end: they order runs across tracks and name
// parts, but a run may hold more or fewer segments than EndN − FirstN
// (split, short or alternating segments).
type Run struct {
	Track      string    `json:"track"`
	Key        string    `json:"key"`       // storage track file key
	HeaderKey  string    `json:"headerKey"` // key of the CMAF header object
	Info       TrackInfo `json:"info"`
	FirstN     int64     `json:"firstN"`
	EndN       int64     `json:"endN,omitempty"`  // slot of EndTime; FirstN + Count in indexes written before it existed
	InitRange  ByteRange `json:"initRange"`       // ftyp+moov in the track file
	IndexRange ByteRange `json:"indexRange"`      // the sidx
	Time       uint64    `json:"time"`            // tfdt of the first segment, epoch timeline, Info.Timescale
	EPT        uint64    `json:"ept"`             // sidx earliest_presentation_time
	Size       int64     `json:"size"`            // file size
	Sizes      []int64   `json:"sizes"`           // normalized segment sizes, in order
	Durations  []Repeat  `json:"durations"`       // segment durations, run-length encoded
	NoSAP      []int     `json:"noSap,omitempty"` // positions of segments not starting with a SAP
	End        string    `json:"end"`             // one of the End* reasons
	Late       bool      `json:"late,omitempty"`  // written after its period was first finalized
}

// Repeat is a run-length encoded duration: D repeated R+1 times (as in a
// DASH SegmentTimeline S element).
type Repeat struct {
	D uint64 `json:"d"`
	R int    `json:"r,omitempty"`
}

// SegmentRef locates one segment of a Run in its storage track file.
type SegmentRef struct {
	Time     uint64 // epoch timeline, track timescale
	Duration uint64
	Offset   int64
	Size     int64
	SAP      bool
}

// Count returns the number of segments in the run.
func (r *Run) Count() int { return len(r.Sizes) }

// EndSlot returns the grid slot just after the run (EndN, or FirstN +
// Count for an index written before EndN existed).
func (r *Run) EndSlot() int64 {
	if r.EndN > r.FirstN {
		return r.EndN
	}
	return r.FirstN + int64(r.Count())
}

// EndTime returns the time just after the last segment.
func (r *Run) EndTime() uint64 {
	t := r.Time
	for _, d := range r.Durations {
		t += d.D * uint64(d.R+1)
	}
	return t
}

// Segments expands the run into one SegmentRef per segment.
func (r *Run) Segments() []SegmentRef {
	refs := make([]SegmentRef, 0, len(r.Sizes))
	off, t, i := r.IndexRange.End, r.Time, 0
	noSAP := make(map[int]bool, len(r.NoSAP))
	for _, p := range r.NoSAP {
		noSAP[p] = true
	}
	for _, d := range r.Durations {
		for j := 0; j <= d.R && i < len(r.Sizes); j++ {
			refs = append(refs, SegmentRef{Time: t, Duration: d.D,
				Offset: off, Size: r.Sizes[i], SAP: !noSAP[i]})
			off += r.Sizes[i]
			t += d.D
			i++
		}
	}
	return refs
}

// NewRun fills the segment fields of a Run from the per-segment infos (in
// order, contiguous in time) and the layout of the file head; EndN is the
// slot of the last segment plus one until the caller sets it from the grid.
func NewRun(track string, info TrackInfo, segs []SegmentInfo, head HeadLayout) Run {
	r := Run{Track: track, Info: info, InitRange: head.Init, IndexRange: head.Index}
	if len(segs) == 0 {
		return r
	}
	r.FirstN, r.Time, r.EPT = segs[0].N, segs[0].Time, segs[0].EPT
	r.EndN = segs[len(segs)-1].N + 1
	r.Size = head.Index.End
	for i, s := range segs {
		r.Sizes = append(r.Sizes, s.Size)
		r.Size += s.Size
		if n := len(r.Durations); n > 0 && r.Durations[n-1].D == s.Duration {
			r.Durations[n-1].R++
		} else {
			r.Durations = append(r.Durations, Repeat{D: s.Duration})
		}
		if !s.StartsWithSAP {
			r.NoSAP = append(r.NoSAP, i)
		}
	}
	return r
}

// MarshalIndex encodes a period index deterministically (same input, same
// bytes: redundant archivers write identical index objects).
func MarshalIndex(p *PeriodIndex) ([]byte, error) {
	if p.Version == 0 {
		p.Version = 1
	}
	return json.Marshal(p)
}

// UnmarshalIndex decodes and sanity-checks a period index.
func UnmarshalIndex(b []byte) (*PeriodIndex, error) {
	var p PeriodIndex
	if err := json.Unmarshal(b, &p); err != nil {
		return nil, fmt.Errorf("%w: period index: %v", ErrMalformed, err)
	}
	if p.Version != 1 {
		return nil, fmt.Errorf("%w: period index version %d", ErrMalformed, p.Version)
	}
	for i := range p.Runs {
		if p.Runs[i].Info.Timescale == 0 {
			return nil, fmt.Errorf("%w: period index run %d has no timescale", ErrMalformed, i)
		}
	}
	return &p, nil
}

// HeadLayout is where the CMAF header and the sidx lie at the start of a
// storage track file; the first segment starts at Index.End.
type HeadLayout struct {
	Init  ByteRange
	Index ByteRange
}
