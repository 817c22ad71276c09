package archive

import (
	"context"
	"fmt"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/reapd/reapd/blobstore"
	"github.com/reapd/reapd/trackfile"
	"github.com/reapd/reapd/trackfile/trackfiletest"
)

// bigTrack has segments of 300 KB: far more than the head probe, and
// spooled by ingest on a file store.
var bigTrack = func() trackfiletest.Track { t := trackfiletest.Default; t.SampleSize = 3000; return t }()

// TestFinalizerReadsEachStagedByteOnce: the sizes for a track file's sidx
// come from the staged segments' heads, so the finalizer reads about as
// many bytes as were staged (it read every byte twice before), on the
// file store and on a store of objects; and the track file is the
// segments as ingested.
func TestFinalizerReadsEachStagedByteOnce(t *testing.T) {
	for _, url := range []string{"file", "mem://"} {
		t.Run(url, func(t *testing.T) {
			if url == "file" {
				url = "file://" + t.TempDir()
			}
			st, err := blobstore.Open(context.Background(), url, nil)
			if err != nil {
				t.Fatal(err)
			}
			clk := newClock(testEpoch)
			r := newStoreRig(t, st, finalizeOpts(clk))
			r.mustSend("POST", "/ingest/ch1/a/init.cmfa", bigTrack.Header())
			var segs [][]byte
			staged := 0
			for i := int64(0); i < periodN; i++ {
				b := bigTrack.Segment(uint64(n0+i)*bigTrack.SegmentTicks(), uint32(n0+i), "cmfs")
				segs = append(segs, b)
				staged += len(b)
				r.mustSend("POST", fmt.Sprintf("/ingest/ch1/a/%d.cmfa", i), b)
			}
			r.a.FinalizeDue(context.Background())
			checkTrackFileOf(t, r, bigTrack, fmt.Sprintf("ch1/a/%d.cmfa", k0), segs, n0)
			read := testutil.ToFloat64(r.a.metrics.FinalizeRead)
			if read < float64(staged) || read > 1.1*float64(staged) {
				t.Fatalf("the finalizer read %.0f bytes of %d staged: want each byte about once", read, staged)
			}
		})
	}
}

// TestReadStagedFallsBackToTheWholeSegment: a segment whose head the
// probe does not hold (its first chunk alone is larger), whose size the
// listing did not give, or that is shorter than listed, is read whole.
func TestReadStagedFallsBackToTheWholeSegment(t *testing.T) {
	st, err := blobstore.Open(context.Background(), "mem://", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	c := &channel{a: &Archiver{store: st}}
	ctx := context.Background()
	one := bigTrack.Segment(0, 1)
	two := append(append([]byte(nil), one...), bigTrack.Segment(bigTrack.SegmentTicks(), 2)...) // two chunks
	for key, b := range map[string][]byte{"one": one, "two": two} {
		if err := st.Create(ctx, key, b); err != nil {
			t.Fatal(err)
		}
	}
	n, _ := trackfile.SegmentHeadLen(one, int64(len(one)))
	for _, c1 := range []struct {
		key      string
		size     int64
		wantHead int
	}{
		{"one", int64(len(one)), n},
		{"one", 0, len(one)},
		{"two", int64(len(two)), len(two)},
		{"one", int64(len(two)), len(one)},
		{"one", headProbe + 1, len(one)},
	} {
		ss, err := c.readStaged(ctx, plannedSegment{key: c1.key, size: c1.size}, false)
		if err != nil {
			t.Fatal(err)
		}
		ss.close()
		if len(ss.head) != c1.wantHead || ss.rest != nil || (ss.size != int64(len(ss.head)) && ss.size != c1.size) {
			t.Errorf("%s listed with %d bytes: head of %d bytes, want %d", c1.key, c1.size, len(ss.head), c1.wantHead)
		}
	}
}

// TestFinalizeRunEndsWithLastSegment: a run whose last segment carries
// 'lmsg' is indexed as ending there (the brand is read from the head of
// the segment as stored), on a file store with segments spooled.
func TestFinalizeRunEndsWithLastSegment(t *testing.T) {
	clk := newClock(testEpoch)
	r, _ := spoolRigWith(t, finalizeOpts(clk), nil)
	for i := int64(0); i < 3; i++ {
		brands := []string{"cmfs"}
		if i == 2 {
			brands = append(brands, "lmsg")
		}
		b := bigTrack.Segment(uint64(n0+i)*bigTrack.SegmentTicks(), uint32(n0+i), brands...)
		r.mustSend("POST", fmt.Sprintf("/ingest/ch1/a/%d.cmfa", i), b)
	}
	r.a.FinalizeDue(context.Background())
	idx := readIndex(t, r, trackfile.IndexKey("ch1", k0, ""))
	if len(idx.Runs) != 1 || idx.Runs[0].End != trackfile.EndLast || idx.Runs[0].Count() != 3 {
		t.Fatalf("index runs %+v, want one of 3 segments ending with lmsg", idx.Runs)
	}
}
