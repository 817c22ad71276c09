package main

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/reapd/reapd/blobstore/blobstoretest"
)

// outageLength is how long the S3 server is down (issue 5, acceptance 3).
const outageLength = 30 * time.Second

// TestS3OutageDuringIngest stops the S3 server (versitygw) for 30 s in the
// middle of ingest, right after a storage period became complete. The
// encoder gets 503 with Retry-After, quickly, waits and sends again; the
// finalizer fails and retries by itself. Once the server is back, the
// archive is complete — every segment in exactly one storage track file —
// and identical to a single-instance run without outage.
func TestS3OutageDuringIngest(t *testing.T) {
	srv := blobstoretest.StartS3(t)
	p := startReapdEnv(t, srv.URL(), nil, completeFlags...)
	in := newInputAt(4, pastN0())
	enc := &encoder{}
	tracks := []string{"a", "b"}
	for _, name := range tracks {
		if code, err := enc.send(p.addr, in.header(name), in.tracks[name].Header()); code != http.StatusOK {
			t.Fatalf("header %s: %v", name, err)
		}
	}
	sendFrom := func(from, to int) error {
		for j := from; j < to; j++ {
			for _, name := range tracks {
				if _, err := enc.send(p.addr, in.path(name), in.segs[name][j]); err != nil {
					return err
				}
			}
		}
		return nil
	}
	// Period 0 complete; the store goes away at once, before the
	// finalizer (every 500 ms) is through with it.
	if err := sendFrom(0, 5); err != nil {
		t.Fatal(err)
	}
	srv.Stop(t)
	down := time.Now()
	done := make(chan error, 1)
	go func() { done <- sendFrom(5, len(in.segs["a"])) }()

	time.Sleep(outageLength / 2)
	if code := get(p.addr, "/readyz"); code != http.StatusServiceUnavailable {
		t.Errorf("/readyz during the outage: %d, want 503", code)
	}
	time.Sleep(time.Until(down.Add(outageLength)))
	srv.Start(t)
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("encoder: %v\n%s", err, tailLogs(p))
		}
	case <-time.After(time.Minute):
		t.Fatalf("encoder did not get through after the outage\n%s", tailLogs(p))
	}
	refusals, slowest, noRetryAfter := enc.stats()
	t.Logf("encoder: %d answers 503, the slowest after %v", refusals, slowest)
	if refusals < 5 {
		t.Errorf("only %d answers 503 during a %v outage", refusals, outageLength)
	}
	if noRetryAfter > 0 {
		t.Errorf("%d answers 503 without Retry-After", noRetryAfter)
	}
	if slowest > 3*time.Second {
		t.Errorf("reapd took %v to answer 503 while the store was down, want at most 3 s", slowest)
	}

	st := openStore(t, srv.URL())
	var sums map[string][32]byte
	if !poll(60*time.Second, func() bool { s, done := archiveSums(st); sums = s; return done }) {
		t.Fatalf("not finalized after the outage: %v\n%s", sortedKeys(sums), tailLogs(p))
	}
	if !strings.Contains(p.logs.String(), "finalize failed; will retry") {
		t.Errorf("the finalizer never met the outage: the test did not test its recovery")
	}
	count, _, _ := indexedSegments(t, st, "ch1")
	for _, name := range tracks {
		for j := range in.segs[name] {
			if c := count[name][in.n0+int64(j)]; c != 1 {
				t.Errorf("%s n=%d in %d track files, want 1", name, in.n0+int64(j), c)
			}
		}
	}
	checkCatchup(t, p.addr, in)
	wantSameArchive(t, sums, singleInstanceSums(t, in))
	p.stop(t)
}

// get returns the status of a GET (0 when the connection failed).
func get(addr, path string) int {
	c := http.Client{Timeout: 10 * time.Second}
	resp, err := c.Get("http://" + addr + path)
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}
