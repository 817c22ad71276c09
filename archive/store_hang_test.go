package archive

import (
	"bytes"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/reapd/reapd/blobstore"
	"github.com/reapd/reapd/trackfile"
)

// TestHangingStoreAnswers503Quickly: a store that hangs on writing a
// segment (not refusing: the write never returns) is answered 503 with
// Retry-After within StoreAttemptTimeout, not after StoreTimeout; once the
// store answers again, the segment is staged.
func TestHangingStoreAnswers503Quickly(t *testing.T) {
	var hang atomic.Bool
	release := make(chan struct{})
	defer close(release)
	r := newRig(t, &Options{StoreAttemptTimeout: 300 * time.Millisecond, StoreTimeout: time.Minute,
		Defaults: ChannelConfig{SegmentDuration: trackfile.Rational{Num: 2, Den: 1}}},
		&blobstore.Options{Fault: func(op blobstore.Op, key string) error {
			if op == blobstore.OpCreate && strings.Contains(key, "/live/") && strings.HasSuffix(key, ".cmfa") && hang.Load() {
				<-release
			}
			return nil
		}})
	sendHeader(r)
	hang.Store(true)
	req, err := http.NewRequest("POST", r.srv.URL+"/ingest/ch1/a/0.cmfa", bytes.NewReader(segAt(n0)))
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	client := &http.Client{Transport: r.srv.Client().Transport, Timeout: 10 * time.Second}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("segment on a hanging store: %v (after %v)", err, time.Since(start))
	}
	resp.Body.Close()
	took := time.Since(start)
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("segment on a hanging store: %d, Retry-After %q; want 503 with Retry-After", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	if took > 5*time.Second {
		t.Fatalf("answered after %v, want about the 300 ms attempt timeout", took)
	}
	hang.Store(false)
	r.mustSend("POST", "/ingest/ch1/a/0.cmfa", segAt(n0)) // the encoder's retry
	if _, ok := r.staged("ch1", "a")[stagedAt(n0)]; !ok {
		t.Fatalf("segment not staged after the retry: %v", r.keys())
	}
}
