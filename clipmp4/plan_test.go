package clipmp4

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/Eyevinn/mp4ff/mp4"
	"github.com/reapd/reapd/trackfile/trackfiletest"
)

// memSource is a Source over objects in memory that counts its reads.
type memSource struct {
	objs  map[string][]byte
	mu    sync.Mutex
	reads int
	bytes int64
}

func (m *memSource) NewRangeReader(_ context.Context, key string, off, n int64) (io.ReadCloser, error) {
	b, ok := m.objs[key]
	if !ok || off < 0 || off+n > int64(len(b)) {
		return nil, fmt.Errorf("no range [%d,+%d) of %q", off, n, key)
	}
	m.mu.Lock()
	m.reads++
	m.bytes += n
	m.mu.Unlock()
	return io.NopCloser(bytes.NewReader(b[off : off+n])), nil
}

const epoch = 1767225600 // 2026-01-01T00:00:00Z

// audioFixture stores segs 2 s synthetic audio segments from the epoch in
// one object (a storage track file's segments), leaving out segment skip,
// and returns the source and the track.
func audioFixture(segs, skip int) (*memSource, Track) {
	tr := trackfiletest.Default
	var file []byte
	track := Track{Headers: [][]byte{tr.Header()}}
	for i := range segs {
		if i == skip {
			continue
		}
		seg := tr.Segment(uint64(epoch+2*i)*48000, uint32(i+1))
		track.Segments = append(track.Segments, Segment{Key: "ch/a/0.cmfa", Offset: int64(len(file)), Size: int64(len(seg))})
		file = append(file, seg...)
	}
	return &memSource{objs: map[string][]byte{"ch/a/0.cmfa": file}}, track
}

func at(s float64) time.Time { return time.UnixMilli(epoch*1000 + int64(s*1000)).UTC() }

func build(t *testing.T, src Source, tracks []Track, o *Options) (*Plan, []byte) {
	t.Helper()
	p, err := NewPlan(context.Background(), src, tracks, o)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	n, err := p.WriteTo(context.Background(), &b)
	if err != nil || n != p.Size() || int64(b.Len()) != p.Size() {
		t.Fatalf("wrote %d bytes (%v), planned %d", n, err, p.Size())
	}
	return p, b.Bytes()
}

func topLevel(t *testing.T, b []byte) []string {
	t.Helper()
	var types []string
	for i := 0; i+8 <= len(b); {
		size := int(binary.BigEndian.Uint32(b[i:]))
		if size == 1 {
			size = int(binary.BigEndian.Uint64(b[i+8:]))
		}
		types = append(types, string(b[i+4:i+8]))
		if size < 8 {
			t.Fatalf("bad box at %d", i)
		}
		i += size
	}
	return types
}

func TestProgressiveAudio(t *testing.T) {
	src, track := audioFixture(10, 5)    // a gap at [10 s, 12 s)
	track.Segments = track.Segments[1:7] // those of [2 s, 16 s), as the caller selects them
	for _, accurate := range []bool{false, true} {
		t.Run(fmt.Sprint("accurate=", accurate), func(t *testing.T) {
			p, out := build(t, src, []Track{track}, &Options{Start: at(3.01), End: at(15.5), Accurate: accurate})
			if got := topLevel(t, out); fmt.Sprint(got) != "[ftyp moov mdat]" {
				t.Fatalf("top-level boxes %v, want moov before mdat", got)
			}
			f, err := mp4.DecodeFile(bytes.NewReader(out))
			if err != nil {
				t.Fatal(err)
			}
			trak := f.Moov.Trak
			stbl := trak.Mdia.Minf.Stbl
			// [3.00 s, 15.50 s) less the 2 s gap, 20 ms samples.
			if n := stbl.Stsz.SampleNumber; n != 525 {
				t.Errorf("%d samples, want 525", n)
			}
			var total uint64
			for i, c := range stbl.Stts.SampleCount {
				total += uint64(c) * uint64(stbl.Stts.SampleTimeDelta[i])
			}
			if total != 12*48000+24000 {
				t.Errorf("media lasts %d ticks, want 12.5 s: the gap keeps its time", total)
			}
			elst := trak.Edts.Elst[0].Entries
			want := mp4.ElstEntry{SegmentDuration: 600000, MediaTime: 0, MediaRateInteger: 1}
			if accurate {
				want = mp4.ElstEntry{SegmentDuration: 599520, MediaTime: 480, MediaRateInteger: 1}
			}
			if len(elst) != 1 || elst[0] != want {
				t.Errorf("edit list %+v, want %+v", elst, want)
			}
			if gaps := p.Gaps(); len(gaps) != 1 || !gaps[0].From.Equal(at(10)) || !gaps[0].To.Equal(at(12)) {
				t.Errorf("gaps %v, want [10 s, 12 s)", gaps)
			}
			// Every sample's bytes are those of the source sample at its time.
			off, _ := stbl.Stco.GetOffset(1)
			dts := uint64(0)
			k := 0
			for i := range int(stbl.Stsz.SampleNumber) {
				sz := stbl.Stsz.GetSampleSize(i + 1)
				chunk, first, _ := stbl.Stsc.ChunkNrFromSampleNr(i + 1)
				if first == i+1 {
					off, _ = stbl.Stco.GetOffset(chunk)
				}
				data := out[off : off+uint64(sz)]
				wall := 3*48000 + dts
				seg := wall / 96000
				if got, wantT, gotI := binary.BigEndian.Uint64(data), uint64(epoch+2*seg)*48000, binary.BigEndian.Uint32(data[8:]); got != wantT ||
					uint64(gotI) != wall%96000/960 {
					t.Fatalf("sample %d at %d ticks holds %d/%d, want %d/%d", i, wall, got, gotI, wantT, wall%96000/960)
				}
				off += uint64(sz)
				d := uint64(stbl.Stts.GetDur(uint32(i + 1)))
				dts += d
				k++
			}
			// Deterministic; a range is exactly those bytes of the whole.
			p2, out2 := build(t, src, []Track{track}, &Options{Start: at(3.01), End: at(15.5), Accurate: accurate})
			if !bytes.Equal(out, out2) || p.ETag() != p2.ETag() {
				t.Error("two plans of one window differ")
			}
			var mid bytes.Buffer
			lo, n := p.HeadSize()-100, p.Size()/2
			if _, err := p.WriteRange(context.Background(), &mid, lo, n); err != nil || !bytes.Equal(mid.Bytes(), out[lo:lo+n]) {
				t.Errorf("range [%d,+%d) differs from the whole (%v)", lo, n, err)
			}
			// A small range reads about its own bytes from the source.
			src.bytes, src.reads = 0, 0
			mid.Reset()
			lo = p.HeadSize() + (p.Size()-p.HeadSize())/2
			if _, err := p.WriteRange(context.Background(), &mid, lo, 1000); err != nil || !bytes.Equal(mid.Bytes(), out[lo:lo+1000]) {
				t.Errorf("range [%d,+1000) differs from the whole (%v)", lo, err)
			}
			if src.bytes > 1000 || src.reads > 1 {
				t.Errorf("1000 bytes of media took %d reads of %d bytes", src.reads, src.bytes)
			}
		})
	}
}

