package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/reapd/reapd/blobstore"
	"github.com/reapd/reapd/trackfile"
)

// TestSIGTERMFinishesInFlightIngest sends SIGTERM to reapd while an
// encoder's long-running chunked POST (Streams(a.cmfa)) is in the middle
// of a storage period: reapd stops accepting connections at once, lets the
// POST finish — its last segments arrive after the signal — and answers it
// 200, flushes the period it completed into a storage track file, and
// exits cleanly.
func TestSIGTERMFinishesInFlightIngest(t *testing.T) {
	store := "file://" + t.TempDir()
	p := startReapd(t, store, append(crashFlags, futureFlags...)...)
	in := newInputAt(1, (time.Now().Unix()+3600)/2/5*5) // one period, due when complete
	segs := in.segs["a"]

	pr, pw := io.Pipe()
	req, _ := http.NewRequest(http.MethodPost, "http://"+p.addr+"/ingest/ch1/Streams(a.cmfa)", pr)
	answer := make(chan int, 1)
	go func() {
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Errorf("in-flight POST: %v", err)
			answer <- 0
			return
		}
		resp.Body.Close()
		answer <- resp.StatusCode
	}()
	write := func(b []byte) {
		if _, err := pw.Write(b); err != nil {
			t.Fatalf("in-flight POST body: %v", err)
		}
	}
	write(in.tracks["a"].Header())
	write(segs[0])
	write(segs[1]) // segment 0 is staged once segment 1 begins
	st := openStore(t, store)
	if !poll(10*time.Second, func() bool { return countStaged(st, "ch1/a/live/") == 1 }) {
		t.Fatalf("first segment of the POST never staged\n%s", tailLogs(p))
	}

	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	refused := poll(5*time.Second, func() bool {
		c, err := net.DialTimeout("tcp", p.addr, time.Second)
		if err != nil {
			return true
		}
		c.Close()
		return false
	})
	if !refused {
		t.Errorf("reapd still accepts connections after SIGTERM")
	}
	for _, s := range segs[2:] {
		time.Sleep(100 * time.Millisecond) // a live encoder's pace, compressed
		write(s)
	}
	pw.Close()
	select {
	case code := <-answer:
		if code != http.StatusOK {
			t.Fatalf("in-flight POST answered %d after SIGTERM, want 200\n%s", code, tailLogs(p))
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("in-flight POST not answered after SIGTERM\n%s", tailLogs(p))
	}
	p.stop(t) // waits for the exit, and fails on a non-zero status

	if n := countStaged(st, "ch1/a/live/"); n != 0 {
		t.Errorf("%d staged objects left: the complete period was not flushed at shutdown", n)
	}
	count, _, _ := indexedSegments(t, st, "ch1")
	for j := range segs {
		if c := count["a"][in.n0+int64(j)]; c != 1 {
			t.Errorf("segment n=%d in %d track files, want 1", in.n0+int64(j), c)
		}
	}
	if _, err := st.Get(context.Background(), trackfile.ArchiveMPDKey("ch1")); err != nil {
		t.Errorf("no archive S-MPD after shutdown: %v", err)
	}
	if !strings.Contains(p.logs.String(), "shutting down") {
		t.Errorf("reapd did not log its graceful shutdown")
	}
}

// countStaged counts the staged media segments under prefix (not the
// header-use markers beside them); -1 when the store cannot be listed.
func countStaged(st *blobstore.Store, prefix string) int {
	objs, err := st.List(context.Background(), prefix)
	if err != nil {
		return -1
	}
	n := 0
	for _, o := range objs {
		if !strings.HasSuffix(o.Key, ".hdr") {
			n++
		}
	}
	return n
}
