package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/reapd/reapd/blobstore"
	"github.com/reapd/reapd/trackfile"
)

// reapdBin is the reapd binary built once for the process tests.
var reapdBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "reapd-bin")
	if err != nil {
		panic(err)
	}
	reapdBin = filepath.Join(dir, "reapd")
	args := []string{"build", "-o", reapdBin}
	if raceEnabled {
		args = append(args, "-race")
	}
	if out, err := exec.Command("go", append(args, ".")...).CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build reapd: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// proc is a running reapd process.
type proc struct {
	cmd  *exec.Cmd
	addr string
	logs *syncWriter
}

// startReapd starts "reapd serve" on a free port with extra flags and
// waits until it listens.
func startReapd(t *testing.T, store string, flags ...string) *proc {
	t.Helper()
	return startReapdEnv(t, store, nil, flags...)
}

// startReapdEnv is startReapd with extra environment (store credentials).
func startReapdEnv(t *testing.T, store string, env []string, flags ...string) *proc {
	t.Helper()
	return startReapdBin(t, reapdBin, store, env, flags...)
}

// startReapdBin is startReapdEnv with another reapd binary.
func startReapdBin(t *testing.T, bin, store string, env []string, flags ...string) *proc {
	t.Helper()
	args := append([]string{"serve", "--listen", "127.0.0.1:0", "--store", store, "--log-level", "debug"}, flags...)
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	logs := &syncWriter{}
	cmd.Stderr = logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &proc{cmd: cmd, logs: logs}
	t.Cleanup(func() { p.kill() })
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatalf("reapd did not start: %v\n%s", err, logs)
	}
	go io.Copy(io.Discard, stdout)
	f := strings.Fields(line) // "reapd listening on http://ADDR (store …)"
	if len(f) < 4 {
		t.Fatalf("unexpected first line %q", line)
	}
	p.addr = strings.TrimPrefix(f[3], "http://")
	return p
}

func (p *proc) kill() {
	if p.cmd.ProcessState == nil {
		_ = p.cmd.Process.Signal(syscall.SIGKILL)
		_ = p.cmd.Wait()
	}
}

// stop sends SIGTERM and waits for a graceful exit.
func (p *proc) stop(t *testing.T) {
	t.Helper()
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- p.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("reapd exited with %v after SIGTERM\n%s", err, p.logs)
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("reapd did not stop after SIGTERM")
	}
}

// post sends body and returns the status (0 when the connection failed).
func (p *proc) post(path string, body []byte) int {
	req, _ := http.NewRequest(http.MethodPost, "http://"+p.addr+path, bytes.NewReader(body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// syncWriter is a log buffer safe for the process's stderr copier and the
// test reading it.
type syncWriter struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (s *syncWriter) Write(b []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.Write(b)
}

func (s *syncWriter) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.String()
}

// poll checks cond until it holds (true) or the timeout passes (false).
func poll(d time.Duration, cond func() bool) bool {
	end := time.Now().Add(d)
	for time.Now().Before(end) {
		if cond() {
			return true
		}
		time.Sleep(50 * time.Millisecond)
	}
	return false
}

// openStore opens a store URL for inspection.
func openStore(t *testing.T, url string) *blobstore.Store {
	t.Helper()
	return openStoreEnv(t, url, nil)
}

// openStoreEnv opens a store URL with extra environment (KEY=VALUE).
func openStoreEnv(t *testing.T, url string, env []string) *blobstore.Store {
	t.Helper()
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	st, err := blobstore.Open(context.Background(), url, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// indexedSegments reads every period index of a channel and returns, per
// track and grid slot n of the segment's start time (the index's own grid:
// these tests send one segment per slot), how many track files hold a
// segment there, and where.
func indexedSegments(t *testing.T, st *blobstore.Store, channel string) (map[string]map[int64]int, map[string]map[int64]trackfile.SegmentRef, map[string]map[int64]string) {
	t.Helper()
	ctx := context.Background()
	objs, err := st.List(ctx, trackfile.IndexPrefix(channel))
	if err != nil {
		t.Fatal(err)
	}
	count := map[string]map[int64]int{}
	refs := map[string]map[int64]trackfile.SegmentRef{}
	files := map[string]map[int64]string{}
	for _, o := range objs {
		raw, err := st.Get(ctx, o.Key)
		if err != nil {
			t.Fatal(err)
		}
		idx, err := trackfile.UnmarshalIndex(raw)
		if err != nil {
			t.Fatal(err)
		}
		g := trackfile.Grid{D: idx.SegmentDuration, N: idx.PeriodSegments, Phase: idx.Phase}
		for _, r := range idx.Runs {
			if count[r.Track] == nil {
				count[r.Track], refs[r.Track], files[r.Track] = map[int64]int{}, map[int64]trackfile.SegmentRef{}, map[int64]string{}
			}
			for _, ref := range r.Segments() {
				n := g.SegmentIndex(ref.Time, r.Info.Timescale)
				count[r.Track][n]++
				refs[r.Track][n] = ref
				files[r.Track][n] = r.Key
			}
		}
	}
	return count, refs, files
}
