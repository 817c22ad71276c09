package main

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"
)

// rssBound is the peak RSS reapd may reach during any hostile probe: its
// own 50 MiB or so, the ingest memory budget (hostileBudget), and as much
// again as slack for the collector. Measured: 51 MiB for spooled bodies,
// 97 for bodies held in memory (185 to 333 MiB when a body's buffer was
// allocated for its Content-Length before its bytes arrived).
const rssBound = 192 << 20

// The guards' limits, shortened so that the suite runs in about a minute;
// the defaults (--body-rate-window 10s, --idle-timeout 120s, …) differ
// only in scale.
const (
	hostileWindow = 3 * time.Second
	hostileIdle   = 3 * time.Second
	hostileConns  = 64
	hostileBudget = "96MiB"
)

var hostileFlags = []string{
	"--body-rate-window", hostileWindow.String(), "--body-stall-timeout", "6s",
	"--idle-timeout", hostileIdle.String(), "--max-connections", fmt.Sprint(hostileConns),
	"--log-level", "info", "--ingest-memory", hostileBudget,
}

// cutWithin is how long after its last byte a hostile body may stay open:
// the rate window plus scheduling slack.
const cutWithin = hostileWindow + 4*time.Second

// TestHostileClients runs each probe of issue 9 against one reapd process
// (built without the race detector, so that its memory is production's):
// each gets its expected answer or close, reapd still answers /healthz
// afterwards, and its peak RSS stays under rssBound during every probe.
// An encoder's segment still goes through at the end.
func TestHostileClients(t *testing.T) {
	p := startReapdBin(t, plainBin(t), "file://"+t.TempDir(), nil, append(append([]string{}, crashFlags...), hostileFlags...)...)
	pid := p.cmd.Process.Pid
	in := newInputAt(1, pastN0())
	if code := p.post(in.header("a"), in.tracks["a"].Header()); code != http.StatusOK {
		t.Fatalf("header: %d", code)
	}
	probes := []struct {
		name string
		run  func(t *testing.T)
	}{
		{"slow body, 1 byte/s", func(t *testing.T) { probeSlowBody(t, p, in) }},
		{"Content-Length that never arrives", func(t *testing.T) { probeNoBody(t, p, in) }},
		{"body stalled mid-box", func(t *testing.T) { probeStalledMidBox(t, p, in) }},
		{"idle keep-alive", func(t *testing.T) { probeIdleKeepAlive(t, p) }},
		{"too many connections", func(t *testing.T) { probeTooManyConns(t, p) }},
		{"16 × 40 MiB of a 63 MiB segment, spooled", func(t *testing.T) { probeOverBudget(t, p, in, true) }},
		{"16 × 40 MiB of a 63 MiB box, stalled", func(t *testing.T) { probeOverBudget(t, p, in, false) }},
	}
	for _, pr := range probes {
		resetPeakRSS(t, pid)
		t.Run(pr.name, pr.run)
		// Closed connections are let go of as soon as reapd reads their end.
		if !poll(5*time.Second, func() bool { return healthy(p.addr) }) {
			t.Fatalf("after %q: /healthz does not answer\n%s", pr.name, tailLogs(p))
		}
		rss := peakRSS(t, pid)
		t.Logf("%-40s peak RSS %4d MiB", pr.name, rss>>20)
		if rss > rssBound {
			t.Errorf("%s: peak RSS %d MiB, over %d MiB", pr.name, rss>>20, rssBound>>20)
		}
	}
	if code := p.post(in.path("a"), in.segs["a"][0]); code != http.StatusOK {
		t.Errorf("a segment after the probes: %d\n%s", code, tailLogs(p))
	}
}

// probeSlowBody trickles a media body at 1 byte/s: cut with 408 about a
// window after it began.
func probeSlowBody(t *testing.T, p *proc, in *input) {
	c := dialRaw(t, p.addr)
	if err := chunkHead(c, in.path("a")); err != nil {
		t.Fatal(err)
	}
	began := time.Now()
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		seg := in.segs["a"][0]
		for i := 0; i < len(seg); i++ {
			if _, err := c.Write([]byte{'1', '\r', '\n', seg[i], '\r', '\n'}); err != nil {
				return
			}
			select {
			case <-stop:
				return
			case <-time.After(time.Second):
			}
		}
	}()
	e := awaitEnd(c, began.Add(30*time.Second))
	if !e.closed || e.status != http.StatusRequestTimeout {
		t.Fatalf("slow body: closed %v, status %d; want 408 and closed", e.closed, e.status)
	}
	if took := e.at.Sub(began); took > cutWithin {
		t.Errorf("slow body cut after %v, want within %v", took, cutWithin)
	}
}

// probeNoBody declares a body and sends none of it: 408 and closed.
func probeNoBody(t *testing.T, p *proc, in *input) {
	c := dialRaw(t, p.addr)
	if err := lengthHead(c, in.path("a"), 100000); err != nil {
		t.Fatal(err)
	}
	began := time.Now()
	e := awaitEnd(c, began.Add(30*time.Second))
	if !e.closed || e.status != http.StatusRequestTimeout {
		t.Fatalf("no body: closed %v, status %d; want 408 and closed", e.closed, e.status)
	}
	if took := e.at.Sub(began); took > cutWithin {
		t.Errorf("no body: closed after %v, want within %v", took, cutWithin)
	}
}

