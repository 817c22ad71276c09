package main

import (
	"io"
	"log/slog"
	"net/http"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
)

// TestPprofServesOnItsOwnListener: --pprof serves the profiles on the
// address it names, and nothing when empty.
func TestPprofServesOnItsOwnListener(t *testing.T) {
	addr, stop, err := startPprof("127.0.0.1:0", slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	resp, err := http.Get("http://" + addr + "/debug/pprof/goroutine?debug=1")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "goroutine profile") {
		t.Fatalf("GET goroutine profile: %d %.80q", resp.StatusCode, body)
	}
	if a, _, err := startPprof("", nil); a != "" || err != nil {
		t.Fatalf("empty --pprof listened on %q (%v)", a, err)
	}
}

// TestDefaultMemoryLimit: without GOMEMLIMIT, the soft limit is the
// ingest budget plus room for the rest.
func TestDefaultMemoryLimit(t *testing.T) {
	t.Setenv("GOMEMLIMIT", "")
	old := debug.SetMemoryLimit(-1)
	defer debug.SetMemoryLimit(old)
	setMemoryLimit(100 << 20)
	if got := debug.SetMemoryLimit(-1); got != 356<<20 {
		t.Fatalf("memory limit %d, want %d", got, 356<<20)
	}
}

// TestDefaultProcs: without GOMAXPROCS in the environment, reapd runs four
// processors per CPU and at least 8 (ingest blocks in file system calls);
// with it, the environment's value stands.
func TestDefaultProcs(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	t.Setenv("GOMAXPROCS", "")
	want := max(8, 4*runtimeProcs)
	if got := setProcs(); got != want || runtime.GOMAXPROCS(0) != want {
		t.Fatalf("GOMAXPROCS %d, want %d", got, want)
	}
	if got := setProcs(); got != want {
		t.Fatalf("a second setProcs made it %d, want %d", got, want)
	}
	runtime.GOMAXPROCS(3)
	t.Setenv("GOMAXPROCS", "3")
	if got := setProcs(); got != 3 {
		t.Fatalf("GOMAXPROCS=3 in the environment, setProcs made it %d", got)
	}
}
