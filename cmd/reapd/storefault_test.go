package main

import (
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// mountTmpfs mounts a tmpfs of size (e.g. "2m") at dir, unmounted when the
// test ends (after the reapd processes it starts later are gone). It skips
// the test where mounting is not allowed (not root).
func mountTmpfs(t *testing.T, dir, size string) {
	t.Helper()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size="+size); err != nil {
		if errors.Is(err, syscall.EPERM) {
			t.Skipf("cannot mount a tmpfs (%v): store-fault tests need root", err)
		}
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := syscall.Unmount(dir, 0); err != nil {
			t.Errorf("unmount %s: %v", dir, err)
		}
	})
}

// remount makes the tmpfs at dir read-only or writable again.
func remount(t *testing.T, dir string, readOnly bool) {
	t.Helper()
	flags := uintptr(syscall.MS_REMOUNT)
	if readOnly {
		flags |= syscall.MS_RDONLY
	}
	if err := syscall.Mount("", dir, "", flags, ""); err != nil {
		t.Fatalf("remount %s (read-only %v): %v", dir, readOnly, err)
	}
}

// fill writes a file into dir until the file system is full.
func fill(t *testing.T, dir string) {
	t.Helper()
	f, err := os.Create(filepath.Join(dir, "filler"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 64<<10)
	for {
		if _, err := f.Write(buf); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatal(err)
			}
			return
		}
	}
}

// block puts a file where the directory name should be (replacing the
// directory, if it is empty).
func block(t *testing.T, dir, name string) {
	t.Helper()
	if info, err := os.Stat(filepath.Join(dir, name)); err == nil && info.IsDir() {
		if err := os.Remove(filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, name), []byte("in the way\n"), 0o666); err != nil {
		t.Fatal(err)
	}
}

func unblock(t *testing.T, dir, name string) {
	t.Helper()
	if err := os.Remove(filepath.Join(dir, name)); err != nil {
		t.Fatal(err)
	}
}

// TestStoreFaults: a read-only store, a full store and paths blocked by
// files each make ingest answer 503 with Retry-After and /readyz fail;
// once the fault is gone, /readyz recovers and the encoder's retries are
// archived, each segment exactly once.
func TestStoreFaults(t *testing.T) {
	for _, tc := range []struct {
		name    string
		tmpfs   string // size of a tmpfs store; "" for a plain directory
		fault   func(t *testing.T, dir string, p *proc)
		recover func(t *testing.T, dir string, p *proc)
	}{
		{"read-only store", "16m",
			func(t *testing.T, dir string, _ *proc) { remount(t, dir, true) },
			func(t *testing.T, dir string, _ *proc) { remount(t, dir, false) }},
		{"full store", "2m",
			func(t *testing.T, dir string, _ *proc) { fill(t, dir) },
			func(t *testing.T, dir string, _ *proc) { unblock(t, dir, "filler") }},
		{"files where the channel's and the canary's directories should be", "",
			func(t *testing.T, dir string, _ *proc) { block(t, dir, "ch1"); block(t, dir, ".reapd/readyz") },
			func(t *testing.T, dir string, p *proc) {
				// A blocked channel alone fails that channel, not the
				// instance: /readyz is ready again while ch1 is still 503.
				unblock(t, dir, ".reapd/readyz")
				waitReady(t, p, http.StatusOK)
				in := newInputAt(1, pastN0())
				if code := p.post(in.header("a"), in.tracks["a"].Header()); code != http.StatusServiceUnavailable {
					t.Errorf("ch1 still blocked: %d, want 503", code)
				}
				unblock(t, dir, "ch1")
			}},
	} {
		t.Run(tc.name, func(t *testing.T) { runStoreFault(t, tc.tmpfs, tc.fault, tc.recover) })
	}
}

// waitReady waits until /readyz answers want.
func waitReady(t *testing.T, p *proc, want int) {
	t.Helper()
	if !poll(10*time.Second, func() bool { return get(p.addr, "/readyz") == want }) {
		t.Fatalf("/readyz never answered %d\n%s", want, tailLogs(p))
	}
}

func runStoreFault(t *testing.T, tmpfs string, fault, recover func(*testing.T, string, *proc)) {
	dir := t.TempDir()
	if tmpfs != "" {
		mountTmpfs(t, dir, tmpfs)
	}
	p := startReapd(t, "file://"+dir, append(append([]string{}, completeFlags...), "--readyz-interval", "200ms")...)
	waitReady(t, p, http.StatusOK)

	fault(t, dir, p)
	in := newInputAt(1, pastN0())
	enc := &encoder{}
	done := make(chan error, 1)
	go func() {
		for _, name := range []string{"a", "b"} {
			if _, err := enc.send(p.addr, in.header(name), in.tracks[name].Header()); err != nil {
				done <- err
				return
			}
			for _, seg := range in.segs[name] {
				if _, err := enc.send(p.addr, in.path(name), seg); err != nil {
					done <- err
					return
				}
			}
		}
		done <- nil
	}()
	if !poll(15*time.Second, func() bool { r, _, _ := enc.stats(); return r > 0 }) {
		t.Fatalf("the encoder was never refused with 503\n%s", tailLogs(p))
	}
	waitReady(t, p, http.StatusServiceUnavailable)
	recover(t, dir, p)
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("encoder: %v\n%s", err, tailLogs(p))
		}
	case <-time.After(time.Minute):
		t.Fatalf("the encoder did not get through after the fault\n%s", tailLogs(p))
	}
	refusals, _, noRetryAfter := enc.stats()
	t.Logf("%d answers 503 during the fault", refusals)
	if noRetryAfter > 0 {
		t.Errorf("%d answers 503 without Retry-After", noRetryAfter)
	}
	waitReady(t, p, http.StatusOK)
	st := openStore(t, "file://"+dir)
	once := func() bool {
		count, _, _ := indexedSegments(t, st, "ch1")
		for _, name := range []string{"a", "b"} {
			for j := range in.segs[name] {
				if count[name][in.n0+int64(j)] != 1 {
					return false
				}
			}
		}
		return true
	}
	if !poll(30*time.Second, once) {
		count, _, _ := indexedSegments(t, st, "ch1")
		t.Fatalf("after recovery, not every segment in exactly one track file: %v\n%s", count, tailLogs(p))
	}
	p.stop(t)
}
