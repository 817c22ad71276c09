package clipmp4

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"runtime"
	"testing"
	"time"

	"github.com/Eyevinn/mp4ff/mp4"
	"github.com/reapd/reapd/trackfile/trackfiletest"
)

// virtualTrack is a storage track file of n identical segments but for
// their tfdt, patched in as they are read: a long archive that costs no
// memory, so that the benchmark measures the builder, not its input.
type virtualTrack struct {
	tmpl     []byte   // one segment
	tfdtOffs []int    // of each fragment's 64-bit baseMediaDecodeTime in tmpl
	fragT    []uint64 // each fragment's time after the segment start
	t0, d    uint64   // first tfdt, segment duration
	n        int
}

// newVirtualTrack makes segments of frags fragments of spf samples of dur
// ticks, sizes varying around size, sync only on the first sample when
// video.
func newVirtualTrack(t0 uint64, dur uint32, frags, spf, size int, video bool, n int) *virtualTrack {
	v := &virtualTrack{t0: t0, d: uint64(dur) * uint64(frags*spf), n: n}
	var b bytes.Buffer
	k := 0
	for f := range frags {
		fr, err := mp4.CreateFragment(uint32(f+1), 1)
		if err != nil {
			panic(err)
		}
		for i := range spf {
			flags := mp4.SyncSampleFlags
			if video && k > 0 {
				flags = mp4.NonSyncSampleFlags
			}
			data := make([]byte, size/2+(k*7919)%size)
			fr.AddFullSample(mp4.FullSample{Sample: mp4.Sample{Flags: flags, Dur: dur, Size: uint32(len(data))},
				DecodeTime: t0 + uint64(k)*uint64(dur), Data: data})
			k++
			_ = i
		}
		at := b.Len()
		if err := fr.Encode(&b); err != nil {
			panic(err)
		}
		i := bytes.Index(b.Bytes()[at:], []byte("tfdt"))
		if i < 0 || b.Bytes()[at+i+4] != 1 {
			panic("want a version 1 tfdt")
		}
		v.tfdtOffs = append(v.tfdtOffs, at+i+8)
		v.fragT = append(v.fragT, uint64(f*spf)*uint64(dur))
	}
	v.tmpl = b.Bytes()
	return v
}

func (v *virtualTrack) segments(key string) []Segment {
	segs := make([]Segment, v.n)
	for i := range segs {
		segs[i] = Segment{Key: key, Offset: int64(i * len(v.tmpl)), Size: int64(len(v.tmpl))}
	}
	return segs
}

type virtualReader struct {
	v        *virtualTrack
	pos, end int64
}

func (r *virtualReader) Read(p []byte) (int, error) {
	if r.pos >= r.end {
		return 0, io.EOF
	}
	L := int64(len(r.v.tmpl))
	seg, in := r.pos/L, r.pos%L
	k := copy(p[:min(int64(len(p)), r.end-r.pos)], r.v.tmpl[in:])
	for f, off := range r.v.tfdtOffs {
		t := r.v.t0 + uint64(seg)*r.v.d + r.v.fragT[f]
		for j := range 8 {
			if q := int64(off+j) - in; q >= 0 && q < int64(k) {
				p[q] = byte(t >> (56 - 8*j))
			}
		}
	}
	r.pos += int64(k)
	return k, nil
}

// virtualSource serves virtual tracks by key.
type virtualSource map[string]*virtualTrack

func (s virtualSource) NewRangeReader(_ context.Context, key string, off, n int64) (io.ReadCloser, error) {
	v := s[key]
	if v == nil || off < 0 || off+n > int64(v.n*len(v.tmpl)) {
		return nil, fmt.Errorf("no range [%d,+%d) of %s", off, n, key)
	}
	return io.NopCloser(&virtualReader{v: v, pos: off, end: off + n}), nil
}

// slowSource delays every range read.
type slowSource struct {
	Source
	latency time.Duration
}

