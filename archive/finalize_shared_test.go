package archive

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/reapd/reapd/trackfile"
)

// TestDuplicatesTellTheFinalizerOnASharedStore runs two archivers on one
// store, both given every segment (REaP cross-transmission); the first
// wins every segment, the second only sees duplicates. When the first is
// gone, the second must still know the period is complete and finalize it
// at once, not wait for a rescan of the store.
func TestDuplicatesTellTheFinalizerOnASharedStore(t *testing.T) {
	clk := newClock(testEpoch) // the period is not due by time
	r := finalizeRig(t, clk)
	b := New(r.store, &Options{Now: clk.now, Defaults: ChannelConfig{
		SegmentDuration: trackfile.Rational{Num: 2, Den: 1}, StoragePeriod: 10 * time.Second}})
	srvB := httptest.NewServer(b.Handler())
	defer srvB.Close()
	postB := func(path string, body []byte) {
		resp, err := http.Post(srvB.URL+path, "video/mp4", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("archiver B: %s: %s", path, resp.Status)
		}
	}
	sendHeader(r)
	postB("/ingest/ch1/a/init.cmfa", tr.Header())
	var segs [][]byte
	for i := int64(0); i < periodN; i++ {
		segs = append(segs, segAt(n0+i))
		r.mustSend("POST", "/ingest/ch1/a/1.cmfa", segs[i])
		postB("/ingest/ch1/a/1.cmfa", segs[i])
	}
	if got := r.count("ch1", "a", ResultStaged); got != periodN {
		t.Fatalf("archiver A staged %v segments, want all %d", got, periodN)
	}
	// A is gone before finalizing: B finalizes from what it was told.
	b.FinalizeDue(context.Background())
	checkTrackFile(t, r, fmt.Sprintf("ch1/a/%d.cmfa", k0), segs, n0)
}
