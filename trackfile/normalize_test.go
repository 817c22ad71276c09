package trackfile

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"math"
	"testing"

	"github.com/Eyevinn/mp4ff/bits"
	"github.com/Eyevinn/mp4ff/mp4"
)

// withoutBoxes returns raw without its top-level boxes of the given types,
// computed independently of Normalize (with a BoxReader).
func withoutBoxes(t *testing.T, raw []byte, types ...string) []byte {
	t.Helper()
	br := NewBoxReader(bytes.NewReader(raw), 0)
	var out []byte
	for {
		b, err := br.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		drop := false
		for _, x := range types {
			drop = drop || b.Type == x
		}
		if !drop {
			out = append(out, b.Raw...)
		}
	}
}

func TestNormalizeZeroOffset(t *testing.T) {
	for _, ft := range fixtureTracks {
		_, raws := loadTrack(t, ft)
		for i, raw := range raws {
			got, err := Normalize(raw, 0)
			if err != nil {
				t.Fatalf("%s %d: %v", ft.name, i, err)
			}
			want := withoutBoxes(t, raw, "sidx")
			if !bytes.Equal(got, want) {
				t.Fatalf("%s %d: normalized bytes differ from the input minus sidx", ft.name, i)
			}
			if ft.name == sidxVideo.name && len(got) != len(raw)-52 {
				t.Errorf("%s %d: %d bytes, want input minus a 52-byte sidx", ft.name, i, len(got))
			}
		}
	}
}

// fullSamples decodes a (normalized) segment with mp4ff, independently of
// this package, and returns its samples and prft media times.
func fullSamples(t *testing.T, init, seg []byte) ([]mp4.FullSample, []uint64) {
	t.Helper()
	fi, err := mp4.DecodeFileSR(bits.NewFixedSliceReader(init))
	if err != nil {
		t.Fatal(err)
	}
	trex := fi.Init.Moov.Mvex.Trex
	f, err := mp4.DecodeFileSR(bits.NewFixedSliceReader(seg))
	if err != nil {
		t.Fatalf("mp4ff cannot decode: %v", err)
	}
	var out []mp4.FullSample
	var prft []uint64
	for _, s := range f.Segments {
		for _, fr := range s.Fragments {
			fs, err := fr.GetFullSamples(trex)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, fs...)
		}
	}
	for _, c := range f.Children {
		if p, ok := c.(*mp4.PrftBox); ok {
			prft = append(prft, p.MediaTime)
		}
	}
	return out, prft
}

func TestNormalizeOffset(t *testing.T) {
	for _, ft := range fixtureTracks {
		h, raws := loadTrack(t, ft)
		ts := int64(h.Info.Timescale)
		for _, offset := range []int64{-epoch * ts, 3600 * ts, -1024, 1} {
			for i, raw := range raws {
				in, err := ParseSegment(raw, h)
				if err != nil {
					t.Fatal(err)
				}
				if int64(in.BaseDecodeTime)+offset < 0 {
					continue // the audio priming starts before the epoch second
				}
				norm, err := Normalize(raw, offset)
				if err != nil {
					t.Fatalf("%s %d offset %d: %v", ft.name, i, offset, err)
				}
				out, err := ParseSegment(norm, h)
				if err != nil {
					t.Fatalf("%s %d offset %d: re-parse: %v", ft.name, i, offset, err)
				}
				if out.BaseDecodeTime != uint64(int64(in.BaseDecodeTime)+offset) || out.EPT != uint64(int64(in.EPT)+offset) ||
					out.Duration != in.Duration || out.Samples != in.Samples || out.Fragments != in.Fragments {
					t.Errorf("%s %d offset %d: in %+v out %+v", ft.name, i, offset, in, out)
				}
				a, pa := fullSamples(t, h.Raw, withoutBoxes(t, raw, "sidx"))
				b, pb := fullSamples(t, h.Raw, norm)
				if len(a) != len(b) || len(pa) != len(pb) {
					t.Fatalf("%s %d: %d/%d samples, %d/%d prft", ft.name, i, len(a), len(b), len(pa), len(pb))
				}
				for j := range a {
					if b[j].DecodeTime != uint64(int64(a[j].DecodeTime)+offset) || b[j].Sample != a[j].Sample || !bytes.Equal(a[j].Data, b[j].Data) {
						t.Fatalf("%s %d sample %d differs after normalization", ft.name, i, j)
					}
				}
				for j := range pa {
					if pb[j] != uint64(int64(pa[j])+offset) {
						t.Errorf("%s %d: prft media time %d, want %d", ft.name, i, pb[j], int64(pa[j])+offset)
					}
				}
			}
		}
	}
}

func TestNormalizeRange(t *testing.T) {
	_, raws := loadTrack(t, ldashVideo)
	if _, err := Normalize(raws[0], -epoch*12800-1); !errors.Is(err, ErrRange) {
		t.Errorf("below zero: err = %v", err)
	}
	if _, err := Normalize(raws[0], -epoch*12800); err != nil {
		t.Errorf("exactly zero: err = %v", err)
	}
	seg := synthSegment(t, math.MaxUint64-10, false)
	if _, err := Normalize(seg, 11); !errors.Is(err, ErrRange) {
		t.Errorf("overflow: err = %v", err)
	}
}

