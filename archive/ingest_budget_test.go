package archive

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/reapd/reapd/trackfile/trackfiletest"
)

const g = budgetGranule

// newTestBudget is a budget that counts each byte once.
func newTestBudget(limit int64) *ingestBudget {
	b := newIngestBudget(limit, prometheus.NewGauge(prometheus.GaugeOpts{Name: "held"}))
	b.perByte = 1
	return b
}

// TestIngestBudgetCountsBufferGrowth: the real budget counts a byte read
// as memoryPerByte bytes of memory.
func TestIngestBudgetCountsBufferGrowth(t *testing.T) {
	b := newIngestBudget(4*g, prometheus.NewGauge(prometheus.GaugeOpts{Name: "held"}))
	for _, tc := range []struct {
		size int64
		fail bool
	}{{2*g - 1, false}, {2 * g, false}, {2*g + 1, true}} {
		bb, err := newBudgetBody(bytes.NewReader(make([]byte, tc.size)), b, g, 0)
		if err != nil {
			t.Fatal(err)
		}
		_, err = io.Copy(io.Discard, bb)
		if fail := errors.Is(err, ErrOverBudget); fail != tc.fail {
			t.Errorf("%d bytes in a budget of %d: %v", tc.size, 4*g, err)
		}
		if got := testutil.ToFloat64(b.gauge); got != 4*g {
			t.Errorf("%d bytes: gauge %v, want %d", tc.size, got, 4*g)
		}
		bb.close()
	}
}

// TestIngestBudgetEdges: reservations up to the limit succeed, one byte
// more fails and reserves nothing.
func TestIngestBudgetEdges(t *testing.T) {
	const limit = 10 * g
	b := newTestBudget(limit)
	if !b.acquire(limit - 1) {
		t.Fatal("limit − 1 refused")
	}
	if !b.acquire(1) {
		t.Fatal("exactly the limit refused")
	}
	if b.acquire(1) {
		t.Fatal("limit + 1 granted")
	}
	if got := b.used.Load(); got != limit {
		t.Errorf("used %d after a refusal, want %d", got, limit)
	}
	b.release(limit)
	if got := b.acquireUpTo(limit + 1); got != limit {
		t.Errorf("acquireUpTo(limit + 1) = %d, want the limit", got)
	}
	if got := b.acquireUpTo(1); got != 0 {
		t.Errorf("acquireUpTo(1) at the limit = %d", got)
	}
	b.release(limit)
	if b.acquire(limit+1) || b.used.Load() != 0 {
		t.Errorf("limit + 1 at once granted, or left %d reserved", b.used.Load())
	}
	if got := testutil.ToFloat64(b.gauge); got != 0 {
		t.Errorf("gauge %v after release, want 0", got)
	}
}

// TestBudgetBodyEdges reads a body through a budget of 4 granules: bytes
// up to the limit are read, the first byte past it fails with a 503
// ErrOverBudget, and the reservation follows what was read, in granules.
func TestBudgetBodyEdges(t *testing.T) {
	for _, tc := range []struct {
		size int64
		fail bool
	}{
		{4*g - 1, false},
		{4 * g, false},
		{4*g + 1, true},
	} {
		b := newTestBudget(4 * g)
		bb, err := newBudgetBody(bytes.NewReader(make([]byte, tc.size)), b, g, 0)
		if err != nil {
			t.Fatal(err)
		}
		n, err := io.Copy(io.Discard, bb)
		if tc.fail {
			if !errors.Is(err, ErrOverBudget) || statusOf(err) != http.StatusServiceUnavailable || n != 4*g {
				t.Errorf("%d bytes: read %d, %v; want 4 granules then a 503 ErrOverBudget", tc.size, n, err)
			}
		} else if err != nil || n != tc.size {
			t.Errorf("%d bytes: read %d, %v", tc.size, n, err)
		}
		if got := b.used.Load(); got != 4*g {
			t.Errorf("%d bytes: %d reserved, want 4 granules", tc.size, got)
		}
		bb.close()
		if b.used.Load() != 0 {
			t.Errorf("%d bytes: %d reserved after close", tc.size, b.used.Load())
		}
	}
}

// TestBudgetBodyRelease: bytes released (a staged segment) return their
// reservation, so a long body within the budget reads on; without
// releases, a Streams() body is held to maxHeld.
func TestBudgetBodyRelease(t *testing.T) {
	b := newTestBudget(3 * g)
	bb, err := newBudgetBody(bytes.NewReader(make([]byte, 20*g)), b, g, 0)
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, g)
	for i := 0; i < 20; i++ {
		if _, err := io.ReadFull(bb, buf); err != nil {
			t.Fatalf("segment %d: %v", i, err)
		}
		releaseHeld(bb, g)
		if bb.held != 0 || b.used.Load() != 0 {
			t.Fatalf("after release %d: held %d, reserved %d", i, bb.held, b.used.Load())
		}
	}
	releaseHeld(strings.NewReader("x"), 1) // other readers: nothing to do

	s, err := newBudgetBody(bytes.NewReader(make([]byte, 20*g)), b, g, 2*g)
	if err != nil {
		t.Fatal(err)
	}
	if n, err := io.Copy(io.Discard, s); err != nil || n != 20*g {
		t.Fatalf("Streams() body: %d, %v", n, err)
	}
	if got := b.used.Load(); got != 2*g {
		t.Errorf("Streams() body reserved %d, want maxHeld %d", got, 2*g)
	}
	// A second body cannot get past the remaining granule.
	other, err := newBudgetBody(bytes.NewReader(make([]byte, 2*g)), b, g, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(io.Discard, other); !errors.Is(err, ErrOverBudget) {
		t.Errorf("second body over the rest of the budget: %v", err)
	}
	other.close()
	s.close()
	if _, err := newBudgetBody(strings.NewReader(""), b, 4*g, 0); !errors.Is(err, ErrOverBudget) {
		t.Errorf("up-front reservation over the limit: %v", err)
	}
	if b.used.Load() != 0 {
		t.Errorf("%d left reserved", b.used.Load())
	}
}

