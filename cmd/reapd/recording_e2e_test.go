package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/reapd/reapd/test/mpdschema"
	"github.com/reapd/reapd/test/player/playertest"
	"github.com/reapd/reapd/test/staticsrv"
)

// TestRecordingFromFFmpeg is issue 10's acceptance 1: ffmpeg pushes to a
// real reapd with 20 s storage periods; a recording of 40 s that crosses
// two period boundaries, requested before its media exists, completes once
// the archive reaches its end; its S-MPD, served by a static Range+CORS
// server over the store directory (no reapd in the path), plays in
// dash.js and shaka-player in Chromium from within one GOP of T1 to within
// one segment of T2, decoding video, and ffprobe shows its video and audio.
// "reapd record --wait" on the same store then gives the same bytes.
func TestRecordingFromFFmpeg(t *testing.T) {
	needFFmpeg(t)
	dir := t.TempDir()
	p := startReapd(t, "file://"+dir, "--storage-period", "20s", "--finalize-delay", "2s")
	start := float64(time.Now().Unix()/2*2 + 2)
	t1, t2 := start+7, start+47 // within a GOP (2 s), across two boundaries of 20 s periods
	body := fmt.Sprintf(`{"channel":"ch1","name":"show-1","start":%.0f,"end":"%s"}`, t1,
		time.Unix(int64(t2), 0).UTC().Format(time.RFC3339))
	if code, b := apiDo(t, p, "POST", "/api/recordings", body); code != http.StatusCreated || !strings.Contains(b, `"waiting"`) {
		t.Fatalf("POST /api/recordings: %d %s", code, b)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if out, err := ffmpegDASH(ctx, start, 52, "http://"+p.addr+"/ingest/ch1/manifest.mpd").CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg: %v\n%s", err, out)
	}
	var rec struct {
		State, URL, MPDKey string
		Gaps               []struct{ From, To, Reason string }
		DurationS          float64 `json:"duration_s"`
	}
	if !poll(60*time.Second, func() bool {
		_, b := apiDo(t, p, "GET", "/api/recordings/ch1/show-1", "")
		return json.Unmarshal([]byte(b), &rec) == nil && rec.State != "waiting"
	}) || rec.State != "complete" {
		t.Fatalf("recording not complete within 60 s of the end of ffmpeg: %+v\n%s", rec, tailLogs(p))
	}
	if len(rec.Gaps) != 0 || rec.DurationS != 40 || rec.URL != "ch1/recordings/show-1.mpd" {
		t.Errorf("recording %+v: want no gaps, 40 s", rec)
	}
	raw, err := os.ReadFile(filepath.Join(dir, "ch1", "recordings", "show-1.mpd"))
	if err != nil {
		t.Fatal(err)
	}
	mpdschema.Validate(t, raw)
	if n := bytes.Count(raw, []byte("<Period ")); n < 3 {
		t.Errorf("%d Periods, want 3 (two period boundaries):\n%s", n, raw)
	}

	url := staticsrv.Start(t, dir).URL + "/ch1/recordings/show-1.mpd"
	for _, player := range []string{playertest.DashJS, playertest.Shaka} {
		res := playertest.Play(t, player, url, playertest.Options{MinSeconds: t2 - t1 - 2, Timeout: 2 * time.Minute,
			ExpectStart: &t1, StartTolerance: 2, Video: playertest.VideoRequired})
		if !res.OK {
			t.Errorf("%s does not play the recording from the static server: %v", player, res)
		} else if res.Duration == nil || *res.Duration < t2-t1-2 || *res.Duration > t2-t1+0.1 {
			t.Errorf("%s: duration %v, want %.0f s (within a segment)", player, res.Duration, t2-t1)
		}
	}
	checkFFprobe(t, url)

	// The same recording from the command line: already complete, the
	// same bytes; another name over the same window, written anew by
	// this second instance, the same bytes too (deterministic).
	var out bytes.Buffer
	args := []string{"record", "--store", "file://" + dir, "--channel", "ch1", "--name", "show-2", "--wait", "--poll", "100ms",
		"--start", fmt.Sprintf("%.0f", t1), "--end", fmt.Sprintf("%.0f", t2)}
	if err := run(ctx, args, &out, io.Discard); err != nil || !strings.Contains(out.String(), `"state": "complete"`) {
		t.Fatalf("reapd record: %v\n%s", err, out.String())
	}
	raw2, err := os.ReadFile(filepath.Join(dir, "ch1", "recordings", "show-2.mpd"))
	if err != nil || !bytes.Equal(raw2, raw) {
		t.Errorf("reapd record wrote other bytes for the same window (%v)", err)
	}
	p.stop(t)
}

// apiDo sends a request to reapd's API and returns the status and body.
func apiDo(t *testing.T, p *proc, method, path, body string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(method, "http://"+p.addr+path, strings.NewReader(body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// checkFFprobe runs ffprobe on an MPD URL: it must show a video and an
// audio stream.
func checkFFprobe(t *testing.T, url string) {
	t.Helper()
	out, err := exec.Command("ffprobe", "-v", "error", "-show_entries", "stream=codec_type,codec_name", "-of", "json", url).Output()
	if err != nil {
		t.Fatalf("ffprobe %s: %v\n%s", url, err, out)
	}
	var probe struct {
		Streams []struct {
			CodecType string `json:"codec_type"`
		}
	}
	if err := json.Unmarshal(out, &probe); err != nil {
		t.Fatal(err)
	}
	types := map[string]bool{}
	for _, s := range probe.Streams {
		types[s.CodecType] = true
	}
	if !types["video"] || !types["audio"] {
		t.Errorf("ffprobe shows %s, want video and audio", out)
	}
}