// Synthetic fragments exercise what ffmpeg never writes: version 0 tfdt
// that must grow to version 1, saio offsets into the moof, several trafs.

func u32(v uint32) []byte { return binary.BigEndian.AppendUint32(nil, v) }
func u64(v uint64) []byte { return binary.BigEndian.AppendUint64(nil, v) }

func mkbox(typ string, parts ...[]byte) []byte {
	body := cat(parts...)
	return cat(u32(uint32(8+len(body))), []byte(typ), body)
}

func mkfull(typ string, v byte, flags uint32, parts ...[]byte) []byte {
	return mkbox(typ, append([]byte{v, byte(flags >> 16), byte(flags >> 8), byte(flags)}, cat(parts...)...))
}

// synthTraf builds a traf of track id with a tfdt (v0 when it fits),
// a trun of 3 samples (sizes 3, 4, 5, default duration 1000) whose
// data_offset is set by the caller, a free box holding "MARK", and a saio
// whose single offset points at "MARK" (moof-relative, set by the caller).
func synthTraf(id uint32, tfdt uint64, tfhdFlags uint32) []byte {
	tfdtBox := mkfull("tfdt", 1, 0, u64(tfdt))
	if tfdt <= math.MaxUint32 {
		tfdtBox = mkfull("tfdt", 0, 0, u32(uint32(tfdt)))
	}
	return mkbox("traf",
		mkfull("tfhd", 0, tfhdFlags|0x08|0x20, u32(id), u32(1000), u32(0x02000000)),
		tfdtBox,
		mkfull("trun", 0, 0x201, u32(3), u32(0), u32(3), u32(4), u32(5)),
		mkbox("free", []byte("MARK")),
		mkfull("saio", 0, 0, u32(1), u32(0)),
	)
}

// synthMoof assembles a moof of the given trafs followed by an mdat with
// the samples of every traf in order, and fixes the trun data offsets and
// saio offsets.
func synthMoof(t testing.TB, trafs ...[]byte) []byte {
	t.Helper()
	moof := mkbox("moof", cat(mkfull("mfhd", 0, 0, u32(7)), cat(trafs...)))
	data := cat(bytes.Repeat([]byte{1, 2, 3, 4}, 3), []byte{9, 9, 9}) // 12 bytes per traf
	var mdat []byte
	ms := span{Type: "moof", Hdr: 8, Size: len(moof)}
	kids, _ := children(moof, ms, 0)
	n := 0
	for _, k := range kids {
		if k.Type != "traf" {
			continue
		}
		tk, _ := children(moof, k, 0)
		var mark int
		for _, x := range tk {
			switch x.Type {
			case "free":
				mark = x.Off + x.Hdr
			case "trun":
				binary.BigEndian.PutUint32(moof[x.Off+x.Hdr+8:], uint32(len(moof)+8+12*n))
			case "saio":
				binary.BigEndian.PutUint32(moof[x.Off+x.Hdr+8:], uint32(mark))
			}
		}
		mdat = append(mdat, data[:12]...)
		n++
	}
	return cat(moof, mkbox("mdat", mdat))
}

func synthSegment(t testing.TB, tfdt uint64, twoTrafs bool) []byte {
	trafs := [][]byte{synthTraf(1, tfdt, tfhdDefaultBaseIsMoof)}
	if twoTrafs {
		trafs = append(trafs, synthTraf(2, tfdt+5, tfhdDefaultBaseIsMoof))
	}
	return cat(mkbox("styp", []byte("cmfs"), u32(0), []byte("cmfs")),
		mkfull("prft", 0, 0, u32(1), u64(0), u32(uint32(tfdt))), synthMoof(t, trafs...))
}