// TestIngestOverBudgetAnswers503: while one request holds most of the
// budget (a segment half received), a new one is answered 503 with
// Retry-After at once and counted; once the first is done, it goes
// through, and nothing is left held.
func TestIngestOverBudgetAnswers503(t *testing.T) {
	// 2 MiB of memory: 1 MiB of body bytes.
	r := newRig(t, &Options{IngestMemory: 2 << 20, MaxSegmentBytes: 4 << 20}, nil)
	sendHeader(r)
	// A segment with a 3 MiB mdat, of which 900 KiB are sent.
	seg := segAt(n0)
	big := append([]byte(nil), seg[:trackfiletest.BoxOffset(seg, "mdat")]...)
	mdat := make([]byte, 3<<20)
	mdat[1], mdat[4], mdat[5], mdat[6], mdat[7] = 0x30, 'm', 'd', 'a', 't'
	big = append(big, mdat...)
	conn, err := net.Dial("tcp", strings.TrimPrefix(r.srv.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /ingest/ch1/a/1.cmfa HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n", len(big))
	conn.Write(big[:900<<10])
	held := func() float64 { return testutil.ToFloat64(r.a.metrics.IngestHeld) }
	deadline := time.Now().Add(5 * time.Second)
	for held() < memoryPerByte*900<<10 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if held() < memoryPerByte*900<<10 {
		t.Fatalf("held %v bytes, want the memory of the 900 KiB received", held())
	}
	req, _ := http.NewRequest("POST", r.srv.URL+"/ingest/ch1/a/1.cmfa", bytes.NewReader(segAt(n0+1)))
	resp, err := r.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
		t.Errorf("new request over the budget: %d, Retry-After %q; want 503 with Retry-After", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	if got := testutil.ToFloat64(r.a.metrics.OverBudget.WithLabelValues("ch1")); got != 1 {
		t.Errorf("over-budget counter %v, want 1", got)
	}
	conn.Close() // the first request ends (cut): its bytes are released
	deadline = time.Now().Add(5 * time.Second)
	for held() != 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if held() != 0 {
		t.Fatalf("%v bytes still held after the request ended", held())
	}
	r.mustSend("POST", "/ingest/ch1/a/1.cmfa", segAt(n0+1))
	if held() != 0 {
		t.Errorf("%v bytes held after a staged segment", held())
	}
}

// TestContentLengthOverLimitRefusedUnread: a declared body over the
// segment limit (limit + 1) is answered 413 before any of it is sent;
// at the limit and below, the body is read (and here refused for what it
// is, 415).
func TestContentLengthOverLimitRefusedUnread(t *testing.T) {
	const limit = 1 << 20
	r := newRig(t, &Options{MaxSegmentBytes: limit}, nil)
	sendHeader(r)
	for _, tc := range []struct {
		length int
		send   bool
		want   string
	}{{limit - 1, true, "415"}, {limit, true, "415"}, {limit + 1, false, "413"}} {
		conn, err := net.Dial("tcp", strings.TrimPrefix(r.srv.URL, "http://"))
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(conn, "POST /ingest/ch1/a/1.cmfa HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n", tc.length)
		if tc.send {
			conn.Write(bytes.Repeat([]byte("x"), tc.length))
		}
		conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		line := make([]byte, 12)
		if _, err := io.ReadFull(conn, line); err != nil || !strings.HasSuffix(string(line), tc.want) {
			t.Errorf("Content-Length %d: %q, %v; want %s", tc.length, line, err, tc.want)
		}
		conn.Close()
	}
}

// TestIngestMemoryForEdges: a body of maxSegment bytes fits in
// IngestMemoryFor(maxSegment), not in a budget one body byte smaller.
func TestIngestMemoryForEdges(t *testing.T) {
	const maxSeg = 5*g + 123
	for _, tc := range []struct {
		limit int64
		fits  bool
	}{
		{IngestMemoryFor(maxSeg) + memoryPerByte, true},
		{IngestMemoryFor(maxSeg), true},
		{memoryPerByte*maxSeg - 1, false},
	} {
		b := newIngestBudget(tc.limit, prometheus.NewGauge(prometheus.GaugeOpts{Name: "held"}))
		bb, err := newBudgetBody(bytes.NewReader(make([]byte, maxSeg)), b, g, 0)
		if err != nil {
			t.Fatal(err)
		}
		n, err := io.Copy(io.Discard, bb)
		if fits := err == nil && n == maxSeg; fits != tc.fits {
			t.Errorf("budget %d: read %d of %d, %v; want fits=%v", tc.limit, n, maxSeg, err, tc.fits)
		}
		bb.close()
	}
}
