package archive

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"testing"

	"github.com/Eyevinn/mp4ff/aac"
	"github.com/Eyevinn/mp4ff/mp4"

	"github.com/reapd/reapd/trackfile"
)

// A synthesizer of encoder output (issue 8, acceptance 3): CMAF headers and
// media segments made with mp4ff for a video track (25 fps, a SAP at every
// segment start), an AAC-like audio track (48 kHz, 1024-sample frames, so
// its segment boundaries fall a fraction of a frame off the video's) and an
// SCTE-35 event track (ISO/IEC 23001-18 'evte', one 'emib'/'emeb' sample
// per segment), with styp brands, SCTE-35 emsg boxes, per-segment sidx
// boxes and hostile timing where a case asks for them.

// Kinds of synthetic tracks.
const (
	kindVideo = "video"
	kindAudio = "audio"
	kindEvent = "event"
)

// scte35Scheme is the DASH scheme of binary SCTE-35 messages.
const scte35Scheme = "urn:scte:scte35:2013:bin"

// SPS and PPS of ffmpeg's libx264 640x360 testsrc2 (testdata/ffmpeg).
var (
	synthSPS, _ = hex.DecodeString("6764000cacd941419f9f011000000300100000030320f1429960")
	synthPPS, _ = hex.DecodeString("68efbcb0")
)

// synthTrack is one track of a synthetic encoder.
type synthTrack struct {
	name      string // track name in ingest paths
	kind      string // kindVideo, kindAudio or kindEvent
	id        uint32 // track_ID
	timescale uint32
	frame     uint32   // ticks per sample (video frame, AAC frame); event tracks have one sample per segment
	ftyp      []string // ftyp brands, the major first; nil: cmf2, cmfc, iso6
}

// synthVideo returns a 25 fps video track with the given timescale.
func synthVideo(timescale uint32) synthTrack {
	return synthTrack{name: "video", kind: kindVideo, id: 1, timescale: timescale, frame: timescale / 25}
}

// synthAudio is a 48 kHz AAC-like track of 1024-sample frames.
var synthAudio = synthTrack{name: "audio", kind: kindAudio, id: 2, timescale: 48000, frame: 1024}

// synthEvents is an SCTE-35 event track on a 90 kHz timescale.
var synthEvents = synthTrack{name: "scte", kind: kindEvent, id: 3, timescale: 90000}

func (s synthTrack) ext() string {
	switch s.kind {
	case kindVideo:
		return "cmfv"
	case kindAudio:
		return "cmfa"
	}
	return "cmfm"
}

// header returns the track's CMAF header (ftyp+moov).
func (s synthTrack) header() []byte {
	init := mp4.CreateEmptyInit()
	brands := s.ftyp
	if brands == nil {
		brands = []string{"cmf2", "cmfc", "iso6"}
	}
	init.Ftyp = mp4.NewFtyp(brands[0], 0, brands)
	init.Children[0] = init.Ftyp
	var trak *mp4.TrakBox
	switch s.kind {
	case kindVideo:
		trak = init.AddEmptyTrack(s.timescale, "video", "und")
		if err := trak.SetAVCDescriptor("avc1", [][]byte{synthSPS}, [][]byte{synthPPS}, true); err != nil {
			panic(err)
		}
	case kindAudio:
		trak = init.AddEmptyTrack(s.timescale, "audio", "en")
		if err := trak.SetAACDescriptor(aac.AAClc, int(s.timescale)); err != nil {
			panic(err)
		}
	case kindEvent:
		trak = init.AddEmptyTrack(s.timescale, "meta", "und")
		// EventMessageSampleEntry (ISO/IEC 23001-18 7.2).
		trak.Mdia.Minf.Stbl.Stsd.AddChild(&mp4.EvteBox{DataReferenceIndex: 1})
	default:
		panic("unknown track kind " + s.kind)
	}
	trak.Tkhd.TrackID = s.id
	init.Moov.Mvex.Trex.TrackID = s.id
	init.Moov.Mvhd.NextTrackID = s.id + 1
	var b bytes.Buffer
	if err := init.Encode(&b); err != nil {
		panic(err)
	}
	return b.Bytes()
}

