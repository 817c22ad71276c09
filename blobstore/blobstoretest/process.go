package blobstoretest

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Server is a real object-store server running as a child process of the
// test on a loopback port, with its data in a directory of the test
// ([StartS3], [StartGCS]). [Server.Stop] and [Server.Start] take it down
// and bring it back on the same port with the same data, for outage tests.
// It is stopped when the test that started it ends. Its methods may be
// called from several goroutines.
type Server struct {
	name string   // binary name in .bin/
	bin  string   // path of the binary
	args []string // command-line arguments
	env  []string // extra environment
	addr string   // 127.0.0.1:PORT, fixed for the server's life
	dir  string   // data directory

	// ready reports whether the process answers (any HTTP status).
	ready func(addr string) bool

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{} // closed when cmd exited
	logs *logBuffer
}

// startupTimeout bounds how long a server may take to answer after start.
const startupTimeout = 30 * time.Second

// repoBin returns the path of a binary in the repository's git-ignored
// .bin/ directory, found from the test's working directory (a package
// directory) by walking up to the directory holding go.mod. A missing
// binary fails the test: "make test-deps" builds it.
func repoBin(t testing.TB, name string) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatalf("blobstoretest: %v", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatalf("blobstoretest: no go.mod above the working directory; cannot find .bin/%s", name)
		}
		dir = parent
	}
	bin := filepath.Join(dir, ".bin", name)
	if fi, err := os.Stat(bin); err != nil || fi.IsDir() || fi.Mode()&0o111 == 0 {
		t.Fatalf("blobstoretest: %s is missing (%v): run make test-deps", bin, err)
	}
	return bin
}

// freeAddr returns a loopback address with a port that was free a moment
// ago.
func freeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("blobstoretest: %v", err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	return addr
}

// Addr returns the server's host:port on loopback.
func (s *Server) Addr() string { return s.addr }

// Endpoint returns the server's base URL, http://127.0.0.1:PORT.
func (s *Server) Endpoint() string { return "http://" + s.addr }

// Logs returns what the server process wrote to stdout and stderr.
func (s *Server) Logs() string { return s.logs.String() }

// Start starts the server process again after [Server.Stop], on the same
// port and data directory, and waits until it answers. Starting a running
// server fails the test.
func (s *Server) Start(t testing.TB) {
	t.Helper()
	if err := s.start(); err != nil {
		t.Fatalf("blobstoretest: %v\n%s", err, s.tail())
	}
}

// start runs the process and waits until it answers.
func (s *Server) start() error {
	s.mu.Lock()
	if s.cmd != nil {
		s.mu.Unlock()
		return fmt.Errorf("%s is already running", s.name)
	}
	cmd := exec.Command(s.bin, s.args...)
	cmd.Env = append(os.Environ(), s.env...)
	cmd.Stdout, cmd.Stderr = s.logs, s.logs
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL} // never outlive the test binary
	if err := cmd.Start(); err != nil {
		s.mu.Unlock()
		return fmt.Errorf("start %s: %w", s.name, err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	s.cmd, s.done = cmd, done
	s.mu.Unlock()

	deadline := time.Now().Add(startupTimeout)
	for !s.ready(s.addr) {
		select {
		case <-done:
			s.mu.Lock()
			s.cmd = nil
			s.mu.Unlock()
			return fmt.Errorf("%s exited at start: %v", s.name, cmd.ProcessState)
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			s.stop()
			return fmt.Errorf("%s did not answer on %s within %v", s.name, s.addr, startupTimeout)
		}
	}
	return nil
}

// Stop stops the server process (SIGTERM, SIGKILL after 5 s) and waits
// until it is gone; its port then refuses connections. The data stays.
// Stopping a stopped server is a no-op.
func (s *Server) Stop(t testing.TB) {
	t.Helper()
	s.stop()
}

func (s *Server) stop() {
	s.mu.Lock()
	cmd, done := s.cmd, s.done
	s.cmd = nil
	s.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		_ = cmd.Process.Kill()
		<-done
	}
}

// tail returns the end of the server's logs, for failure messages.
func (s *Server) tail() string {
	l := s.logs.String()
	return s.name + " logs:\n" + l[max(0, len(l)-4000):]
}

// answers reports whether an HTTP GET of url gets any answer.
func answers(url string) bool {
	c := http.Client{Timeout: time.Second}
	resp, err := c.Get(url)
	if err != nil {
		return false
	}
	_ = resp.Body.Close()
	return true
}

// logBuffer collects a process's output, bounded to its last megabyte.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.buf.Len() > 1<<20 {
		rest := append([]byte(nil), l.buf.Bytes()[l.buf.Len()/2:]...)
		l.buf.Reset()
		l.buf.Write(rest)
	}
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// portOf returns the port of a host:port address.
func portOf(addr string) string {
	_, port, _ := net.SplitHostPort(addr)
	if _, err := strconv.Atoi(port); err != nil {
		return ""
	}
	return port
}