// probeStalledMidBox sends 4 MiB of an 8 MiB segment and stops: 408 and
// closed a window later.
func probeStalledMidBox(t *testing.T, p *proc, in *input) {
	c := dialRaw(t, p.addr)
	head := bigSegment(in.segs["a"][0], 8<<20)
	if err := lengthHead(c, in.path("a"), 8<<20); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Write(head); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Write(make([]byte, 4<<20-len(head))); err != nil {
		t.Fatal(err)
	}
	stalled := time.Now()
	e := awaitEnd(c, stalled.Add(30*time.Second))
	if !e.closed || e.status != http.StatusRequestTimeout {
		t.Fatalf("stalled body: closed %v, status %d; want 408 and closed", e.closed, e.status)
	}
	if took := e.at.Sub(stalled); took > cutWithin {
		t.Errorf("stalled body closed %v after the stall, want within %v", took, cutWithin)
	}
}

// probeIdleKeepAlive keeps a connection open after one request: closed
// by the server after the idle timeout, not before.
func probeIdleKeepAlive(t *testing.T, p *proc) {
	c := dialRaw(t, p.addr)
	fmt.Fprint(c, "GET /healthz HTTP/1.1\r\nHost: reapd\r\n\r\n")
	answered := time.Now()
	e := awaitEnd(c, answered.Add(30*time.Second))
	if !e.closed || e.status != http.StatusOK {
		t.Fatalf("idle keep-alive: closed %v, status %d; want the 200 answer, then closed", e.closed, e.status)
	}
	if took := e.at.Sub(answered); took < hostileIdle-time.Second || took > hostileIdle+4*time.Second {
		t.Errorf("idle connection closed after %v, want about %v", took, hostileIdle)
	}
}

// probeTooManyConns opens keep-alive connections until reapd refuses one
// (503 with Retry-After, closed): that happens at --max-connections; when
// they close, /healthz is answered again (checked by the caller).
func probeTooManyConns(t *testing.T, p *proc) {
	var open []net.Conn
	defer func() {
		for _, c := range open {
			c.Close()
		}
	}()
	for i := 1; i <= hostileConns+1; i++ {
		c, err := net.Dial("tcp", p.addr)
		if err != nil {
			t.Fatal(err)
		}
		open = append(open, c)
		c.SetDeadline(time.Now().Add(5 * time.Second))
		fmt.Fprint(c, "GET /healthz HTTP/1.1\r\nHost: reapd\r\n\r\n")
		resp, err := http.ReadResponse(newReader(c), nil)
		if err != nil {
			t.Fatalf("connection %d: %v", i, err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			continue
		}
		if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
			t.Fatalf("connection %d: %d Retry-After %q, want 503 with Retry-After", i, resp.StatusCode, resp.Header.Get("Retry-After"))
		}
		if i < hostileConns-1 { // the test's own /healthz connection may linger
			t.Errorf("refused at connection %d, before the cap of %d", i, hostileConns)
		}
		if e := awaitEnd(c, time.Now().Add(5*time.Second)); !e.closed {
			t.Errorf("refused connection not closed")
		}
		return
	}
	t.Fatalf("%d connections open: the cap of %d did not bite", hostileConns+1, hostileConns)
}

// probeOverBudget sends, on 16 connections at once, 40 MiB of a 63 MiB
// body and stalls. A segment whose mdat ends the body is spooled to the
// file store as it arrives (spooled): it holds no memory, and every
// connection is cut with 408 a window after the stall. A body with a box
// after its 63 MiB mdat is held in memory: what the ingest memory budget
// cannot hold is refused with 503, what it holds is cut with 408. Nothing
// is left held.
func probeOverBudget(t *testing.T, p *proc, in *input, spooled bool) {
	const conns, size, sent = 16, 63 << 20, 40 << 20
	head := bigSegment(in.segs["a"][0], size)
	if !spooled {
		head = bigSegment(in.segs["a"][0], size-8) // and an 8-byte box, never sent
	}
	zeros := make([]byte, 1<<20)
	var wg sync.WaitGroup
	endings := make([]ending, conns)
	stalls := make([]time.Time, conns)
	for i := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := net.Dial("tcp", p.addr)
			if err != nil {
				t.Error(err)
				return
			}
			defer c.Close()
			lengthHead(c, in.path("a"), size)
			c.SetWriteDeadline(time.Now().Add(30 * time.Second))
			_, err = c.Write(head)
			for n := len(head); err == nil && n < sent; n += len(zeros) {
				_, err = c.Write(zeros[:min(len(zeros), sent-n)])
			}
			stalls[i] = time.Now()
			endings[i] = awaitEnd(c, time.Now().Add(30*time.Second))
		}()
	}
	wg.Wait()
	refused, cut := 0, 0
	for i, e := range endings {
		switch {
		case !e.closed:
			t.Errorf("connection %d still open 30 s after its stall", i)
		case e.status == http.StatusServiceUnavailable:
			refused++
		case e.status == http.StatusRequestTimeout:
			cut++
			if took := e.at.Sub(stalls[i]); took > cutWithin {
				t.Errorf("connection %d cut %v after its stall, want within %v", i, took, cutWithin)
			}
		default:
			t.Errorf("connection %d: status %d, want 503 or 408", i, e.status)
		}
	}
	t.Logf("%d refused for want of budget (503), %d cut when stalled (408)", refused, cut)
	switch {
	case spooled && refused != 0:
		t.Errorf("%d spooled segments refused for want of memory: they hold none", refused)
	case !spooled && refused == 0:
		t.Errorf("16 × 40 MiB fitted in the ingest memory budget: the probe did not test it")
	}
}
