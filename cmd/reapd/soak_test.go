package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/reapd/reapd/blobstore"
	"github.com/reapd/reapd/trackfile"
)

// soakLength is how long the slow-loris soak runs: 30 s, or REAPD_SOAK
// (a duration, e.g. 60s or 10m).
func soakLength(t *testing.T) time.Duration {
	d := 30 * time.Second
	if v := os.Getenv("REAPD_SOAK"); v != "" {
		var err error
		if d, err = time.ParseDuration(v); err != nil {
			t.Fatalf("REAPD_SOAK: %v", err)
		}
	}
	return d
}

// The soak's guard limits, shortened like the hostile suite's.
const (
	soakWindow = 5 * time.Second
	soakIdle   = 5 * time.Second
)

// attackStats counts how the attackers' connections ended.
type attackStats struct {
	mu      sync.Mutex
	closed  map[string]int // kind → connections closed by reapd as expected
	wrong   []string       // connections that ended otherwise
	slowest map[string]time.Duration
}

func (s *attackStats) note(kind string, e ending, want int, since time.Time, bound time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	took := e.at.Sub(since)
	switch {
	case !e.closed:
		s.wrong = append(s.wrong, fmt.Sprintf("%s: still open after %v", kind, took))
	case e.status != want:
		s.wrong = append(s.wrong, fmt.Sprintf("%s: status %d, want %d", kind, e.status, want))
	case took > bound:
		s.wrong = append(s.wrong, fmt.Sprintf("%s: closed after %v, want within %v", kind, took, bound))
	default:
		s.closed[kind]++
		s.slowest[kind] = max(s.slowest[kind], took)
	}
}