// synthSeg describes one media segment of a synthetic track.
type synthSeg struct {
	start, dur uint64   // ticks of the track's timescale
	seq        uint32   // mfhd sequence number of the first chunk
	brands     []string // styp brands besides msdh, msix, cmfs (lmsg, slat, miss)
	scte35     bool     // an SCTE-35 splice at the segment start (emsg; emib on event tracks)
	sidx       bool     // a per-segment sidx before the media, as ffmpeg writes
	chunks     int      // CMAF chunks (moof+mdat); 0 means 1
	sampleDur  uint32   // sample duration overriding the track's frame (hostile input)
	sameTfdt   bool     // every chunk claims the segment's start as its tfdt (hostile input)
	variant    byte     // payload marker: a slate copy differs from the real one
}

// segment returns the bytes of a media segment of the track.
func (s synthTrack) segment(g synthSeg) []byte {
	sampleDur := g.sampleDur
	if sampleDur == 0 {
		sampleDur = s.frame
	}
	if s.kind == kindEvent && g.sampleDur == 0 {
		sampleDur = uint32(g.dur)
	}
	if sampleDur == 0 || g.dur%uint64(sampleDur) != 0 {
		panic(fmt.Sprintf("track %s: segment duration %d is not a multiple of the sample duration %d", s.name, g.dur, sampleDur))
	}
	samples := int(g.dur / uint64(sampleDur))
	chunks := max(g.chunks, 1)
	if samples < chunks {
		panic(fmt.Sprintf("track %s: %d samples cannot fill %d chunks", s.name, samples, chunks))
	}
	var media bytes.Buffer
	t := g.start
	for c := 0; c < chunks; c++ {
		f, err := mp4.CreateFragment(g.seq+uint32(c), s.id)
		if err != nil {
			panic(err)
		}
		lo, hi := c*samples/chunks, (c+1)*samples/chunks
		tfdt := t
		if g.sameTfdt {
			tfdt = g.start
		}
		for i := lo; i < hi; i++ {
			flags := mp4.NonSyncSampleFlags
			if i == 0 || s.kind != kindVideo {
				flags = mp4.SyncSampleFlags
			}
			data := s.sampleData(g, i)
			f.AddFullSample(mp4.FullSample{
				Sample:     mp4.Sample{Flags: flags, Dur: sampleDur, Size: uint32(len(data))},
				DecodeTime: tfdt + uint64(i-lo)*uint64(sampleDur),
				Data:       data,
			})
		}
		t += uint64(hi-lo) * uint64(sampleDur)
		if err := f.Encode(&media); err != nil {
			panic(err)
		}
	}
	var b bytes.Buffer
	brands := append([]string{"msdh", "msix", "cmfs"}, g.brands...)
	mustEncode(&b, mp4.NewStyp("msdh", 0, brands))
	var emsg []byte
	if g.scte35 && s.kind != kindEvent {
		var e bytes.Buffer
		mustEncode(&e, &mp4.EmsgBox{Version: 1, TimeScale: s.timescale, PresentationTime: g.start,
			EventDuration: 30 * s.timescale, ID: uint32(g.start / uint64(s.timescale)),
			SchemeIDURI: scte35Scheme, MessageData: scte35Splice(g.start)})
		emsg = e.Bytes()
	}
	if g.sidx {
		sidx := &mp4.SidxBox{Version: 1, ReferenceID: s.id, Timescale: s.timescale,
			EarliestPresentationTime: g.start, FirstOffset: uint64(len(emsg)),
			SidxRefs: []mp4.SidxRef{{ReferencedSize: uint32(media.Len()), SubSegmentDuration: uint32(g.dur),
				StartsWithSAP: 1, SAPType: 1}}}
		mustEncode(&b, sidx)
	}
	b.Write(emsg)
	b.Write(media.Bytes())
	return b.Bytes()
}

