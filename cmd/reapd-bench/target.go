package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"syscall"
	"time"

	"github.com/reapd/reapd/bench/ingestload"
)

// target is a server under load: the raw sink or reapd, as a child
// process.
type target struct {
	name string
	cmd  *exec.Cmd
	url  string // http://ADDR
	proc ingestload.Proc
	done chan error
	log  *os.File
}

var listening = regexp.MustCompile(`listening on (http://[^ ]+)`)

// start starts cmd, whose stdout announces "listening on http://ADDR",
// with its stderr in logPath, and waits for the announcement.
func start(ctx context.Context, name string, cmd *exec.Cmd, logPath string) (*target, error) {
	lf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd.Stderr = lf
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	t := &target{name: name, cmd: cmd, proc: ingestload.Proc{PID: cmd.Process.Pid}, done: make(chan error, 1), log: lf}
	urls := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if m := listening.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case urls <- m[1]:
				default:
				}
			}
		}
		_, _ = io.Copy(io.Discard, out)
	}()
	go func() { t.done <- cmd.Wait() }()
	select {
	case t.url = <-urls:
		return t, nil
	case err := <-t.done:
		return nil, fmt.Errorf("%s exited before listening: %v (log: %s)", name, err, logPath)
	case <-time.After(30 * time.Second):
		t.stop()
		return nil, fmt.Errorf("%s did not listen within 30 s (log: %s)", name, logPath)
	case <-ctx.Done():
		t.stop()
		return nil, ctx.Err()
	}
}

// stop sends SIGTERM and waits (SIGKILL after 60 s).
func (t *target) stop() {
	_ = t.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-t.done:
	case <-time.After(60 * time.Second):
		_ = t.cmd.Process.Kill()
		<-t.done
	}
	_ = t.log.Close()
}

// startSink starts the raw sink writing into dir: files there, or, for
// store "s3", objects of an S3 server of its own on dir; the func stops
// what was started besides the sink.
func startSink(ctx context.Context, store, gw, dir string) (*target, func(), error) {
	self, err := os.Executable()
	if err != nil {
		return nil, nil, err
	}
	args, stop := []string{"sink", "-dir", dir}, func() {}
	if store == "s3" {
		srv, _, _, err := startVersity(ctx, gw, dir)
		if err != nil {
			return nil, nil, err
		}
		args, stop = []string{"sink", "-s3", srv.url}, srv.stop
	}
	t, err := start(ctx, "sink", exec.Command(self, args...), filepath.Join(filepath.Dir(dir), "sink.log"))
	if err != nil {
		stop()
		return nil, nil, err
	}
	return t, stop, nil
}

// startReapd starts reapd serve on store with the bench's channel
// settings and the extra flags.
func startReapd(ctx context.Context, bin, store, logPath string, env []string, extra []string) (*target, error) {
	args := append([]string{"serve", "--listen", "127.0.0.1:0", "--store", store,
		"--segment-duration", "2s", "--log-level", "warn", "--max-channels", "5000",
		"--max-metric-channels", "5000"}, extra...)
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	return start(ctx, "reapd", cmd, logPath)
}

// The bench's S3 server's root credentials.
const benchS3Key, benchS3Secret = "k", "s"

// startVersity starts the S3 server versitygw on dir with bucket bkt and
// returns it and the store URL for reapd.
func startVersity(ctx context.Context, bin, dir string) (*target, string, []string, error) {
	if err := os.MkdirAll(filepath.Join(dir, benchBucket), 0o777); err != nil {
		return nil, "", nil, err
	}
	port, err := freePort()
	if err != nil {
		return nil, "", nil, err
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	cmd := exec.Command(bin, "--port", addr, "posix", dir)
	cmd.Env = append(os.Environ(), "ROOT_ACCESS_KEY="+benchS3Key, "ROOT_SECRET_KEY="+benchS3Secret)
	// versitygw prints no address line: wrap its start in our own wait.
	lf, err := os.Create(filepath.Join(filepath.Dir(dir), "versitygw.log"))
	if err != nil {
		return nil, "", nil, err
	}
	cmd.Stdout, cmd.Stderr = lf, lf
	if err := cmd.Start(); err != nil {
		return nil, "", nil, err
	}
	t := &target{name: "versitygw", cmd: cmd, proc: ingestload.Proc{PID: cmd.Process.Pid}, done: make(chan error, 1), log: lf, url: "http://" + addr}
	go func() { t.done <- cmd.Wait() }()
	if err := waitTCP(ctx, addr, 60*time.Second); err != nil {
		t.stop()
		return nil, "", nil, fmt.Errorf("versitygw: %w", err)
	}
	url := "s3://" + benchBucket + "?endpoint=http://" + addr + "&use_path_style=true&region=us-east-1&disable_https=true"
	return t, url, []string{"AWS_ACCESS_KEY_ID=" + benchS3Key, "AWS_SECRET_ACCESS_KEY=" + benchS3Secret}, nil
}
