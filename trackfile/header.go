package trackfile

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"github.com/Eyevinn/mp4ff/mp4"
)

// HashHeader returns the content address of a CMAF header: the first 12
// hex digits of the SHA-256 of its bytes (design section 4,
// "init-{sha256:12}.{ext}").
func HashHeader(raw []byte) string {
	sum := sha256.Sum256(raw)
	return hex.EncodeToString(sum[:6])
}

// ParseHeader parses a CMAF header (ftyp+moov with exactly one trak).
//
// ISO/IEC 23000-19 7.3.2.1 (CMAF header): a CMAF header is a FileTypeBox
// followed by a MovieBox that describes exactly one track and contains a
// MovieExtendsBox (the track is fragmented). ISO/IEC 14496-12 8.8.3
// (TrackExtendsBox) "sets up default values used by the movie fragments".
// Other file-level boxes (free, skip, uuid, meta, pdin, bloc, wide) are
// tolerated around them; media-level boxes (moof, mdat, styp …) are not.
func ParseHeader(raw []byte) (h *Header, err error) {
	defer recoverMalformed(&err, "CMAF header")
	if len(raw) >= 8 && !isTopLevelType(string(raw[4:8])) {
		return nil, fmt.Errorf("%w: header starts with box type %q", ErrNotISOBMFF, raw[4:8])
	}
	spans, err := splitBoxes(raw, 0, len(raw))
	if err != nil {
		return nil, fmt.Errorf("CMAF header: %w", err)
	}
	var ftyp, moov *span
	for i := range spans {
		s := &spans[i]
		switch s.Type {
		case "ftyp":
			if ftyp != nil || moov != nil {
				return nil, fmt.Errorf("%w: CMAF header: unexpected ftyp at offset %d", ErrMalformed, s.Off)
			}
			ftyp = s
		case "moov":
			if moov != nil {
				return nil, fmt.Errorf("%w: CMAF header: second moov at offset %d", ErrMalformed, s.Off)
			}
			moov = s
		case "free", "skip", "uuid", "meta", "pdin", "bloc", "wide":
		default:
			return nil, fmt.Errorf("%w: CMAF header: unexpected box %q at offset %d", ErrMalformed, s.Type, s.Off)
		}
	}
	if ftyp == nil || moov == nil {
		return nil, fmt.Errorf("%w: CMAF header needs ftyp and moov", ErrMalformed)
	}
	fb, err := decodeBox(raw, *ftyp)
	if err != nil {
		return nil, err
	}
	mb, err := decodeBox(raw, *moov)
	if err != nil {
		return nil, err
	}
	h = &Header{Raw: raw, Hash: HashHeader(raw)}
	f := fb.(*mp4.FtypBox)
	h.Info.Brands = brandList(f.MajorBrand(), f.CompatibleBrands())
	if err := fillFromMoov(h, mb.(*mp4.MoovBox)); err != nil {
		return nil, err
	}
	return h, nil
}

func fillFromMoov(h *Header, moov *mp4.MoovBox) error {
	if len(moov.Traks) != 1 {
		return fmt.Errorf("%w: CMAF header has %d tracks, want exactly 1", ErrMalformed, len(moov.Traks))
	}
	trak := moov.Traks[0]
	if trak.Tkhd == nil || trak.Mdia == nil || trak.Mdia.Mdhd == nil || trak.Mdia.Hdlr == nil ||
		trak.Mdia.Minf == nil || trak.Mdia.Minf.Stbl == nil || trak.Mdia.Minf.Stbl.Stsd == nil {
		return fmt.Errorf("%w: CMAF header: trak lacks tkhd, mdhd, hdlr or stsd", ErrMalformed)
	}
	if moov.Mvex == nil {
		return fmt.Errorf("%w: CMAF header has no mvex (not a fragmented track)", ErrMalformed)
	}
	in := &h.Info
	in.TrackID = trak.Tkhd.TrackID
	var trex *mp4.TrexBox
	for _, t := range moov.Mvex.Trexs {
		if t.TrackID == in.TrackID {
			trex = t
		}
	}
	if trex == nil {
		return fmt.Errorf("%w: CMAF header has no trex for track %d", ErrMalformed, in.TrackID)
	}
	h.DefaultSampleDuration = trex.DefaultSampleDuration
	h.DefaultSampleFlags = trex.DefaultSampleFlags
	h.DefaultSampleSize = trex.DefaultSampleSize

	mdia := trak.Mdia
	in.Handler = mdia.Hdlr.HandlerType
	in.Ext = ExtForHandler(in.Handler)
	in.Timescale = mdia.Mdhd.Timescale
	if in.Timescale == 0 {
		return fmt.Errorf("%w: CMAF header: mdhd timescale 0", ErrMalformed)
	}
	in.Language = language(mdia)
	if trak.Edts != nil {
		for _, e := range trak.Edts.Elst {
			if len(e.Entries) > 0 {
				in.EditList = true
			}
		}
	}
	if trak.Udta != nil {
		for _, c := range trak.Udta.Children {
			if k, ok := c.(*mp4.KindBox); ok {
				in.Roles = append(in.Roles, k.SchemeURI+" "+k.Value)
			}
		}
	}
	stsd := mdia.Minf.Stbl.Stsd
	if len(stsd.Children) == 0 {
		return fmt.Errorf("%w: CMAF header: stsd has no sample entry", ErrMalformed)
	}
	describeSampleEntry(in, stsd.Children[0])
	if in.Handler == "vide" && in.Width == 0 {
		in.Width, in.Height = uint32(trak.Tkhd.Width)>>16, uint32(trak.Tkhd.Height)>>16
	}
	if in.Handler == "soun" && in.SampleRate == 0 {
		in.SampleRate = in.Timescale
	}
	return nil
}

// language returns the elng language (ISO/IEC 14496-12 8.4.6), else the
// mdhd ISO-639-2/T code; "" for undetermined or unusable codes.
func language(mdia *mp4.MdiaBox) string {
	if mdia.Elng != nil && mdia.Elng.Language != "" && mdia.Elng.Language != "und" {
		return mdia.Elng.Language
	}
	l := mdia.Mdhd.GetLanguage()
	if l == "und" {
		return ""
	}
	for i := 0; i < len(l); i++ {
		if l[i] < 'a' || l[i] > 'z' {
			return ""
		}
	}
	return l
}

// brandList returns the major brand followed by the compatible brands,
// without repetitions, in order.
func brandList(major string, compatible []string) []string {
	out := []string{major}
	for _, b := range compatible {
		dup := false
		for _, x := range out {
			dup = dup || x == b
		}
		if !dup {
			out = append(out, b)
		}
	}
	return out
}
