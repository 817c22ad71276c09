package netguard

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"testing"
	"time"
)

// TestListenerCap: with a cap of 3, the 2nd and 3rd connections (cap − 1,
// cap) are served, the 4th (cap + 1) is answered 503 with Retry-After and
// closed; once one closes, a new one is served again.
func TestListenerCap(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	m := NewMetrics(nil)
	lim := Limit(ln, 3, m, nil)
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ok") })}
	go srv.Serve(lim)
	defer srv.Close()
	addr := ln.Addr().String()

	var open []net.Conn
	defer func() {
		for _, c := range open {
			c.Close()
		}
	}()
	for i := 1; i <= 4; i++ {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		open = append(open, c)
		st, retry := get(t, c)
		want := http.StatusOK
		if i == 4 {
			want = http.StatusServiceUnavailable
		}
		if st != want {
			t.Fatalf("connection %d: status %d, want %d", i, st, want)
		}
		if i == 4 && retry != "1" {
			t.Errorf("503 without Retry-After: %q", retry)
		}
	}
	if n := lim.Open(); n != 3 {
		t.Errorf("%d connections counted open, want 3", n)
	}
	open[0].Close()
	deadline := time.Now().Add(5 * time.Second)
	for lim.Open() != 2 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	open = append(open, c)
	if st, _ := get(t, c); st != http.StatusOK {
		t.Errorf("after one closed: status %d, want 200", st)
	}
}

// get sends a GET on c and returns the status and Retry-After.
func get(t *testing.T, c net.Conn) (int, string) {
	t.Helper()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	fmt.Fprint(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("no answer: %v", err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, resp.Header.Get("Retry-After")
}
