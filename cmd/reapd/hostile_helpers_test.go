package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/reapd/reapd/trackfile/trackfiletest"
)

var (
	plainOnce sync.Once
	plainPath string
	plainErr  error
)

// plainBin returns a reapd binary built without the race detector, whose
// memory use is what production sees (the race detector's shadow memory
// multiplies it): reapdBin, or under -race a second build.
func plainBin(t *testing.T) string {
	t.Helper()
	if !raceEnabled {
		return reapdBin
	}
	plainOnce.Do(func() {
		plainPath = filepath.Join(filepath.Dir(reapdBin), "reapd-norace")
		out, err := exec.Command("go", "build", "-o", plainPath, ".").CombinedOutput()
		if err != nil {
			plainErr = fmt.Errorf("build reapd without -race: %v\n%s", err, out)
		}
	})
	if plainErr != nil {
		t.Fatal(plainErr)
	}
	return plainPath
}

// peakRSS returns the peak resident set size (VmHWM) of process pid, in
// bytes.
func peakRSS(t *testing.T, pid int) int64 {
	t.Helper()
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.SplitSeq(string(raw), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			if err != nil {
				t.Fatalf("VmHWM %q: %v", v, err)
			}
			return kb << 10
		}
	}
	t.Fatal("no VmHWM in /proc/PID/status")
	return 0
}

// resetPeakRSS resets VmHWM to the current RSS (Linux clear_refs 5).
func resetPeakRSS(t *testing.T, pid int) {
	t.Helper()
	if err := os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", pid), []byte("5"), 0); err != nil {
		t.Fatalf("reset peak RSS: %v", err)
	}
}

// healthy reports whether reapd answers /healthz on a new connection.
func healthy(addr string) bool {
	c := http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := c.Get("http://" + addr + "/healthz")
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// dialRaw opens a TCP connection to addr, closed when the test ends.
func dialRaw(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// ending is how a connection ended: the status of the answer reapd sent
// before closing it (0 for none) and when it was closed.
type ending struct {
	status int
	at     time.Time
	closed bool // by the server (EOF or reset), not by the wait's deadline
}

// awaitEnd reads from c until the server closes it or the deadline
// passes, and returns the status of the answer it read, if any.
func awaitEnd(c net.Conn, deadline time.Time) ending {
	_ = c.SetReadDeadline(deadline)
	var got bytes.Buffer
	buf := make([]byte, 4096)
	for {
		n, err := c.Read(buf)
		got.Write(buf[:n])
		if err != nil {
			e := ending{at: time.Now()}
			var ne net.Error
			e.closed = !(errors.As(err, &ne) && ne.Timeout())
			if resp, rerr := http.ReadResponse(bufio.NewReader(&got), nil); rerr == nil {
				e.status = resp.StatusCode
			}
			return e
		}
	}
}

// chunkHead starts a chunked POST of path on c.
func chunkHead(c net.Conn, path string) error {
	_, err := fmt.Fprintf(c, "POST %s HTTP/1.1\r\nHost: reapd\r\nTransfer-Encoding: chunked\r\n\r\n", path)
	return err
}

// lengthHead starts a POST of path with a Content-Length on c.
func lengthHead(c net.Conn, path string, length int) error {
	_, err := fmt.Fprintf(c, "POST %s HTTP/1.1\r\nHost: reapd\r\nContent-Length: %d\r\n\r\n", path, length)
	return err
}

// bigSegment returns the moof of a real segment followed by the header of
// an mdat box making the segment size bytes long (its payload not
// included): a body to send partly.
func bigSegment(seg []byte, size int) []byte {
	at := trackfiletest.BoxOffset(seg, "mdat")
	head := append([]byte(nil), seg[:at]...)
	mdat := size - at
	return append(head, byte(mdat>>24), byte(mdat>>16), byte(mdat>>8), byte(mdat), 'm', 'd', 'a', 't')
}

// newReader is a bufio.Reader on c.
func newReader(c net.Conn) *bufio.Reader { return bufio.NewReader(c) }
