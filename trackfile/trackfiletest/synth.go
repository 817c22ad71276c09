// Package trackfiletest makes small synthetic CMAF headers and segments with
// mp4ff, for tests of the packages that ingest, store and serve them.
package trackfiletest

import (
	"bytes"
	"encoding/binary"

	"github.com/Eyevinn/mp4ff/aac"
	"github.com/Eyevinn/mp4ff/mp4"
)

// Track describes a synthetic AAC audio track: SamplesPerSegment samples of
// SampleDur ticks at Timescale per segment.
type Track struct {
	ID                uint32
	Timescale         uint32
	SampleDur         uint32
	SamplesPerSegment int
	SampleSize        int
	// NoCMAFBrand writes an ftyp without CMAF brands (as livesim2 does);
	// EditList adds an edit list to the track (REaP forbids one).
	NoCMAFBrand, EditList bool
}

// Default is a 48 kHz track with 2 s segments of 100 samples of 960 ticks.
var Default = Track{ID: 1, Timescale: 48000, SampleDur: 960, SamplesPerSegment: 100, SampleSize: 64}

// SegmentTicks returns the duration of one segment in ticks.
func (t Track) SegmentTicks() uint64 { return uint64(t.SampleDur) * uint64(t.SamplesPerSegment) }

// Header returns a CMAF header (ftyp+moov) for the track.
func (t Track) Header() []byte {
	init := mp4.CreateEmptyInit()
	init.Ftyp = mp4.NewFtyp("cmf2", 0, []string{"cmfc", "iso6", "cmf2"})
	if t.NoCMAFBrand {
		init.Ftyp = mp4.NewFtyp("iso6", 0, []string{"iso6", "dash"})
	}
	init.Children[0] = init.Ftyp
	trak := init.AddEmptyTrack(t.Timescale, "audio", "en")
	trak.Tkhd.TrackID = t.ID
	init.Moov.Mvex.Trex.TrackID = t.ID
	if err := trak.SetAACDescriptor(aac.AAClc, int(t.Timescale)); err != nil {
		panic(err)
	}
	if t.EditList {
		elst := &mp4.ElstBox{Entries: []mp4.ElstEntry{{SegmentDuration: 0, MediaTime: int64(t.SampleDur), MediaRateInteger: 1}}}
		trak.AddChild(&mp4.EdtsBox{Elst: []*mp4.ElstBox{elst}, Children: []mp4.Box{elst}})
	}
	var b bytes.Buffer
	if err := init.Encode(&b); err != nil {
		panic(err)
	}
	return b.Bytes()
}

// Segment returns a media segment starting at tfdt with the given mfhd
// sequence number; brands, when given, go into a leading styp box (the
// first is the major brand). Sample bytes encode tfdt and the sample
// number, so different segments never have identical payloads.
func (t Track) Segment(tfdt uint64, seq uint32, brands ...string) []byte {
	var b bytes.Buffer
	if len(brands) > 0 {
		if err := mp4.NewStyp(brands[0], 0, brands).Encode(&b); err != nil {
			panic(err)
		}
	}
	f, err := mp4.CreateFragment(seq, t.ID)
	if err != nil {
		panic(err)
	}
	for i := 0; i < t.SamplesPerSegment; i++ {
		data := make([]byte, t.SampleSize)
		binary.BigEndian.PutUint64(data, tfdt)
		binary.BigEndian.PutUint32(data[8:], uint32(i))
		f.AddFullSample(mp4.FullSample{
			Sample:     mp4.Sample{Flags: mp4.SyncSampleFlags, Dur: t.SampleDur, Size: uint32(len(data))},
			DecodeTime: tfdt + uint64(i)*uint64(t.SampleDur),
			Data:       data,
		})
	}
	if err := f.Encode(&b); err != nil {
		panic(err)
	}
	return b.Bytes()
}
