package trackfile

import (
	"io"
	"testing"
)

// Benchmarks over the good inputs of the case table (house style 6).

func BenchmarkParseSegment(b *testing.B) {
	h, _ := loadTrack(b, ldashVideo)
	for _, c := range inputCases(b) {
		if c.header || c.parse != nil {
			continue
		}
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(c.in)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := ParseSegment(c.in, h); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkNormalize(b *testing.B) {
	for _, c := range inputCases(b) {
		if c.header || c.parse != nil {
			continue
		}
		for _, off := range []struct {
			name string
			v    int64
		}{{"offset 0", 0}, {"offset 1h", 3600 * 12800}} {
			b.Run(c.name+"/"+off.name, func(b *testing.B) {
				b.SetBytes(int64(len(c.in)))
				b.ReportAllocs()
				for b.Loop() {
					if _, err := Normalize(c.in, off.v); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkWriteTrackFile streams a whole storage track file of the ldash
// video (head, then each segment normalized and verified) to io.Discard.
func BenchmarkWriteTrackFile(b *testing.B) {
	h, raws := loadTrack(b, ldashVideo)
	_, infos, _, file := assemble(b, ldashVideo, 0)
	b.SetBytes(int64(len(file)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := WriteTrackFile(io.Discard, h, infos, func(i int) ([]byte, error) {
			return Normalize(raws[i], 0)
		}); err != nil {
			b.Fatal(err)
		}
	}
}
