package clipmp4

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"runtime"
	"testing"

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
