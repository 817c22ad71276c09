package trackfile

import (
	"crypto/sha256"
	"fmt"
	"os"
	"testing"
	"time"
)

func FuzzZZSlow(f *testing.F) {
	h, _ := loadTrack(f, ldashVideo)
	for _, c := range inputCases(f) {
		f.Add(c.in, int64(1<<33))
	}
	f.Fuzz(func(t *testing.T, in []byte, off int64) {
		tm := time.AfterFunc(time.Second, func() {
			os.WriteFile(fmt.Sprintf("/tmp/slow-%x", sha256.Sum256(in)), in, 0o644)
		})
		defer tm.Stop()
		if seg, err := ParseSegment(in, h); err == nil {
			CheckSegment(seg, h, Grid{D: Rational{2, 1}, N: 1800}, 0)
		}
		NormalizeWith(in, off, &NormalizeOptions{Timescale: 12800})
	})
}
