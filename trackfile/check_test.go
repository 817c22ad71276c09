package trackfile

import (
	"bytes"
	"reflect"
	"strings"
	"testing"

	"github.com/Eyevinn/mp4ff/bits"
	"github.com/Eyevinn/mp4ff/mp4"
)

// summary renders findings as "clause/level" strings.
func summary(fs []Finding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Clause+"/"+f.Level)
	}
	return out
}

func TestCheckSegmentFixtures(t *testing.T) {
	g := Grid{D: Rational{2, 1}, N: 1800}
	for _, c := range []struct {
		ft   fixtureTrack
		want [][]string
	}{
		// ffmpeg numbers mfhd from 1 (f); its prft flags are 24 "captured" (k).
		{ldashVideo, [][]string{
			{"6.2 f/warning", "6.2 k/info"}, {"6.2 f/warning", "6.2 k/info"}, {"6.2 f/warning", "6.2 k/info"}}},
		// ffmpeg's audio segments are off the grid (AAC priming, own cuts).
		{ldashAudio, [][]string{
			{"6.2 a/error", "6.2 b/warning", "6.2 f/warning", "6.2 k/info"},
			{"6.2 a/error", "6.2 f/warning", "6.2 k/info"},
			{"6.2 a/error", "6.2 f/warning", "6.2 k/info"},
			{"6.2 a/error", "6.2 b/warning", "6.2 f/warning", "6.2 k/info"}}},
		// Without -ldash, ffmpeg writes no prft.
		{sidxVideo, [][]string{{"6.2 f/warning", "6.2 k/error"}, {"6.2 f/warning", "6.2 k/error"}}},
	} {
		h, raws := loadTrack(t, c.ft)
		for i, raw := range raws {
			seg, err := ParseSegment(raw, h)
			if err != nil {
				t.Fatal(err)
			}
			fs := CheckSegment(seg, h, g, 0)
			if got := summary(fs); !reflect.DeepEqual(got, c.want[i]) {
				t.Errorf("%s %d: findings %v, want %v\n%v", c.ft.name, i, got, c.want[i], fs)
			}
			for _, f := range fs {
				if f.Subject == "" || f.Message == "" {
					t.Errorf("empty finding %+v", f)
				}
			}
		}
	}
}

func TestCheckSegmentSTSAndNumbering(t *testing.T) {
	h, raws := loadTrack(t, ldashVideo)
	// An encoder without epoch times: tfdt starts at 0, the channel's STS
	// puts it on the epoch; mfhd numbering K = n+1 is then right too.
	norm, err := Normalize(raws[1], -epoch*12800)
	if err != nil {
		t.Fatal(err)
	}
	seg, _ := ParseSegment(norm, h)
	g := Grid{D: Rational{2, 1}, N: 1800}
	n := int64(epoch/2) + 1
	seg.SequenceNumber = uint32(n + 1)
	if fs := CheckSegment(seg, h, g, epoch*12800); !reflect.DeepEqual(summary(fs), []string{"6.2 k/info"}) {
		t.Errorf("aligned: %v", fs)
	}
	if fs := CheckSegment(seg, h, g, epoch*12800+12800); !reflect.DeepEqual(summary(fs)[:2], []string{"6.2 a/error", "6.2 f/warning"}) {
		t.Errorf("STS off by 1 s: %v", fs)
	}
	if fs := CheckSegment(seg, h, g, -1<<62); summary(fs)[0] != "6.2 a/error" {
		t.Errorf("negative epoch time: %v", fs)
	}
	// Without a grid or header only the grid-free checks run.
	if fs := CheckSegment(seg, nil, Grid{}, 0); !reflect.DeepEqual(summary(fs), []string{"6.2 k/info"}) {
		t.Errorf("no grid: %v", fs)
	}
}

func TestCheckSegmentBrands(t *testing.T) {
	h, raws := loadTrack(t, ldashAudio)
	g := Grid{D: Rational{2, 1}, N: 1800}
	for _, c := range []struct {
		brand string
		want  string
	}{{"lmsg", "6.2 e/info"}, {"slat", "6.2 d/info"}, {"miss", "6.2 d/info"}} {
		raw := append([]byte(nil), raws[3]...)
		copy(raw[20:24], c.brand) // second compatible brand of the styp
		seg, err := ParseSegment(raw, h)
		if err != nil || !seg.HasBrand(c.brand) {
			t.Fatalf("%s: %v %v", c.brand, err, seg.Brands)
		}
		got := summary(CheckSegment(seg, h, g, 0))
		if !contains(got, c.want) {
			t.Errorf("%s: %v lacks %s", c.brand, got, c.want)
		}
		// The short last segment is no 6.2 b finding when it is an lmsg.
		if contains(got, "6.2 b/warning") == (c.brand == "lmsg") {
			t.Errorf("%s: %v", c.brand, got)
		}
	}
}

func contains(s []string, x string) bool {
	for _, y := range s {
		if y == x {
			return true
		}
	}
	return false
}

// TestCheckHeader edits the ffmpeg header with mp4ff: an edit list, kind
// and elng boxes, no CMAF brand.
func TestCheckHeader(t *testing.T) {
	f, err := mp4.DecodeFileSR(bits.NewFixedSliceReader(load(t, ldashAudio.init)))
	if err != nil {
		t.Fatal(err)
	}
	trak := f.Init.Moov.Trak
	edts := &mp4.EdtsBox{}
	edts.AddChild(&mp4.ElstBox{Entries: []mp4.ElstEntry{{SegmentDuration: 0, MediaTime: 1024, MediaRateInteger: 1}}})
	trak.AddChild(edts)
	udta := &mp4.UdtaBox{}
	udta.AddChild(&mp4.KindBox{SchemeURI: "urn:mpeg:dash:role:2011", Value: "commentary"})
	trak.AddChild(udta)
	trak.Mdia.AddChild(mp4.CreateElng("sv-SE"))
	trak.Mdia.Mdhd.SetLanguage("swe")
	f.Init.Ftyp = mp4.NewFtyp("iso6", 0, []string{"iso6", "dash"})
	f.Init.Children[0] = f.Init.Ftyp
	var buf bytes.Buffer
	if err := f.Init.Encode(&buf); err != nil {
		t.Fatal(err)
	}
	h, err := ParseHeader(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	in := h.Info
	if !in.EditList || in.Language != "sv-SE" || !reflect.DeepEqual(in.Roles, []string{"urn:mpeg:dash:role:2011 commentary"}) ||
		!reflect.DeepEqual(in.Brands, []string{"iso6", "dash"}) {
		t.Errorf("info %+v", in)
	}
	fs := CheckHeader(h)
	if !reflect.DeepEqual(summary(fs), []string{"6.2 g/error", "6.2/warning"}) || !strings.Contains(fs[0].Subject, h.Hash) {
		t.Errorf("findings %v", fs)
	}
	// Without elng the mdhd language counts.
	trak.Mdia.Elng = nil
	var kids []mp4.Box
	for _, c := range trak.Mdia.Children {
		if c.Type() != "elng" {
			kids = append(kids, c)
		}
	}
	trak.Mdia.Children = kids
	buf.Reset()
	if err := f.Init.Encode(&buf); err != nil {
		t.Fatal(err)
	}
	if h, err := ParseHeader(buf.Bytes()); err != nil || h.Info.Language != "swe" {
		t.Errorf("mdhd language: %v %q", err, h.Info.Language)
	}
}