func (s slowSource) NewRangeReader(ctx context.Context, key string, off, n int64) (io.ReadCloser, error) {
	time.Sleep(s.latency)
	return s.Source.NewRangeReader(ctx, key, off, n)
}

// benchClip returns a source and tracks of hours of 2 s segments of four
// 0.5 s fragments (as ffmpeg's low-latency DASH writes them): video of 25
// frames/s of about 10 kB (2 Mbit/s, a key frame per segment) and 48 kHz
// audio in 1024-sample frames of about 380 bytes (128 kbit/s... 60 kB/s).
func benchClip(hours float64) (virtualSource, []Track) {
	n := int(hours * 1800)
	video := trackfiletest.Track{ID: 1, Timescale: 12800}
	audio := trackfiletest.Track{ID: 1, Timescale: 48000}
	src := virtualSource{
		"v": newVirtualTrack(uint64(epoch)*12800, 512, 4, 13, 13000, true, n),
		"a": newVirtualTrack(uint64(epoch)*48000, 1024, 4, 24, 500, false, n),
	}
	return src, []Track{
		{Headers: [][]byte{video.Header()}, Segments: src["v"].segments("v")},
		{Headers: [][]byte{audio.Header()}, Segments: src["a"].segments("a")},
	}
}

// BenchmarkClip builds a one-hour progressive clip (1800 segments per
// track, about 1 GB): "plan+write" is the plan pass and the write pass to
// io.Discard, "write" the write pass of one plan. MB/s is of the output;
// allocs/op and B/op are of a whole clip.
func BenchmarkClip(b *testing.B) {
	src, tracks := benchClip(1)
	o := &Options{Start: at(0), End: at(3600)}
	b.Run("plan+write", func(b *testing.B) {
		b.ReportAllocs()
		var size, head int64
		for b.Loop() {
			p, err := NewPlan(context.Background(), src, tracks, o)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := p.WriteTo(context.Background(), io.Discard); err != nil {
				b.Fatal(err)
			}
			size, head = p.Size(), p.HeadSize()
		}
		b.SetBytes(size)
		b.ReportMetric(float64(head)/1e6, "moov-MB")
	})
	// A store that takes 1 ms to answer each range read (a nearby object
	// store): what the plan pass's and the write pass's reads ahead hide.
	slow := slowSource{src, time.Millisecond}
	b.Run("plan-1ms-latency", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := NewPlan(context.Background(), slow, tracks, o); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("write-1ms-latency", func(b *testing.B) {
		p, err := NewPlan(context.Background(), slow, tracks, o)
		if err != nil {
			b.Fatal(err)
		}
		b.SetBytes(p.Size())
		for b.Loop() {
			if _, err := p.WriteTo(context.Background(), io.Discard); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("write", func(b *testing.B) {
		p, err := NewPlan(context.Background(), src, tracks, o)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		b.SetBytes(p.Size())
		for b.Loop() {
			if _, err := p.WriteTo(context.Background(), io.Discard); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkPlan48h plans a 48-hour clip (the moov of 86 400 segments per
// track, 59 GB of output) and reports the size of its moov and the heap
// the plan holds.
func BenchmarkPlan48h(b *testing.B) {
	src, tracks := benchClip(48)
	var held, head float64
	for b.Loop() {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		p, err := NewPlan(context.Background(), src, tracks, &Options{Start: at(0), End: at(48 * 3600)})
		if err != nil {
			b.Fatal(err)
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		held, head = float64(after.HeapAlloc-before.HeapAlloc)/1e6, float64(p.HeadSize())/1e6
		runtime.KeepAlive(p)
	}
	b.ReportMetric(head, "moov-MB")
	b.ReportMetric(held, "held-MB")
}

// TestLargeClip: beyond 4 GiB the mdat has a 64-bit size and chunks 64-bit
// offsets (co64), and the last chunk ends where the file does.
func TestLargeClip(t *testing.T) {
	// 220 segments of 52 samples of about 450 kB: 5 GB.
	v := newVirtualTrack(uint64(epoch)*12800, 512, 4, 13, 500_000, true, 220)
	src := virtualSource{"v": v}
	tracks := []Track{{Headers: [][]byte{trackfiletest.Track{ID: 1, Timescale: 12800}.Header()}, Segments: v.segments("v")}}
	p, err := NewPlan(context.Background(), src, tracks, &Options{Start: at(0), End: at(440)})
	if err != nil {
		t.Fatal(err)
	}
	if p.Size() <= 1<<32 {
		t.Fatalf("clip of %d bytes: want more than 4 GiB", p.Size())
	}
	head := p.head
	mdat := trackfiletest.BoxOffset(head, "mdat")
	if binary.BigEndian.Uint32(head[mdat:]) != 1 || int64(binary.BigEndian.Uint64(head[mdat+8:])) != p.Size()-int64(mdat) {
		t.Errorf("mdat header % x: want a 64-bit size of %d", head[mdat:], p.Size()-int64(mdat))
	}
	f, err := mp4.DecodeFile(bytes.NewReader(head[:mdat]))
	if err != nil {
		t.Fatal(err)
	}
	var lastEnd uint64
	for i, trak := range f.Moov.Traks {
		stbl := trak.Mdia.Minf.Stbl
		if stbl.Co64 == nil {
			t.Fatalf("trak %d: no co64", i)
		}
		last := len(stbl.Co64.ChunkOffset)
		c := p.chunks[i][last-1]
		lastEnd = max(lastEnd, stbl.Co64.ChunkOffset[last-1]+uint64(c.size))
	}
	if int64(lastEnd) != p.Size() {
		t.Errorf("the last chunk ends at %d, the file at %d", lastEnd, p.Size())
	}
	var tail bytes.Buffer
	if _, err := p.WriteRange(context.Background(), &tail, p.Size()-5000, 5000); err != nil || tail.Len() != 5000 {
		t.Errorf("the last 5000 bytes: %d (%v)", tail.Len(), err)
	}
}

// TestLongDurations: durations beyond 32 bits (10 MHz timescale, 4.5 h)
// give version 1 mvhd, tkhd, mdhd and elst with the full values.
func TestLongDurations(t *testing.T) {
	const ts = 10_000_000
	v := newVirtualTrack(uint64(epoch)*ts, 2_000_000, 1, 100, 20, false, 810) // 20 s segments
	src := virtualSource{"a": v}
	tr := Track{Headers: [][]byte{trackfiletest.Track{ID: 1, Timescale: ts}.Header()}, Segments: v.segments("a")}
	p, err := NewPlan(context.Background(), src, []Track{tr}, &Options{Start: at(0), End: at(4.5 * 3600), Accurate: true})
	if err != nil {
		t.Fatal(err)
	}
	f, err := mp4.DecodeFile(bytes.NewReader(p.head[:trackfiletest.BoxOffset(p.head, "mdat")]))
	if err != nil {
		t.Fatal(err)
	}
	want := uint64(4.5 * 3600 * ts)
	trak := f.Moov.Trak
	if m, k, d, e := f.Moov.Mvhd, trak.Tkhd, trak.Mdia.Mdhd, trak.Edts.Elst[0]; m.Version != 1 || m.Duration != want ||
		k.Version != 1 || k.Duration != want || d.Version != 1 || d.Duration != want || e.Version != 1 || e.Entries[0].SegmentDuration != want {
		t.Errorf("versions/durations mvhd %d/%d tkhd %d/%d mdhd %d/%d elst %d/%d, want 1/%d",
			m.Version, m.Duration, k.Version, k.Duration, d.Version, d.Duration, e.Version, e.Entries[0].SegmentDuration, want)
	}
}
