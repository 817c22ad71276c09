package netguard

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// echoServer serves a guarded handler that reads the whole body and
// answers 200 with its length, or 408 when the guard cut it. It returns
// the server and a channel of the handlers' results.
func echoServer(t *testing.T, o Options) (*httptest.Server, chan error) {
	t.Helper()
	results := make(chan error, 16)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, err := io.Copy(io.Discard, r.Body)
		results <- err
		var se *SlowBodyError
		if errors.As(err, &se) {
			http.Error(w, err.Error(), http.StatusRequestTimeout)
			return
		}
		fmt.Fprint(w, n)
	})
	o.IsMedia = func(r *http.Request) bool { return strings.HasPrefix(r.URL.Path, "/media") }
	srv := httptest.NewServer(New(&o).Handler(h))
	t.Cleanup(srv.Close)
	return srv, results
}

// rawPost opens a connection and sends the head of a chunked POST.
func rawPost(t *testing.T, srv *httptest.Server, path string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	fmt.Fprintf(c, "POST %s HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n", path)
	return c
}

func chunk(c net.Conn, b []byte) error {
	_, err := fmt.Fprintf(c, "%x\r\n%s\r\n", len(b), b)
	return err
}

// status reads the response status of c (0 if the connection closed
// without one), within 10 s.
func status(c net.Conn) int {
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

var fast = Options{MinRate: 1000, RateWindow: 400 * time.Millisecond, StallTimeout: 1500 * time.Millisecond,
	WriteTimeout: 400 * time.Millisecond}

// TestGuardCutsSlowBody: a body trickling at 10 bytes/s against 1000 B/s
// is cut within about one window and answered 408.
func TestGuardCutsSlowBody(t *testing.T) {
	srv, results := echoServer(t, fast)
	c := rawPost(t, srv, "/other")
	began := time.Now()
	go func() {
		for range 50 {
			if chunk(c, []byte("x")) != nil {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
	}()
	err := <-results
	took := time.Since(began)
	var se *SlowBodyError
	if !errors.As(err, &se) || se.Reason != ReasonRate {
		t.Fatalf("handler read: %v, want a rate cut", err)
	}
	if took > 2*time.Second {
		t.Errorf("cut after %v, want about the 400ms window", took)
	}
	if st := status(c); st != http.StatusRequestTimeout {
		t.Errorf("status %d, want 408", st)
	}
}

// TestGuardKeepsBodyThatSends: a chunked body at 10 kB/s for ten windows
// lives to its end.
func TestGuardKeepsBodyThatSends(t *testing.T) {
	srv, results := echoServer(t, fast)
	c := rawPost(t, srv, "/other")
	end := time.Now().Add(4 * time.Second)
	for time.Now().Before(end) {
		if err := chunk(c, make([]byte, 500)); err != nil {
			t.Fatal(err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	fmt.Fprint(c, "0\r\n\r\n")
	if err := <-results; err != nil {
		t.Fatalf("handler read: %v", err)
	}
	if st := status(c); st != http.StatusOK {
		t.Errorf("status %d, want 200", st)
	}
}

// TestGuardMediaPauses: a media body may pause between boxes (for longer
// than the window, less than the stall timeout), not inside one; and a
// body whose declared bytes never come is cut.
func TestGuardMediaPauses(t *testing.T) {
	srv, results := echoServer(t, fast)
	c := rawPost(t, srv, "/media")
	for range 3 {
		if err := chunk(c, box("moof", 200, false)); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Second) // 2.5 windows, between boxes
	}
	fmt.Fprint(c, "0\r\n\r\n")
	if err := <-results; err != nil {
		t.Fatalf("pauses between boxes: %v", err)
	}
	status(c)

	c = rawPost(t, srv, "/media")
	b := box("mdat", 5000, false)
	chunk(c, b[:3000]) // and the rest never comes
	err := <-results
	var se *SlowBodyError
	if !errors.As(err, &se) || se.Reason != ReasonRate || se.Read != 3000 {
		t.Fatalf("stalled mid-box: %v", err)
	}
	if st := status(c); st != http.StatusRequestTimeout {
		t.Errorf("status %d, want 408", st)
	}

	// Content-Length: 1000 and nothing.
	d, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	fmt.Fprint(d, "POST /media HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n")
	if err := <-results; !errors.As(err, &se) {
		t.Fatalf("body that never comes: %v", err)
	}
	if st := status(d); st != http.StatusRequestTimeout {
		t.Errorf("status %d, want 408", st)
	}
}

// TestGuardWriteTimeout: a client that stops reading a long response is
// cut WriteTimeout after the writes block; one that reads gets it all.
func TestGuardWriteTimeout(t *testing.T) {
	written := make(chan error, 2)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		buf := make([]byte, 64<<10)
		var err error
		for range 1024 { // 64 MiB
			if _, err = w.Write(buf); err != nil {
				break
			}
		}
		written <- err
	})
	srv := httptest.NewServer(New(&fast).Handler(h))
	defer srv.Close()
	c, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fmt.Fprint(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	select {
	case err := <-written:
		if err == nil {
			t.Fatal("64 MiB written to a client that reads nothing")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the handler's writes to a client that reads nothing did not time out")
	}
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	n, err := io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if err != nil || n != 64<<20 || <-written != nil {
		t.Errorf("reading client got %d bytes, %v", n, err)
	}
}

// TestGuardNoStaleWriteDeadline: a request that answers late (an ingest
// request answers when its body is in) is not cut by the write deadline
// that the response before it on the same connection left.
func TestGuardNoStaleWriteDeadline(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		fmt.Fprint(w, "done")
	})
	srv := httptest.NewServer(New(&fast).Handler(h))
	defer srv.Close()
	c, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	br := bufio.NewReader(c)
	fmt.Fprint(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	// A body that takes three write timeouts to arrive.
	fmt.Fprint(c, "POST /media HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
	for range 12 {
		chunk(c, make([]byte, 500))
		time.Sleep(100 * time.Millisecond)
	}
	fmt.Fprint(c, "0\r\n\r\n")
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	resp, err = http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("the late answer was lost: %v", err)
	}
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || string(b) != "done" {
		t.Errorf("late answer: %d %q", resp.StatusCode, b)
	}
}