// checkSynth verifies that every trun data_offset and saio offset of the
// moof in seg points at the same bytes as before.
func checkSynth(t *testing.T, seg []byte) {
	t.Helper()
	top, err := splitBoxes(seg, 0, len(seg))
	if err != nil {
		t.Fatal(err)
	}
	moof := top[2]
	kids, err := children(seg, moof, 0)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, k := range kids {
		if k.Type != "traf" {
			continue
		}
		tk, err := children(seg, k, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, x := range tk {
			switch x.Type {
			case "trun":
				off := moof.Off + int(binary.BigEndian.Uint32(seg[x.Off+x.Hdr+8:]))
				if !bytes.Equal(seg[off:off+12], bytes.Repeat([]byte{1, 2, 3, 4}, 3)) {
					t.Errorf("traf %d: trun data offset does not point at its samples", n)
				}
			case "saio":
				off := moof.Off + int(binary.BigEndian.Uint32(seg[x.Off+x.Hdr+8:]))
				if string(seg[off:off+4]) != "MARK" {
					t.Errorf("traf %d: saio offset does not point at its data", n)
				}
			}
		}
		n++
	}
}

func TestNormalizeGrowTfdt(t *testing.T) {
	for _, two := range []bool{false, true} {
		seg := synthSegment(t, 1000, two)
		checkSynth(t, seg)
		if !two {
			if s, err := ParseSegment(seg, nil); err != nil || s.BaseDecodeTime != 1000 || s.Duration != 3000 {
				t.Fatalf("synthetic segment: %v %+v", err, s)
			}
		}
		// Fits 32 bits: patched in place, same size.
		in, err := Normalize(seg, 1<<31)
		if err != nil || len(in) != len(seg) {
			t.Fatalf("in place: %v, %d bytes from %d", err, len(in), len(seg))
		}
		checkSynth(t, in)
		// Needs 64 bits: tfdt and prft grow to version 1.
		const off = 1 << 33
		norm, err := Normalize(seg, off)
		if err != nil {
			t.Fatal(err)
		}
		grow := 4 + 4 // prft + one tfdt
		if two {
			grow += 4
		}
		if len(norm) != len(seg)+grow {
			t.Fatalf("grown segment %d bytes, want %d", len(norm), len(seg)+grow)
		}
		checkSynth(t, norm)
		f, err := mp4.DecodeFileSR(bits.NewFixedSliceReader(norm))
		if err != nil {
			t.Fatal(err)
		}
		moof := f.Segments[0].Fragments[0].Moof
		for i, traf := range moof.Trafs {
			want := uint64(1000+off) + uint64(5*i)
			if traf.Tfdt.Version != 1 || traf.Tfdt.BaseMediaDecodeTime() != want {
				t.Errorf("traf %d: tfdt v%d %d, want v1 %d", i, traf.Tfdt.Version, traf.Tfdt.BaseMediaDecodeTime(), want)
			}
		}
		if p := f.Children[1].(*mp4.PrftBox); p.Version != 1 || p.MediaTime != 1000+off {
			t.Errorf("prft v%d media time %d", p.Version, p.MediaTime)
		}
		if !two {
			if s, err := ParseSegment(norm, nil); err != nil || s.BaseDecodeTime != 1000+off {
				t.Errorf("re-parse: %v %+v", err, s)
			}
		}
		// And back down: a version 1 tfdt stays version 1.
		back, err := Normalize(norm, -off)
		if err != nil || len(back) != len(norm) {
			t.Fatalf("back: %v", err)
		}
		checkSynth(t, back)
	}
}

func TestNormalizeGrowRejects(t *testing.T) {
	// An explicit base_data_offset is absolute: it cannot be fixed.
	seg := cat(mkbox("styp", []byte("cmfs"), u32(0)), synthMoof(t,
		mkbox("traf", mkfull("tfhd", 0, 0x01|0x08, u32(1), u64(0), u32(1000)), mkfull("tfdt", 0, 0, u32(5)),
			mkfull("trun", 0, 0x201, u32(1), u32(0), u32(12)))))
	if _, err := Normalize(seg, 1<<33); !errors.Is(err, ErrMalformed) {
		t.Errorf("base_data_offset: err = %v", err)
	}
	if _, err := Normalize(seg, 1<<20); err != nil {
		t.Errorf("in place needs no offset fix: err = %v", err)
	}
	// A first trun without data_offset cannot be moved either.
	seg = cat(mkbox("styp", []byte("cmfs"), u32(0)), mkbox("moof", mkfull("mfhd", 0, 0, u32(1)),
		mkbox("traf", mkfull("tfhd", 0, 0x020008, u32(1), u32(1000)), mkfull("tfdt", 0, 0, u32(5)),
			mkfull("trun", 0, 0x200, u32(1), u32(12)))), mkbox("mdat", make([]byte, 12)))
	if _, err := Normalize(seg, 1<<33); !errors.Is(err, ErrMalformed) {
		t.Errorf("trun without data offset: err = %v", err)
	}
}

func TestNormalizeEmsg(t *testing.T) {
	emsg := mkfull("emsg", 1, 0, u32(1000), u64(5_000_000), u32(0), u32(1), []byte("urn:x\x00\x00"))
	emsg0 := mkfull("emsg", 0, 0, []byte("urn:x\x00\x00"), u32(1000), u32(10), u32(0), u32(1))
	seg := cat(emsg, emsg0, synthMoof(t, synthTraf(1, 1000, tfhdDefaultBaseIsMoof)))
	norm, err := NormalizeWith(seg, 48000*10, &NormalizeOptions{Timescale: 48000})
	if err != nil {
		t.Fatal(err)
	}
	if pt := binary.BigEndian.Uint64(norm[16:]); pt != 5_010_000 {
		t.Errorf("emsg v1 presentation time %d, want 5010000", pt)
	}
	if !bytes.Equal(norm[len(emsg):len(emsg)+len(emsg0)], emsg0) {
		t.Errorf("emsg v0 changed")
	}
	if plain, _ := Normalize(seg, 48000*10); !bytes.Equal(plain[:len(emsg)], emsg) {
		t.Errorf("Normalize without timescale changed the emsg")
	}
}
