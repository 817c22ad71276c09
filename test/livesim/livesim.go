// Package livesim runs livesim2, DASH-IF's reference live source, as a real
// CMAF-ingest encoder for tests: [Start] starts the binary that
// `make test-deps` builds into .bin/livesim2 (from the module test/peers,
// kept out of reapd's go.mod) on a free loopback port with the test assets
// of its module, and [Server.Push] starts a push (livesim2's
// POST /api/cmaf-ingests) that [Push.Wait] waits for.
//
// # What a push sends
//
// Read from livesim2 v1.9.0 (cmd/livesim2/app/cmaf-ingester.go) and checked
// against a recording server:
//
//   - no ingest MPD; one HTTP PUT per CMAF header and per media segment,
//     for every Representation of the asset's MPD, all tracks of a segment
//     at once (in parallel), each at the segment's availability time, i.e.
//     in real time. Headers DASH-IF-Ingest: 1.1, Content-Type video/mp4 or
//     audio/mp4, DASH-IF-livesim2: its version.
//   - paths {destRoot}/{destName}/{rep}/init.cmf[vat] and
//     {rep}/{number}.cmf[vat], or {rep}/{time}.cmf[vat] when the livesim URL
//     selects a SegmentTimeline with $Time$ (segtimeline_1/...). {rep} is the
//     Representation@id and may contain slashes (dolby-ac4/2997fps:
//     video/avc1, audio/en/ac-4/1). With streamsURLs every PUT, the header
//     and each segment, goes to {destName}/Streams({rep}.cmf[vat]): one
//     request per object, not one long-running POST.
//   - a livesim URL with chunkdur_X sends each segment as one chunked
//     (Transfer-Encoding: chunked) PUT of X-second CMAF chunks; with
//     ato_Y as well (availabilityTimeOffset) the PUT starts Y s before the
//     segment's end and the chunks follow in real time.
//   - tfdt on the epoch timeline (availabilityStartTime 1970); mfhd
//     sequence number = the segment number = t/D for $Number$ assets (not
//     REaP's K = n+1); for testpic_alt_seg_dur_stl (4 s and 8 s) t/6
//     rounded up. The last segment of every track gets the lmsg brand in
//     its styp, when it has one (dolby-ac4's segments have none); the LD_
//     tracks of testpic_2s_low_delay also carry lmsg in every fourth
//     segment (the VoD asset's last one).
//   - headers as in the asset with btrt and kind (the AdaptationSet's
//     Role) added: no CMAF brand in ftyp, mdhd language often und or zero,
//     edit lists in testpic_8s and testpic_2s_low_delay; no prft, no emsg.
//     testpic_8s segments carry a sidx (version 0, its
//     earliest_presentation_time truncated to 32 bits).
//   - duration d sends floor(d·1000/D_ms)+1 segments per track, starting
//     with the first segment that becomes available after the push starts.
//
// A push whose requests are never answered hangs livesim2's ingester (its
// HTTP client has no timeout): Wait then fails the test at its deadline.
package livesim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Module is livesim2's Go module, pinned in test/peers/go.mod.
const Module = "github.com/Dash-Industry-Forum/livesim2"

// Server is a running livesim2.
type Server struct {
	// URL is its base URL, http://127.0.0.1:PORT.
	URL string
	// Assets is the asset directory it serves (its --vodroot).
	Assets string

	cmd  *exec.Cmd
	logs *logBook
	api  sync.Mutex // livesim2's ingester map is not safe for concurrent API calls
}

// Bin returns the path of .bin/livesim2 in the repository, failing t with
// what to do when it is not built.
func Bin(t testing.TB) string {
	t.Helper()
	root, err := repoRoot()
	if err != nil {
		t.Fatalf("livesim: %v", err)
	}
	bin := filepath.Join(root, ".bin", "livesim2")
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("livesim: %s is missing: run make test-deps (it builds livesim2 from test/peers): %v", bin, err)
	}
	return bin
}

// AssetsDir returns livesim2's test assets in the module cache
// (cmd/livesim2/app/testdata/assets of the version test/peers pins).
func AssetsDir(t testing.TB) string {
	t.Helper()
	root, err := repoRoot()
	if err != nil {
		t.Fatalf("livesim: %v", err)
	}
	out, err := exec.Command("go", "-C", filepath.Join(root, "test", "peers"), "list", "-m", "-f", "{{.Dir}}", Module).Output()
	dir := strings.TrimSpace(string(out))
	if err != nil || dir == "" {
		t.Fatalf("livesim: %s is not in the module cache (run make test-deps): %v", Module, err)
	}
	assets := filepath.Join(dir, "cmd", "livesim2", "app", "testdata", "assets")
	if _, err := os.Stat(assets); err != nil {
		t.Fatalf("livesim: no test assets: %v", err)
	}
	return assets
}

// Start runs livesim2 until the test ends and waits until it answers.
func Start(t testing.TB) *Server {
	t.Helper()
	bin, assets := Bin(t), AssetsDir(t)
	var last error
	for try := 0; try < 3; try++ { // the free port may be taken before livesim2 binds it
		s, err := start(t, bin, assets)
		if err == nil {
			return s
		}
		last = err
	}
	t.Fatalf("livesim: %v", last)
	return nil
}

func start(t testing.TB, bin, assets string) (*Server, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	logs := &logBook{}
	// livesim2 listens on all interfaces (":PORT"); only loopback is used.
	cmd := exec.Command(bin, "--vodroot="+assets, "--port="+strconv.Itoa(port),
		"--logformat=json", "--loglevel=INFO")
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %v", bin, err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	s := &Server{URL: fmt.Sprintf("http://127.0.0.1:%d", port), Assets: assets, cmd: cmd, logs: logs}
	stop := func() {
		_ = cmd.Process.Signal(syscall.SIGKILL)
		<-exited
	}
	deadline := time.Now().Add(60 * time.Second) // it scans every asset first
	for {
		select {
		case <-exited:
			return nil, fmt.Errorf("livesim2 exited before answering:\n%s", logs.tail(4000))
		default:
		}
		resp, err := http.Get(s.URL + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				t.Cleanup(stop)
				return s, nil
			}
		}
		if time.Now().After(deadline) {
			stop()
			return nil, fmt.Errorf("livesim2 did not answer /healthz within 60 s (%v):\n%s", err, logs.tail(4000))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Logs returns livesim2's log so far.
func (s *Server) Logs() string { return s.logs.String() }

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// repoRoot is the directory two levels above this source file.
func repoRoot() (string, error) {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return "", fmt.Errorf("cannot locate the repository")
	}
	return filepath.Dir(filepath.Dir(filepath.Dir(file))), nil
}

// logBook collects livesim2's JSON log lines.
type logBook struct {
	mu      sync.Mutex
	raw     bytes.Buffer
	partial []byte
	entries []map[string]any
}

func (l *logBook) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.raw.Write(b)
	l.partial = append(l.partial, b...)
	for {
		i := bytes.IndexByte(l.partial, '\n')
		if i < 0 {
			break
		}
		var e map[string]any
		if json.Unmarshal(l.partial[:i], &e) == nil {
			l.entries = append(l.entries, e)
		}
		l.partial = l.partial[i+1:]
	}
	return len(b), nil
}

func (l *logBook) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.raw.String()
}

func (l *logBook) tail(n int) string {
	s := l.String()
	return s[max(0, len(s)-n):]
}

// of returns the entries of one ingester.
func (l *logBook) of(ingester string) []map[string]any {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []map[string]any
	for _, e := range l.entries {
		if fmt.Sprint(e["ingester"]) == ingester {
			out = append(out, e)
		}
	}
	return out
}