func TestFragmentedAudio(t *testing.T) {
	src, track := audioFixture(10, -1)
	track.Segments = track.Segments[1:5] // [2 s, 10 s)
	_, out := build(t, src, []Track{track, track}, &Options{Start: at(3.01), End: at(8.5), Fragmented: true})
	f, err := mp4.DecodeFile(bytes.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	if f.Moov.Mvex == nil || len(f.Moov.Traks) != 2 {
		t.Fatalf("want a moov with mvex and two traks")
	}
	// Segments [2 s, 10 s) of both tracks, interleaved, renumbered.
	if len(f.Segments) == 0 {
		t.Fatal("no fragments")
	}
	var frags []*mp4.Fragment
	for _, s := range f.Segments {
		frags = append(frags, s.Fragments...)
	}
	if len(frags) != 8 {
		t.Fatalf("%d fragments, want 8", len(frags))
	}
	for i, fr := range frags {
		if seq := fr.Moof.Mfhd.SequenceNumber; seq != uint32(i+1) {
			t.Errorf("fragment %d: sequence number %d", i, seq)
		}
		if id, want := fr.Moof.Traf.Tfhd.TrackID, uint32(i%2+1); id != want {
			t.Errorf("fragment %d: track %d, want %d", i, id, want)
		}
		if tfdt, want := fr.Moof.Traf.Tfdt.BaseMediaDecodeTime(), uint64(epoch+2+2*(i/2))*48000; tfdt != want {
			t.Errorf("fragment %d: tfdt %d, want %d (kept)", i, tfdt, want)
		}
	}
}

// failingSource fails every range read after the first ok ones.
type failingSource struct {
	Source
	ok int
	n  atomic.Int32
}

func (f *failingSource) NewRangeReader(ctx context.Context, key string, off, n int64) (io.ReadCloser, error) {
	if int(f.n.Add(1)) > f.ok {
		return nil, errors.New("store down")
	}
	return f.Source.NewRangeReader(ctx, key, off, n)
}

// TestWriteFails: a failing read ends the write with its error, after
// the bytes before it, and leaves no read running.
func TestWriteFails(t *testing.T) {
	src, track := audioFixture(10, -1)
	track.Segments = track.Segments[1:9]
	p, err := NewPlan(context.Background(), src, []Track{track}, &Options{Start: at(2), End: at(18)})
	if err != nil {
		t.Fatal(err)
	}
	fs := &failingSource{Source: src, ok: 3}
	p.src = fs
	var b bytes.Buffer
	n, err := p.WriteTo(context.Background(), &b)
	if err == nil || !strings.Contains(err.Error(), "store down") || n >= p.Size() || n < p.HeadSize() {
		t.Fatalf("wrote %d of %d bytes, err %v; want the head and a store error", n, p.Size(), err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	p.src = src
	if _, err := p.WriteTo(ctx, io.Discard); err == nil {
		t.Error("a cancelled write succeeded")
	}
}