// TestSlowLorisSoak keeps 50 slow bodies (1 byte/s), 50 stalled bodies and
// 50 idle keep-alive connections on reapd — each reconnecting as soon as
// reapd closes it — while a real ffmpeg ingests a channel for the soak's
// length: reapd closes every slow connection itself, within its limits,
// and every segment ffmpeg got acknowledged is archived (in a storage
// track file or staged).
func TestSlowLorisSoak(t *testing.T) {
	needFFmpeg(t)
	length := soakLength(t)
	dir := t.TempDir()
	flags := append(append([]string{}, completeFlags...), "--body-rate-window", soakWindow.String(),
		"--body-stall-timeout", "10s", "--idle-timeout", soakIdle.String(), "--log-level", "info")
	p := startReapdBin(t, plainBin(t), "file://"+dir, nil, flags...)
	rec := newRecordingProxy(t, p.addr)
	in := newInputAt(1, pastN0())
	stalledBody := bigSegment(in.segs["a"][0], 1<<20)

	stats := &attackStats{closed: map[string]int{}, slowest: map[string]time.Duration{}}
	end := time.Now().Add(length)
	var wg sync.WaitGroup
	attack := func(kind string, once func(c net.Conn) (ending, time.Time)) {
		defer wg.Done()
		for time.Now().Before(end) {
			c, err := net.Dial("tcp", p.addr)
			if err != nil {
				stats.mu.Lock()
				stats.wrong = append(stats.wrong, kind+": "+err.Error())
				stats.mu.Unlock()
				time.Sleep(time.Second)
				continue
			}
			e, since := once(c)
			c.Close()
			want, bound := http.StatusRequestTimeout, soakWindow+5*time.Second
			if kind == "idle" {
				want, bound = http.StatusOK, soakIdle+5*time.Second
			}
			stats.note(kind, e, want, since, bound)
		}
	}
	for i := range 50 {
		path := fmt.Sprintf("/ingest/attack/slow%d/1.cmfa", i)
		wg.Add(3)
		go attack("slow", func(c net.Conn) (ending, time.Time) {
			began := time.Now()
			chunkHead(c, path)
			stop := make(chan struct{})
			defer close(stop)
			go func() {
				for _, b := range stalledBody {
					if _, err := c.Write([]byte{'1', '\r', '\n', b, '\r', '\n'}); err != nil {
						return
					}
					select {
					case <-stop:
						return
					case <-time.After(time.Second):
					}
				}
			}()
			return awaitEnd(c, began.Add(time.Minute)), began
		})
		go attack("stalled", func(c net.Conn) (ending, time.Time) {
			lengthHead(c, path, 1<<20)
			c.Write(stalledBody)
			c.Write(make([]byte, 64<<10))
			stalled := time.Now()
			return awaitEnd(c, stalled.Add(time.Minute)), stalled
		})
		go attack("idle", func(c net.Conn) (ending, time.Time) {
			fmt.Fprint(c, "GET /healthz HTTP/1.1\r\nHost: reapd\r\n\r\n")
			answered := time.Now()
			return awaitEnd(c, answered.Add(time.Minute)), answered
		})
	}

	// The real encoder, meanwhile: DASH ingest of media an hour old, in
	// real time, for the soak's length.
	epoch := pastN0() * 2
	secs := length.Seconds()
	ctx, cancel := context.WithTimeout(context.Background(), length+2*time.Minute)
	defer cancel()
	cmd := ffmpegDASH(ctx, float64(epoch), secs, rec.srv.URL+"/ingest/ch1/manifest.mpd")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("ffmpeg: %v\n%s", err, out)
	}
	rec.settle()
	wg.Wait()
	rss := peakRSS(t, p.cmd.Process.Pid)

	stats.mu.Lock()
	t.Logf("over %v: reapd closed %d slow, %d stalled and %d idle connections (the slowest after %v, %v, %v); peak RSS %d MiB",
		length, stats.closed["slow"], stats.closed["stalled"], stats.closed["idle"],
		stats.slowest["slow"].Round(time.Millisecond), stats.slowest["stalled"].Round(time.Millisecond),
		stats.slowest["idle"].Round(time.Millisecond), rss>>20)
	for _, w := range stats.wrong[:min(len(stats.wrong), 10)] {
		t.Errorf("attacker connection: %s", w)
	}
	for _, kind := range []string{"slow", "stalled", "idle"} {
		if stats.closed[kind] < 50 {
			t.Errorf("only %d %s connections closed by reapd, want at least 50", stats.closed[kind], kind)
		}
	}
	stats.mu.Unlock()

	// What ffmpeg sent and reapd acknowledged: the segments, by track.
	acked := rec.acked()
	sent := map[string][][]byte{}
	for path, bodies := range acked {
		if m := chunkPath.FindStringSubmatch(path); m != nil {
			sent[m[1]] = append(sent[m[1]], bodies...)
		}
	}
	want := int(secs/2) - 1 // ffmpeg's last request may be cut at its exit
	if len(sent["0"]) < want || len(sent["1"]) < want {
		t.Fatalf("reapd acknowledged %d video and %d audio segments, want at least %d each; not acknowledged: %q\n%s",
			len(sent["0"]), len(sent["1"]), want, rec.notAcked(), tailLogs(p))
	}
	t.Logf("ffmpeg: %d video and %d audio segments acknowledged; not acknowledged: %q", len(sent["0"]), len(sent["1"]), rec.notAcked())
	for _, r := range rec.notAcked() {
		if strings.Contains(r, ": 503") || strings.Contains(r, ": 408") {
			t.Errorf("ffmpeg refused during the soak: %s", r)
		}
	}
	st := openStore(t, "file://"+dir)
	var missing []string
	archivedAll := func() bool {
		archived := archivedSegments(t, st, "ch1")
		missing = nil
		for track, bodies := range sent {
			staged := stagedBodies(t, st, "ch1", track)
			for i, b := range bodies {
				if !containsBytes(archived[track], b) && !containsBytes(staged, b) {
					missing = append(missing, fmt.Sprintf("track %s #%d (%d bytes)", track, i, len(b)))
				}
			}
		}
		return len(missing) == 0
	}
	if !poll(60*time.Second, archivedAll) {
		t.Fatalf("acknowledged segments not archived: %q\n%s", missing, tailLogs(p))
	}
	p.stop(t)
}

// stagedBodies returns the staged segments of a track (not the header-use
// markers beside them), whatever their keys.
func stagedBodies(t *testing.T, st *blobstore.Store, channel, track string) [][]byte {
	t.Helper()
	ctx := context.Background()
	objs, err := st.List(ctx, trackfile.StagedPrefix(channel, track))
	if err != nil {
		t.Fatal(err)
	}
	var out [][]byte
	for _, o := range objs {
		if strings.HasSuffix(o.Key, ".hdr") {
			continue
		}
		b, err := st.Get(ctx, o.Key)
		if err != nil && !errors.Is(err, blobstore.ErrNotFound) { // finalized meanwhile
			t.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}

func containsBytes(list [][]byte, b []byte) bool {
	for _, x := range list {
		if bytes.Equal(x, b) {
			return true
		}
	}
	return false
}
