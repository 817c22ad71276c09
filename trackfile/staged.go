package trackfile

import (
	"cmp"
	"path"
	"slices"
	"strings"
)

// The staged-segment model, shared by the archiver (which finalizes
// staged segments into track files) and by catch-up (which serves them
// until then), so that both read a track's live/ prefix the same way:
// the listing gives the copies and header-use markers, Segments picks one
// copy per start time and the header each uses.

// StagedCopy is one staged object of a track: a copy of a segment.
type StagedCopy struct {
	StagedName
	Key string
}

// HeaderMark is a header-use marker: segments from T on use Hash.
type HeaderMark struct {
	T    uint64
	Hash string
	Key  string
}

// StagedTrack is what a listing of one track's staged prefix holds.
type StagedTrack struct {
	Copies []StagedCopy // by T, then longest first, then real, slate, miss, then key
	Marks  []HeaderMark // by T
	Keys   []string     // every staged copy and marker key (what finalizing deletes)
}

// ParseStagedTrack reads a listing of a track's staged prefix. Keys that
// are neither a staged copy nor a marker (temporary files) are ignored.
func ParseStagedTrack(keys []string) *StagedTrack {
	st := &StagedTrack{}
	for _, key := range keys {
		base := path.Base(key)
		if t, hash, ok := ParseHeaderUseKey(base); ok {
			st.Marks = append(st.Marks, HeaderMark{T: t, Hash: hash, Key: key})
			st.Keys = append(st.Keys, key)
			continue
		}
		name, err := ParseStagedKey(base)
		if err != nil || strings.HasSuffix(base, ".tmp") {
			continue
		}
		st.Copies = append(st.Copies, StagedCopy{StagedName: name, Key: key})
		st.Keys = append(st.Keys, key)
	}
	slices.SortFunc(st.Copies, compareCopies)
	slices.SortFunc(st.Marks, func(a, b HeaderMark) int { return cmp.Or(cmp.Compare(a.T, b.T), cmp.Compare(a.Hash, b.Hash)) })
	return st
}

func variantRank(v string) int {
	switch v {
	case VariantReal:
		return 0
	case VariantSlate:
		return 1
	}
	return 2
}

// compareCopies orders copies by start time, then the one to archive
// first: real before slate before miss (design section 3), then the
// longest (a crash-cut fragment loses to the whole segment), then by key.
func compareCopies(a, b StagedCopy) int {
	return cmp.Or(cmp.Compare(a.T, b.T), cmp.Compare(variantRank(a.Variant), variantRank(b.Variant)),
		cmp.Compare(b.D, a.D), cmp.Compare(a.Key, b.Key))
}

// StagedSegment is the copy chosen for one start time, or a 'miss' marker
// when only 'miss' copies are staged for it.
type StagedSegment struct {
	T, D   uint64
	Key    string // the chosen copy
	Ext    string
	Slate  bool
	Miss   bool   // only a 'miss' segment: a recorded gap
	Header string // hash of the CMAF header in force
}

// End returns the time just after the segment.
func (s *StagedSegment) End() uint64 { return s.T + s.D }

// Segments picks one copy per start time (a real copy over a slate one,
// the longest of them; a start time with only 'miss' copies is a Miss
// entry) and the header each uses (HeaderAt), in start time order.
// prevHeader is the header in force before the first marker (the
// track's last run in a track file), "" if none.
func (st *StagedTrack) Segments(prevHeader string) []StagedSegment {
	out := make([]StagedSegment, 0, len(st.Copies))
	for i, c := range st.Copies {
		if i > 0 && st.Copies[i-1].T == c.T {
			continue // the first copy of a start time is the one to archive
		}
		out = append(out, StagedSegment{T: c.T, D: c.D, Key: c.Key, Ext: c.Ext, Slate: c.Variant == VariantSlate,
			Miss: c.Variant == VariantMiss, Header: st.HeaderAt(c.T, prevHeader)})
	}
	return out
}

// HeaderAt returns the hash of the header in force for a segment starting
// at t: the newest marker at or before t; else prevHeader; else the first
// marker (segments staged before the first marker of a resumed track).
func (st *StagedTrack) HeaderAt(t uint64, prevHeader string) string {
	h := prevHeader
	if h == "" && len(st.Marks) > 0 {
		h = st.Marks[0].Hash
	}
	for _, m := range st.Marks {
		if m.T > t {
			break
		}
		h = m.Hash
	}
	return h
}

// HeaderHash returns the content hash in a header key
// "{channel}/{track}/init-{hash}.{ext}".
func HeaderHash(key string) string {
	base := strings.TrimPrefix(path.Base(key), "init-")
	h, _, _ := strings.Cut(base, ".")
	return h
}
