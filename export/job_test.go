package export_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/reapd/reapd/blobstore"
	"github.com/reapd/reapd/export"
)

// waitJob polls a job until cond holds or the deadline passes.
func waitJob(t *testing.T, svc *export.Service, id string, what string, cond func(export.Job) bool) export.Job {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		j, err := svc.Get(context.Background(), id)
		if err == nil && cond(j) {
			return j
		}
		if time.Now().After(deadline) {
			t.Fatalf("job %s: not %s by the deadline: %+v (err %v)", id, what, j, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func newService(t *testing.T, opts *export.Options) *export.Service {
	t.Helper()
	o := export.Options{Poll: 50 * time.Millisecond, Lease: 3 * time.Second}
	if opts != nil {
		o = *opts
	}
	svc := export.New(fixture(t), &o)
	if err := svc.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = svc.Close(context.Background()) })
	return svc
}

// TestJobAPI runs an hls job into reapd's own store through the HTTP API:
// 201 then 200 for its idempotency key, 409 for that key with another
// window, completion with results served (with Range) under
// /api/exports/{id}/files/, byte for byte what WritePackage writes.
func TestJobAPI(t *testing.T) {
	svc := newService(t, nil)
	srv := httptest.NewServer(svc.Handler())
	defer srv.Close()
	post := func(body string) (int, export.Job) {
		resp, err := http.Post(srv.URL+"/api/exports", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var j export.Job
		_ = json.NewDecoder(resp.Body).Decode(&j)
		return resp.StatusCode, j
	}
	body := fmt.Sprintf(`{"channel":"ch1","start":%d,"end":"%s","format":"hls","idempotency_key":"api-1"}`,
		fixEpoch+2, at(20).Format(time.RFC3339))
	code, j := post(body)
	if code != http.StatusCreated || j.ID == "" {
		t.Fatalf("POST: %d %+v, want 201 with a job", code, j)
	}
	if code, j2 := post(body); code != http.StatusOK || j2.ID != j.ID {
		t.Errorf("POST again: %d %s, want 200 with job %s", code, j2.ID, j.ID)
	}
	if code, _ := post(strings.Replace(body, `"hls"`, `"dash"`, 1)); code != http.StatusConflict {
		t.Errorf("POST with the key and another format: %d, want 409", code)
	}
	if code, _ := post(`{"channel":"ch1","start":"x","end":"y","format":"hls"}`); code != http.StatusBadRequest {
		t.Errorf("POST with bad instants: %d, want 400", code)
	}
	if code, _ := post(strings.Replace(body, `"format"`, `"destination":"file:///tmp/x","format"`, 1)); code != http.StatusBadRequest {
		t.Errorf("POST with a destination the server does not allow: %d, want 400", code)
	}
	if code, _ := post(strings.Replace(body, `"ch1"`, `"nosuch"`, 1)); code != http.StatusNotFound {
		t.Errorf("POST for an unknown channel: %d, want 404", code)
	}
	done := waitJob(t, svc, j.ID, "complete", func(j export.Job) bool { return j.Terminal() })
	if done.State != export.StateComplete || done.Progress != 100 || done.Bytes == 0 {
		t.Fatalf("job ended %+v, want complete at 100%% with bytes", done)
	}
	plan, err := export.MakePlan(context.Background(), fixture(t), "ch1", at(2), at(20), nil)
	if err != nil {
		t.Fatal(err)
	}
	want := export.Destination{Store: fixture(t), Prefix: "want/api-1/"}
	names, err := export.WritePackage(context.Background(), fixture(t), plan, export.FormatHLS, &want, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(done.Results) != len(names) {
		t.Fatalf("results %v, want %d", done.Results, len(names))
	}
	for i, u := range done.Results {
		if u != "/api/exports/"+j.ID+"/files/"+names[i] {
			t.Errorf("result %d = %s, want the files URL of %s", i, u, names[i])
		}
		wantB, _ := fixture(t).Get(context.Background(), want.Prefix+names[i])
		resp, err := http.Get(srv.URL + u)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !bytes.Equal(got, wantB) {
			t.Errorf("GET %s: %d, %d bytes, want 200 with the %d bytes WritePackage writes", u, resp.StatusCode, len(got), len(wantB))
		}
		if strings.HasSuffix(u, ".cmfv") {
			req, _ := http.NewRequest("GET", srv.URL+u, nil)
			req.Header.Set("Range", "bytes=1000-1999")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			part, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusPartialContent || !bytes.Equal(part, wantB[1000:2000]) {
				t.Errorf("Range GET %s: %d, want 206 with bytes 1000-1999", u, resp.StatusCode)
			}
		}
	}
	resp, err := http.Get(srv.URL + "/api/exports?channel=ch1")
	if err != nil {
		t.Fatal(err)
	}
	var list struct{ Exports []export.Job }
	_ = json.NewDecoder(resp.Body).Decode(&list)
	resp.Body.Close()
	found := false
	for _, x := range list.Exports {
		found = found || x.ID == j.ID && x.State == export.StateComplete
	}
	if !found {
		t.Errorf("GET /api/exports lacks the complete job %s: %+v", j.ID, list.Exports)
	}
}

// slowClip is a test ClipWriter (not the real clip builder): it writes
// size deterministic bytes in 1 KiB writes, each after a pause, and can be
// told to stop writing (blocking until its context ends) after a number
// of bytes. It tests the job machinery of "mp4" jobs only: state,
// progress, restart.
type slowClip struct {
	size  int64
	pause time.Duration
}

func (c *slowClip) ClipSize(context.Context, string, time.Time, time.Time, []string) (int64, error) {
	return c.size, nil
}

func (c *slowClip) WriteClip(ctx context.Context, w io.Writer, channel string, start, end time.Time, _ []string) (int64, error) {
	var n int64
	buf := make([]byte, 1024)
	for n < c.size {
		for i := range buf {
			buf[i] = byte((n + int64(i)) % 251)
		}
		select {
		case <-ctx.Done():
			return n, ctx.Err()
		case <-time.After(c.pause):
		}
		m, err := w.Write(buf[:min(int64(len(buf)), c.size-n)])
		n += int64(m)
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

func clipBytes(size int64) []byte {
	b := make([]byte, size)
	for i := range b {
		b[i] = byte(i % 251)
	}
	return b
}

// TestJobResumedByAnotherInstance: an mp4 job (with the test ClipWriter)
// whose instance stops half-way is taken over by a second instance on
// the same store and completes once, with the bytes of an uninterrupted
// run; progress is reported while it runs; a canceled job ends canceled.
func TestJobResumedByAnotherInstance(t *testing.T) {
	clip := &slowClip{size: 200 << 10, pause: 5 * time.Millisecond}
	a := export.New(fixture(t), &export.Options{Poll: 50 * time.Millisecond, Lease: 3 * time.Second, Clip: clip})
	if err := a.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	j, _, err := a.Submit(context.Background(), export.Request{Channel: "ch1", Start: at(0), End: at(10), Format: export.FormatMP4})
	if err != nil {
		t.Fatal(err)
	}
	mid := waitJob(t, a, j.ID, "half-way", func(j export.Job) bool { return j.State == export.StateRunning && j.Progress > 20 })
	if mid.Bytes == 0 {
		t.Errorf("running job reports no bytes: %+v", mid)
	}
	if err := a.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if j, _ := a.Get(context.Background(), j.ID); j.Terminal() {
		t.Fatalf("job ended when its instance stopped: %+v", j)
	}
	b := newService(t, &export.Options{Poll: 50 * time.Millisecond, Lease: 3 * time.Second, Clip: clip})
	done := waitJob(t, b, j.ID, "complete", func(j export.Job) bool { return j.Terminal() })
	if done.State != export.StateComplete || done.Bytes != clip.size {
		t.Fatalf("job ended %+v, want complete with %d bytes", done, clip.size)
	}
	got, err := fixture(t).Get(context.Background(), "ch1/exports/"+j.ID+"/files/clip.mp4")
	if err != nil || !bytes.Equal(got, clipBytes(clip.size)) {
		t.Errorf("clip.mp4: %d bytes (err %v), want the %d bytes of an uninterrupted run", len(got), err, clip.size)
	}

	c, _, err := b.Submit(context.Background(), export.Request{Channel: "ch1", Start: at(0), End: at(12), Format: export.FormatMP4})
	if err != nil {
		t.Fatal(err)
	}
	waitJob(t, b, c.ID, "running", func(j export.Job) bool { return j.State == export.StateRunning })
	if _, err := b.Cancel(context.Background(), c.ID); err != nil {
		t.Fatal(err)
	}
	end := waitJob(t, b, c.ID, "ended", func(j export.Job) bool { return j.Terminal() })
	if end.State != export.StateCanceled {
		t.Errorf("canceled job ended %s", end.State)
	}
	if _, err := fixture(t).Stat(context.Background(), "ch1/exports/"+c.ID+"/files/clip.mp4"); !errors.Is(err, errNotFound) {
		t.Errorf("a canceled clip left a file: %v", err)
	}
}

var errNotFound = blobstore.ErrNotFound

// TestStaleClaimTakenOver: a job whose claim (status.json) was last
// renewed longer than the lease ago — its instance died — is taken over
// and completed by another instance.
func TestStaleClaimTakenOver(t *testing.T) {
	clip := &slowClip{size: 8 << 10}
	dead := export.New(fixture(t), nil) // never started: it only submits
	j, _, err := dead.Submit(context.Background(), export.Request{Channel: "ch1", Start: at(0), End: at(8), Format: export.FormatMP4})
	if err != nil {
		t.Fatal(err)
	}
	stale, _ := json.Marshal(map[string]any{"by": "dead-host/1/x", "at": time.Now().Add(-time.Hour), "progress": 40})
	if err := fixture(t).Create(context.Background(), "ch1/exports/"+j.ID+"/status.json", stale); err != nil {
		t.Fatal(err)
	}
	b := newService(t, &export.Options{Poll: 50 * time.Millisecond, Lease: 2 * time.Second, Clip: clip})
	done := waitJob(t, b, j.ID, "complete", func(j export.Job) bool { return j.Terminal() })
	if done.State != export.StateComplete || done.Bytes != clip.size {
		t.Errorf("job ended %+v, want complete", done)
	}
}

// TestJobResumesAfterStoreOutage: while the store refuses the package's
// writes, a job waits (queued, with the store error) instead of failing,
// and completes once the store is back.
func TestJobResumesAfterStoreOutage(t *testing.T) {
	var down atomic.Bool
	down.Store(true)
	faulty := fixture(t).WithOptions(&blobstore.Options{MaxAttempts: 1, Fault: func(op blobstore.Op, key string) error {
		if down.Load() && op == blobstore.OpCreate && strings.Contains(key, "/files/") {
			return errors.New("injected outage")
		}
		return nil
	}})
	svc := export.New(faulty, &export.Options{Poll: 50 * time.Millisecond, Lease: 3 * time.Second})
	if err := svc.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer svc.Close(context.Background())
	j, _, err := svc.Submit(context.Background(), export.Request{Channel: "ch1", Start: at(0), End: at(6), Format: export.FormatDASH})
	if err != nil {
		t.Fatal(err)
	}
	waiting := waitJob(t, svc, j.ID, "waiting with the store's error", func(j export.Job) bool {
		return j.State == export.StateQueued && strings.Contains(j.Error, "injected outage")
	})
	if waiting.Terminal() {
		t.Fatalf("job ended during the outage: %+v", waiting)
	}
	down.Store(false)
	done := waitJob(t, svc, j.ID, "ended", func(j export.Job) bool { return j.Terminal() })
	if done.State != export.StateComplete || done.Error != "" {
		t.Errorf("job ended %+v, want complete", done)
	}
}
