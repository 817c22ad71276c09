package blobstore_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/reapd/reapd/blobstore/blobstoretest"
)

func TestZZLatency(t *testing.T) {
	for _, u := range []string{"file://" + t.TempDir(), blobstoretest.NewS3(t), blobstoretest.NewGCS(t)} {
		s := blobstoretest.Open(t, u, nil)
		for _, conc := range []int{1, 16} {
			start := time.Now()
			var wg sync.WaitGroup
			for w := range conc {
				wg.Go(func() {
					for i := range 200 / conc {
						if err := s.Create(t.Context(), fmt.Sprintf("c%d/%d/%d", conc, w, i), []byte("x")); err != nil {
							t.Error(err)
						}
					}
				})
			}
			wg.Wait()
			t.Logf("%s conc %d: create %v/op", u[:4], conc, time.Since(start)/200)
			start = time.Now()
			objs, _ := s.List(t.Context(), "")
			t.Logf("list %d %v", len(objs), time.Since(start))
			start = time.Now()
			for _, o := range objs[:50] {
				_ = s.Delete(t.Context(), o.Key)
			}
			t.Logf("delete %v/op", time.Since(start)/50)
		}
	}
}