// sampleData returns the payload of sample i: an event message box on an
// event track, else bytes that name the track, the segment, the sample and
// the variant, so that no two segments have identical payloads.
func (s synthTrack) sampleData(g synthSeg, i int) []byte {
	if s.kind == kindEvent {
		var b bytes.Buffer
		if g.scte35 && i == 0 {
			// EventMessageInstanceBox (ISO/IEC 23001-18 7.3.2): the splice
			// starts with the sample.
			mustEncode(&b, &mp4.EmibBox{EventDuration: uint32(g.dur), Id: uint32(g.start / uint64(s.timescale)),
				SchemeIdURI: scte35Scheme, MessageData: scte35Splice(g.start)})
		} else {
			mustEncode(&b, &mp4.EmebBox{}) // EventMessageEmptyBox: no event
		}
		return b.Bytes()
	}
	size := 48
	if s.kind == kindVideo && i == 0 {
		size = 160 // a bigger "IDR"
	}
	data := make([]byte, size)
	binary.BigEndian.PutUint32(data, s.id)
	binary.BigEndian.PutUint64(data[4:], g.start)
	binary.BigEndian.PutUint32(data[12:], uint32(i))
	data[16] = g.variant
	return data
}

// scte35Splice returns a splice_info_section-shaped message (table_id
// 0xFC) whose bytes depend on t; nothing here decodes SCTE-35.
func scte35Splice(t uint64) []byte {
	m := []byte{0xfc, 0x30, 0x25, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0xf0, 0x14, 0x05}
	return binary.BigEndian.AppendUint64(m, t)
}

func mustEncode(b *bytes.Buffer, box mp4.Box) {
	if err := box.Encode(b); err != nil {
		panic(err)
	}
}

// stripSidx returns a segment as a storage track file holds it (design
// section 4): every top-level box but sidx (and ssix), byte for byte.
func stripSidx(raw []byte) []byte {
	var out []byte
	for off := 0; off+8 <= len(raw); {
		size := int(binary.BigEndian.Uint32(raw[off:]))
		if size < 8 || off+size > len(raw) {
			panic("stripSidx: malformed synthetic segment")
		}
		if typ := string(raw[off+4 : off+8]); typ != "sidx" && typ != "ssix" {
			out = append(out, raw[off:off+size]...)
		}
		off += size
	}
	return out
}

// TestSynthesizerMakesCMAF checks the synthesizer against the CMAF parser
// of trackfile and mp4ff: every header parses with the right handler and
// timescale, every segment starts at its key's time with a SAP, and
// contiguous segments of a track follow each other exactly.
func TestSynthesizerMakesCMAF(t *testing.T) {
	for _, c := range encoderCases() {
		heads := map[string]*trackfile.Header{}
		next := map[string]uint64{}
		for _, p := range c.in.posts() {
			if p.want == wantHeader {
				h, err := trackfile.ParseHeader(p.body)
				if err != nil {
					t.Fatalf("%s: %s header: %v", c.name, p.track.name, err)
				}
				if h.Info.Timescale != p.track.timescale || h.Info.Ext != p.track.ext() || h.Info.TrackID != p.track.id {
					t.Errorf("%s: %s header info %+v", c.name, p.track.name, h.Info)
				}
				heads[p.track.name] = h
				continue
			}
			if _, err := mp4.DecodeFile(bytes.NewReader(p.body)); err != nil {
				t.Errorf("%s: mp4ff cannot decode a %s segment: %v", c.name, p.track.name, err)
			}
			seg, err := trackfile.ParseSegment(p.body, heads[p.track.name])
			if err != nil {
				t.Fatalf("%s: %s segment at %d: %v", c.name, p.track.name, p.key.start, err)
			}
			if seg.BaseDecodeTime != p.key.start || !seg.StartsWithSAP || seg.Duration == 0 {
				t.Errorf("%s: %s segment at %d: tfdt %d, SAP %v, duration %d", c.name, p.track.name, p.key.start,
					seg.BaseDecodeTime, seg.StartsWithSAP, seg.Duration)
			}
			if p.want == wantArchived {
				if n, ok := next[p.track.name]; ok && n != seg.BaseDecodeTime && absDiff(n, seg.BaseDecodeTime) < uint64(p.track.timescale) {
					t.Errorf("%s: %s segment at %d, the one before ended at %d", c.name, p.track.name, seg.BaseDecodeTime, n)
				}
				next[p.track.name] = seg.BaseDecodeTime + seg.Duration
			}
		}
	}
}
