package archive

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/reapd/reapd/blobstore"
	"github.com/reapd/reapd/trackfile"
)

// bigSegAt is a segment of bigTrack (300 KB, so spooled) for grid index n.
func bigSegAt(n int64) []byte {
	return bigTrack.Segment(uint64(n)*bigTrack.SegmentTicks(), uint32(n+1), "cmfs")
}

// spoolRig is a rig on a file store in a temporary directory, which it
// returns too; fault, when set, is the store's Fault hook.
func spoolRig(t *testing.T, fault func(op blobstore.Op, key string) error) (*rig, string) {
	t.Helper()
	return spoolRigWith(t, nil, fault)
}

// spoolRigWith is spoolRig with archiver options.
func spoolRigWith(t *testing.T, opts *Options, fault func(op blobstore.Op, key string) error) (*rig, string) {
	t.Helper()
	dir := t.TempDir()
	st, err := blobstore.Open(context.Background(), "file://"+dir, &blobstore.Options{Fault: fault, MaxAttempts: 1})
	if err != nil {
		t.Fatal(err)
	}
	r := newStoreRig(t, st, opts)
	r.mustSend("POST", "/ingest/ch1/a/init.cmfa", bigTrack.Header())
	return r, filepath.Join(dir, "ch1", "a", "live")
}

// temps returns the temporary files in a staging directory, with their sizes.
func temps(t *testing.T, dir string) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	es, err := os.ReadDir(dir)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	for _, e := range es {
		if _, err := trackfile.ParseStagedKey(e.Name()); err == nil || strings.HasSuffix(e.Name(), ".hdr") {
			continue
		}
		info, err := e.Info()
		if err != nil {
			t.Fatal(err)
		}
		out[e.Name()] = info.Size()
	}
	return out
}

// TestSpooledIngest: on a file store, a segment PUT with its length goes
// to the disk as it arrives (all of it sent but its last bytes, all but
// at most a granule of the ingest budget is in a temporary file in the
// track's staging directory), is staged byte for
// byte, and leaves no temporary file; a redundant copy is a duplicate,
// and one that differs is found out as with a segment held in memory.
func TestSpooledIngest(t *testing.T) {
	r, dir := spoolRig(t, nil)
	seg := bigSegAt(n0)
	pr, pw := io.Pipe()
	req, err := http.NewRequest("PUT", r.srv.URL+"/ingest/ch1/a/1.cmfa", pr)
	if err != nil {
		t.Fatal(err)
	}
	req.ContentLength = int64(len(seg))
	t.Cleanup(func() { _ = pw.Close() })
	answered := make(chan *http.Response, 1)
	go func() {
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Error(err)
		}
		answered <- resp
	}()
	half := len(seg) - 1000 // all but the end
	if _, err := pw.Write(seg[:half]); err != nil {
		t.Fatal(err)
	}
	// What was sent is on disk, but for a granule at most, while the end
	// has not been sent.
	for deadline := time.Now().Add(30 * time.Second); ; {
		spooled := int64(0)
		for _, n := range temps(t, dir) {
			spooled = max(spooled, n)
		}
		if spooled >= int64(half-budgetGranule) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d bytes of the body sent, %d bytes spooled", half, spooled)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if _, err := pw.Write(seg[half:]); err != nil {
		t.Fatal(err)
	}
	_ = pw.Close()
	if resp := <-answered; resp == nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("PUT answered %v", resp)
	}
	staged := r.staged("ch1", "a")
	if len(staged) != 1 || !bytes.Equal(staged[stagedAt(n0)], seg) {
		t.Fatalf("staged %d objects; the segment staged as sent: %v", len(staged), bytes.Equal(staged[stagedAt(n0)], seg))
	}
	if left := temps(t, dir); len(left) != 0 {
		t.Errorf("temporary files left: %v", left)
	}
	r.mustSend("PUT", "/ingest/ch1/a/1.cmfa", seg)
	if n := r.count("ch1", "a", ResultDuplicate); n != 1 {
		t.Errorf("%v duplicates counted, want 1", n)
	}
	other := append([]byte(nil), seg...)
	other[len(other)-1] ^= 1 // the last media byte differs
	r.mustSend("PUT", "/ingest/ch1/a/1.cmfa", other)
	if n := testutil.ToFloat64(r.a.metrics.DupMismatch.WithLabelValues("ch1", "a")); n != 1 {
		t.Errorf("a copy that differs in its last byte: %v mismatches counted, want 1", n)
	}
	if left := temps(t, dir); len(left) != 0 {
		t.Errorf("temporary files left after duplicates: %v", left)
	}
	if held := testutil.ToFloat64(r.a.metrics.IngestHeld); held != 0 {
		t.Errorf("%v bytes of the budget held after the requests", held)
	}
}

