package trackfile

import (
	"errors"
	"reflect"
	"testing"
)

func TestParseCases(t *testing.T) {
	for _, c := range inputCases(t) {
		t.Run(c.name, func(t *testing.T) {
			var err error
			if c.header {
				_, err = ParseHeader(c.in)
			} else {
				_, err = ParseSegment(c.in, nil)
			}
			if !errors.Is(err, c.parse) || (c.parse == nil) != (err == nil) {
				t.Fatalf("err = %v, want %v", err, c.parse)
			}
		})
	}
}

func TestParseHeaderFixtures(t *testing.T) {
	brands := []string{"iso6", "cmfc", "mp41"}
	for _, c := range []struct {
		file string
		want TrackInfo
	}{
		{ldashVideo.init, TrackInfo{TrackID: 1, Handler: "vide", Ext: "cmfv", Timescale: 12800,
			Codecs: "avc1.64000C", Bandwidth: 100000, Width: 320, Height: 180, Brands: brands}},
		{ldashAudio.init, TrackInfo{TrackID: 1, Handler: "soun", Ext: "cmfa", Timescale: 48000,
			Codecs: "mp4a.40.2", Bandwidth: 64000, SampleRate: 48000, Channels: 1, Brands: brands}},
		{streamsFile, TrackInfo{TrackID: 1, Handler: "vide", Ext: "cmfv", Timescale: 12800,
			Codecs: "avc1.64000C", Bandwidth: 100000, Width: 320, Height: 180, Brands: brands}},
	} {
		raw := load(t, c.file)
		if c.file == streamsFile {
			raw = raw[:boxSize(raw, 0)+boxSize(raw, boxSize(raw, 0))] // ftyp+moov
		}
		h, err := ParseHeader(raw)
		if err != nil {
			t.Fatalf("%s: %v", c.file, err)
		}
		if !reflect.DeepEqual(h.Info, c.want) {
			t.Errorf("%s: info\n got %+v\nwant %+v", c.file, h.Info, c.want)
		}
		if h.Hash != HashHeader(raw) || len(h.Hash) != 12 {
			t.Errorf("%s: hash %q", c.file, h.Hash)
		}
		if h.DefaultSampleDuration != 0 || h.DefaultSampleFlags != 0 {
			t.Errorf("%s: trex defaults %d %x; ffmpeg writes 0", c.file, h.DefaultSampleDuration, h.DefaultSampleFlags)
		}
		if f := CheckHeader(h); len(f) != 0 {
			t.Errorf("%s: findings %v", c.file, f)
		}
	}
	// ffmpeg writes the same CMAF header for the same encoding in both DASH
	// modes: one content address.
	a, _ := ParseHeader(load(t, ldashVideo.init))
	b, _ := ParseHeader(load(t, sidxVideo.init))
	if a.Hash != b.Hash {
		t.Errorf("same header, hashes %s and %s", a.Hash, b.Hash)
	}
}

func TestParseSegmentFixtures(t *testing.T) {
	const vt, at = epoch * 12800, epoch * 48000
	type want struct {
		tfdt, dur      uint64
		samples, frags int
		seq            uint32
		prft           bool
	}
	for _, c := range []struct {
		ft    fixtureTrack
		first uint32
		segs  []want
	}{
		{ldashVideo, 512, []want{
			{vt, 25600, 50, 4, 1, true}, {vt + 25600, 25600, 50, 4, 5, true}, {vt + 51200, 25600, 50, 4, 9, true}}},
		// AAC priming: audio starts 1024 ticks before the epoch second, and
		// ffmpeg cuts audio segments on its own boundaries (1.92 s, 3.925 s,
		// 5.93 s), leaving a tiny fourth segment.
		{ldashAudio, 1024, []want{
			{at - 1024, 93184, 91, 4, 1, true}, {at + 92160, 96256, 94, 4, 5, true},
			{at + 188416, 96256, 94, 4, 9, true}, {at + 284672, 3328, 4, 1, 13, true}}},
		{sidxVideo, 512, []want{{vt, 25600, 50, 1, 1, false}, {vt + 25600, 25600, 50, 1, 2, false}}},
	} {
		h, raws := loadTrack(t, c.ft)
		for i, raw := range raws {
			seg, err := ParseSegment(raw, h)
			if err != nil {
				t.Fatalf("%s %d: %v", c.ft.name, i, err)
			}
			w := c.segs[i]
			got := want{seg.BaseDecodeTime, seg.Duration, seg.Samples, seg.Fragments, seg.SequenceNumber, seg.HasPrft}
			if got != w {
				t.Errorf("%s %d:\n got %+v\nwant %+v", c.ft.name, i, got, w)
			}
			// The B-frames of the video are coded with negative composition
			// offsets (trun v1) so that EPT = tfdt; audio has no offsets.
			if seg.EPT != seg.BaseDecodeTime || !seg.StartsWithSAP || seg.SAPType != 1 ||
				seg.FirstSampleDur != c.first || seg.TrackID != 1 {
				t.Errorf("%s %d: EPT %d SAP %v/%d first %d track %d", c.ft.name, i, seg.EPT,
					seg.StartsWithSAP, seg.SAPType, seg.FirstSampleDur, seg.TrackID)
			}
			if !reflect.DeepEqual(seg.Brands, []string{"msdh", "msix"}) || seg.HasBrand("lmsg") || !seg.HasBrand("msix") {
				t.Errorf("%s %d: brands %v", c.ft.name, i, seg.Brands)
			}
			// Without the header the tfhd defaults (ffmpeg always writes
			// them) give the same result.
			seg2, err := ParseSegment(raw, nil)
			if err != nil || seg2.Duration != seg.Duration || seg2.EPT != seg.EPT {
				t.Errorf("%s %d: without header: %v %+v", c.ft.name, i, err, seg2)
			}
		}
	}
}

func TestParseSegmentTrackMismatch(t *testing.T) {
	h, raws := loadTrack(t, ldashVideo)
	h2 := *h
	h2.Info.TrackID = 2
	if _, err := ParseSegment(raws[0], &h2); !errors.Is(err, ErrMalformed) {
		t.Fatalf("err = %v, want ErrMalformed", err)
	}
}

func TestParseSegmentTrailingMfra(t *testing.T) {
	// ffmpeg ends a plain fragmented MP4 with mfra: the last chunk of a
	// Streams() body may arrive with it.
	raw := load(t, streamsFile)
	init := boxSize(raw, 0) + boxSize(raw, boxSize(raw, 0))
	h, err := ParseHeader(raw[:init])
	if err != nil {
		t.Fatal(err)
	}
	seg, err := ParseSegment(raw[init:], h)
	if err != nil {
		t.Fatal(err)
	}
	if seg.Fragments != 2 || seg.Duration != 51200 || seg.Samples != 100 || !seg.HasPrft {
		t.Errorf("segment %+v", seg)
	}
	// mfra anywhere but last is malformed.
	n := len(raw)
	mfra := raw[n-86:]
	if string(mfra[4:8]) != "mfra" {
		t.Fatalf("fixture does not end with an 86-byte mfra")
	}
	if _, err := ParseSegment(cat(mfra, raw[init:n-86]), h); !errors.Is(err, ErrMalformed) {
		t.Errorf("leading mfra: err = %v", err)
	}
}
