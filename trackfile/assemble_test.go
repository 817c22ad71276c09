package trackfile

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"testing"
	"testing/iotest"

	"github.com/Eyevinn/mp4ff/bits"
	"github.com/Eyevinn/mp4ff/mp4"
)

// assemble builds the storage track file of a fixture track with the given
// time offset, streaming one normalized segment at a time.
func assemble(t testing.TB, ft fixtureTrack, offset int64) (*Header, []SegmentInfo, HeadLayout, []byte) {
	t.Helper()
	h, raws := loadTrack(t, ft)
	n0 := int64(epoch / 2)
	infos := make([]SegmentInfo, len(raws))
	for i, raw := range raws {
		_, info, err := PrepareSegment(raw, h, n0+int64(i), offset)
		if err != nil {
			t.Fatal(err)
		}
		infos[i] = info
	}
	var buf bytes.Buffer
	lay, err := WriteTrackFile(&buf, h, infos, func(i int) ([]byte, error) {
		b, _, err := PrepareSegment(raws[i], h, n0+int64(i), offset)
		return b, err
	})
	if err != nil {
		t.Fatal(err)
	}
	return h, infos, lay, buf.Bytes()
}

func TestTrackFile(t *testing.T) {
	for _, ft := range fixtureTracks {
		for _, offset := range []int64{0, 3600 * 12800} {
			t.Run(ft.name+"/offset "+strconv.FormatInt(offset, 10), func(t *testing.T) {
				h, infos, lay, file := assemble(t, ft, offset)
				if !bytes.Equal(file[:lay.Init.End], h.Raw) || lay.Init.Start != 0 || lay.Index.Start != lay.Init.End {
					t.Fatalf("layout %+v: the file must start with the header as received", lay)
				}
				// mp4ff decodes the whole file: one sidx, and the segments.
				f, err := mp4.DecodeFileSR(bits.NewFixedSliceReader(file))
				if err != nil {
					t.Fatalf("mp4ff: %v", err)
				}
				if len(f.Sidxs) != 1 {
					t.Fatalf("%d sidx boxes, want exactly 1 (per-segment sidx dropped)", len(f.Sidxs))
				}
				sidx := f.Sidx
				if sidx.Version != 1 || sidx.ReferenceID != h.Info.TrackID || sidx.Timescale != h.Info.Timescale ||
					sidx.FirstOffset != 0 || sidx.EarliestPresentationTime != infos[0].EPT || len(sidx.SidxRefs) != len(infos) {
					t.Fatalf("sidx %+v", sidx)
				}
				var total int64
				tm := sidx.EarliestPresentationTime
				var tfdts []uint64
				for _, s := range f.Segments {
					for _, fr := range s.Fragments {
						if fr == s.Fragments[0] {
							tfdts = append(tfdts, fr.Moof.Traf.Tfdt.BaseMediaDecodeTime())
						}
					}
				}
				if len(tfdts) != len(infos) {
					t.Fatalf("mp4ff found %d segments, want %d", len(tfdts), len(infos))
				}
				for i, r := range sidx.SidxRefs {
					if tm != tfdts[i] || tm != infos[i].Time {
						t.Errorf("reference %d starts at %d, segment tfdt %d", i, tm, tfdts[i])
					}
					if r.ReferenceType != 0 || r.StartsWithSAP != 1 || r.SAPType != 1 || r.SAPDeltaTime != 0 {
						t.Errorf("reference %d: %+v", i, r)
					}
					total += int64(r.ReferencedSize)
					tm += uint64(r.SubSegmentDuration)
				}
				if total != int64(len(file))-lay.Index.End {
					t.Errorf("sidx references sum to %d, file has %d bytes after the sidx", total, int64(len(file))-lay.Index.End)
				}
				// ReadHead gives back the layout and the byte ranges, reading
				// no further than the sidx.
				fh, err := ReadHead(bytes.NewReader(file[:lay.Index.End]))
				if err != nil {
					t.Fatal(err)
				}
				if fh.Layout != lay || fh.Header.Hash != h.Hash || !reflect.DeepEqual(fh.Header.Info, h.Info) {
					t.Fatalf("ReadHead layout %+v hash %s", fh.Layout, fh.Header.Hash)
				}
				run := NewRun("v", h.Info, infos, lay)
				if run.Size != int64(len(file)) {
					t.Errorf("run size %d, file %d", run.Size, len(file))
				}
				for i, ref := range fh.Segments {
					want := run.Segments()[i]
					if ref != want {
						t.Errorf("segment %d: ReadHead %+v, run %+v", i, ref, want)
					}
					seg, err := ParseSegment(file[ref.Offset:ref.Offset+ref.Size], h)
					if err != nil || seg.BaseDecodeTime != ref.Time {
						t.Errorf("segment %d at its byte range: %v", i, err)
					}
				}
			})
		}
	}
}