// TestSpooledIngestFailures: a store that fails the create answers 503 and
// a later copy stages; a body cut short stages nothing; neither leaves a
// temporary file. A body of two segments, a large one last, is not one
// segment's head and stages both.
func TestSpooledIngestFailures(t *testing.T) {
	var failing atomic.Bool
	r, dir := spoolRig(t, func(op blobstore.Op, key string) error {
		if op == blobstore.OpCreate && failing.Load() && strings.Contains(key, "/live/") {
			return errors.New("disk on fire")
		}
		return nil
	})
	seg := bigSegAt(n0)
	failing.Store(true)
	if code, _ := r.send("PUT", "/ingest/ch1/a/1.cmfa", seg); code != http.StatusServiceUnavailable {
		t.Errorf("store failing: %d, want 503", code)
	}
	failing.Store(false)
	r.mustSend("PUT", "/ingest/ch1/a/1.cmfa", seg)
	if staged := r.staged("ch1", "a"); !bytes.Equal(staged[stagedAt(n0)], seg) {
		t.Errorf("the copy after the failure was not staged")
	}
	req, err := http.NewRequest("PUT", r.srv.URL+"/ingest/ch1/a/2.cmfa", io.MultiReader(bytes.NewReader(bigSegAt(n0 + 1)[:100000]), iotestErr{}))
	if err != nil {
		t.Fatal(err)
	}
	req.ContentLength = int64(len(seg))
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
	}
	small := segAt(n0 + 2)
	r.mustSend("PUT", "/ingest/ch1/a/3.cmfa", append(append([]byte(nil), small...), bigSegAt(n0+3)...))
	staged := r.staged("ch1", "a")
	if _, ok := staged[stagedAt(n0+1)]; ok {
		t.Errorf("a cut body was staged")
	}
	if !bytes.Equal(staged[stagedAt(n0+2)], small) || !bytes.Equal(staged[stagedAt(n0+3)], bigSegAt(n0+3)) {
		t.Errorf("a body of two segments: staged %d objects, not both segments", len(staged))
	}
	// The cut request's handler may still be closing its spool.
	for deadline := time.Now().Add(30 * time.Second); len(temps(t, dir)) != 0; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("temporary files left: %v", temps(t, dir))
		}
	}
	if held := testutil.ToFloat64(r.a.metrics.IngestHeld); held != 0 {
		t.Errorf("%v bytes of the budget held after the requests", held)
	}
}

// iotestErr fails a read: a client whose body breaks off.
type iotestErr struct{}

func (iotestErr) Read([]byte) (int, error) { return 0, errors.New("connection reset") }

// TestSpooledIngestOnAHangingDisk: a spool write that does not return (a
// disk that hangs) is answered 503 with Retry-After within the store's
// attempt timeout, not held; once the disk answers, the retry is staged
// and the abandoned spool leaves no temporary file.
func TestSpooledIngestOnAHangingDisk(t *testing.T) {
	var hang atomic.Bool
	release := make(chan struct{})
	r, dir := spoolRigWith(t, &Options{StoreAttemptTimeout: 300 * time.Millisecond, StoreTimeout: time.Minute},
		func(op blobstore.Op, key string) error {
			if op == blobstore.OpCreate && key == "ch1/a/live/" && hang.Load() {
				<-release
			}
			return nil
		})
	var once sync.Once
	free := func() { once.Do(func() { close(release) }) }
	t.Cleanup(free) // before the rig's: its server waits for the handlers
	seg := bigSegAt(n0)
	hang.Store(true)
	start := time.Now()
	req, err := http.NewRequest("PUT", r.srv.URL+"/ingest/ch1/a/1.cmfa", bytes.NewReader(seg))
	if err != nil {
		t.Fatal(err)
	}
	client := &http.Client{Timeout: 20 * time.Second}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("segment on a hanging disk: %v (after %v)", err, time.Since(start))
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("segment on a hanging disk: %d, Retry-After %q; want 503 with Retry-After", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Fatalf("answered after %v, want about the 300 ms attempt timeout", took)
	}
	hang.Store(false)
	free()
	r.mustSend("PUT", "/ingest/ch1/a/1.cmfa", seg) // the encoder's retry
	if staged := r.staged("ch1", "a"); !bytes.Equal(staged[stagedAt(n0)], seg) {
		t.Fatalf("segment not staged after the retry: %v", r.keys())
	}
	for deadline := time.Now().Add(30 * time.Second); len(temps(t, dir)) != 0; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("temporary files left: %v", temps(t, dir))
		}
	}
}