// ffprobe reads the assembled video track files: every frame, and the
// duration. ffprobe (5.1) reports as format duration the end of the
// presentation on the media timeline, which for an epoch-timed track
// without edit list (REaP 6.2 g) is epoch + length — exactly as it does for
// ffmpeg's own output (checked on the plain concatenation of the fixture's
// header and segments). Shifted back by the epoch (offset −epoch·ts), the
// file starts at 0 and ffprobe reports its plain length.
func TestTrackFileFFprobe(t *testing.T) {
	if _, err := exec.LookPath("ffprobe"); err != nil {
		t.Fatalf("ffprobe is required for this test (apt-get install -y ffmpeg): %v", err)
	}
	for _, c := range []struct {
		ft     fixtureTrack
		offset int64
		frames int
		dur    float64
	}{
		{ldashVideo, 0, 150, epoch + 6},
		{sidxVideo, 0, 100, epoch + 4},
		{ldashVideo, -epoch * 12800, 150, 6},
	} {
		_, _, _, file := assemble(t, c.ft, c.offset)
		frames, dur := ffprobe(t, file)
		if frames != c.frames || dur < c.dur-0.05 || dur > c.dur+0.05 {
			t.Errorf("%s offset %d: ffprobe reads %d frames, %.3f s; want %d, %.3f s", c.ft.name, c.offset, frames, dur, c.frames, c.dur)
		}
		if c.offset != 0 {
			continue
		}
		h, raws := loadTrack(t, c.ft)
		plainFrames, plainDur := ffprobe(t, cat(h.Raw, cat(raws...)))
		if plainFrames != frames || plainDur != dur {
			t.Errorf("%s: ffprobe reads ffmpeg's own segments as %d frames %.3f s, the track file as %d frames %.3f s",
				c.ft.name, plainFrames, plainDur, frames, dur)
		}
	}
}

func ffprobe(t *testing.T, file []byte) (frames int, duration float64) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "track.cmfv")
	if err := os.WriteFile(path, file, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("ffprobe", "-v", "error", "-count_frames", "-show_entries",
		"format=duration:stream=nb_read_frames", "-of", "json", path).Output()
	if err != nil {
		t.Fatalf("ffprobe: %v", err)
	}
	var probe struct {
		Format  struct{ Duration string }
		Streams []struct {
			NbReadFrames string `json:"nb_read_frames"`
		}
	}
	if err := json.Unmarshal(out, &probe); err != nil || len(probe.Streams) != 1 {
		t.Fatalf("ffprobe output %s: %v", out, err)
	}
	duration, err1 := strconv.ParseFloat(probe.Format.Duration, 64)
	frames, err2 := strconv.Atoi(probe.Streams[0].NbReadFrames)
	if err1 != nil || err2 != nil {
		t.Fatalf("ffprobe output %s", out)
	}
	return frames, duration
}

func TestWriteTrackFileMismatch(t *testing.T) {
	h, raws := loadTrack(t, ldashVideo)
	infos := make([]SegmentInfo, len(raws))
	for i, raw := range raws {
		_, infos[i], _ = PrepareSegment(raw, h, int64(i), 0)
	}
	next := func(i int) ([]byte, error) { return Normalize(raws[i], 0) }
	for name, mutate := range map[string]func(s []SegmentInfo){
		"size":     func(s []SegmentInfo) { s[1].Size++ },
		"time":     func(s []SegmentInfo) { s[2].Time++ },
		"duration": func(s []SegmentInfo) { s[0].Duration-- },
	} {
		bad := append([]SegmentInfo(nil), infos...)
		mutate(bad)
		if _, err := WriteTrackFile(&bytes.Buffer{}, h, bad, next); !errors.Is(err, ErrMismatch) {
			t.Errorf("%s: err = %v, want ErrMismatch", name, err)
		}
	}
	boom := errors.New("store down")
	if _, err := WriteTrackFile(&bytes.Buffer{}, h, infos, func(int) ([]byte, error) { return nil, boom }); !errors.Is(err, boom) {
		t.Errorf("next error: %v", err)
	}
}

// TestWriteTrackFileFrom: a track file streamed from segment heads and
// payload readers is byte for byte the one written from whole segments;
// a payload short of its index entry, or missing, is ErrMismatch, and a
// payload's read error is returned.
func TestWriteTrackFileFrom(t *testing.T) {
	const offset = 3600 * 12800
	ft := ldashVideo
	h, infos, _, want := assemble(t, ft, offset)
	_, raws := loadTrack(t, ft)
	n0 := int64(epoch / 2)
	part := func(i int, cut int) (SegmentPart, error) {
		raw := raws[i]
		n, ok := SegmentHeadLen(raw, int64(len(raw)))
		if !ok {
			t.Fatalf("segment %d does not end with an mdat", i)
		}
		head, info, err := PrepareSegmentHead(raw[:n], int64(len(raw)), h, n0+int64(i), offset)
		if err != nil || info != infos[i] {
			t.Fatalf("segment %d: %+v, %v; want %+v", i, info, err, infos[i])
		}
		return SegmentPart{Head: head, Payload: bytes.NewReader(raw[n : len(raw)-cut])}, nil
	}
	var got bytes.Buffer
	if _, err := WriteTrackFileFrom(&got, h, infos, func(i int) (SegmentPart, error) { return part(i, 0) }); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Bytes(), want) {
		t.Fatalf("streamed file: %d bytes, differs from the %d written from whole segments", got.Len(), len(want))
	}
	short := func(i int) (SegmentPart, error) { return part(i, min(i, 1)) }
	if _, err := WriteTrackFileFrom(io.Discard, h, infos, short); !errors.Is(err, ErrMismatch) {
		t.Errorf("a payload a byte short: err = %v, want ErrMismatch", err)
	}
	headOnly := func(i int) (SegmentPart, error) { p, err := part(i, 0); p.Payload = nil; return p, err }
	if _, err := WriteTrackFileFrom(io.Discard, h, infos, headOnly); !errors.Is(err, ErrMismatch) {
		t.Errorf("no payload: err = %v, want ErrMismatch", err)
	}
	boom := errors.New("disk gone")
	failing := func(i int) (SegmentPart, error) {
		p, err := part(i, 0)
		p.Payload = io.MultiReader(io.LimitReader(p.Payload, 100), iotest.ErrReader(boom))
		return p, err
	}
	if _, err := WriteTrackFileFrom(io.Discard, h, infos, failing); !errors.Is(err, boom) {
		t.Errorf("a payload read error: err = %v, want it returned", err)
	}
}
