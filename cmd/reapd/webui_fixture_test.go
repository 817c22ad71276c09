package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/reapd/reapd/test/player/playertest"
)

// webFixture is what the web page tests look at: one reapd holding an
// archive of two real ffmpeg pushes with a hole between them
// ([epoch, epoch+12 s) and [epoch+20 s, epoch+32 s), an hour ago), pushed
// at once so the archive takes 12 s to make.
type webFixture struct {
	p     *proc
	epoch int64  // the first push's start, on a storage period start
	token string // the read token, when the read side is locked
}

// webCoverage is the coverage API's answer, as the test reads it.
type webCoverage struct {
	Tracks []struct {
		Name   string `json:"name"`
		Ranges []struct {
			Start, End string
		} `json:"ranges"`
		Gaps []struct {
			Start, End, Reason string
		} `json:"gaps"`
	} `json:"tracks"`
}

// startWebFixture makes the archive; a non-empty token locks the read side.
func startWebFixture(t *testing.T, token string) *webFixture {
	t.Helper()
	needFFmpeg(t)
	flags := append([]string{}, completeFlags...)
	if token != "" {
		flags = append(flags, "--read-token", token)
	}
	p := startReapd(t, "file://"+t.TempDir(), flags...)
	f := &webFixture{p: p, epoch: pastN0() * 2, token: token}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var wg sync.WaitGroup
	errs := make([]error, 2)
	outs := make([][]byte, 2)
	for i, start := range []int64{f.epoch, f.epoch + 20} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cmd := ffmpegDASH(ctx, float64(start), 12, "http://"+p.addr+"/ingest/ch1/manifest.mpd")
			outs[i], errs[i] = cmd.CombinedOutput()
		}()
	}
	wg.Wait()
	for i := range errs {
		if errs[i] != nil {
			t.Fatalf("ffmpeg push %d: %v\n%s", i, errs[i], outs[i])
		}
	}
	// Both pushes archived: every track has two ranges and the gap.
	ok := poll(30*time.Second, func() bool {
		c, err := f.coverage(f.at(-10), f.at(60))
		if err != nil || len(c.Tracks) < 2 {
			return false
		}
		for _, tr := range c.Tracks {
			if len(tr.Ranges) != 2 || len(tr.Gaps) != 1 {
				return false
			}
		}
		return true
	})
	if !ok {
		c, err := f.coverage(f.at(-10), f.at(60))
		t.Fatalf("no archive with one gap per track: %+v %v\n%s", c, err, tailLogs(p))
	}
	return f
}

// at is the instant s seconds after the fixture's epoch.
func (f *webFixture) at(s float64) time.Time {
	return time.Unix(f.epoch, 0).Add(time.Duration(s * float64(time.Second))).UTC()
}

func (f *webFixture) coverage(from, to time.Time) (webCoverage, error) {
	var c webCoverage
	u := fmt.Sprintf("http://%s/api/channels/ch1/coverage?from=%s&to=%s", f.p.addr, from.Format(time.RFC3339Nano), to.Format(time.RFC3339Nano))
	resp, err := f.get(u)
	if err != nil {
		return c, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return c, fmt.Errorf("%s: %s", u, resp.Status)
	}
	return c, json.NewDecoder(resp.Body).Decode(&c)
}

// get sends a request with the read token.
func (f *webFixture) get(u string) (*http.Response, error) {
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	if f.token != "" {
		req.Header.Set("Authorization", "Bearer "+f.token)
	}
	return http.DefaultClient.Do(req)
}

// runWebUI runs test/player/webui.mjs against the fixture and decodes its
// result into v; a run that did not finish fails the test.
func (f *webFixture) runWebUI(t *testing.T, v any, args ...string) {
	t.Helper()
	args = append([]string{"--base", "http://" + f.p.addr, "--channel", "ch1", "--timeout-seconds", "150"}, args...)
	if f.token != "" {
		args = append(args, "--token", f.token)
	}
	line, stderr := playertest.Script(t, "webui.mjs", 150*time.Second, args...)
	var res struct {
		OK    bool            `json:"ok"`
		Error string          `json:"error"`
		Diag  json.RawMessage `json:"diag"` // what the page was doing when a step timed out
	}
	if err := json.Unmarshal([]byte(line), &res); err != nil || !res.OK {
		diag := ""
		if len(res.Diag) > 0 {
			var b bytes.Buffer
			if json.Indent(&b, res.Diag, "  ", "  ") == nil {
				diag = "\npage:\n  " + b.String()
			}
		} else {
			diag = "\n" + line
		}
		t.Fatalf("webui.mjs: %v %s%s\nbrowser (tail):\n%s\nreapd:\n%s", err, res.Error, diag, tail(stderr, 8000), tailLogs(f.p))
	}
	if err := json.Unmarshal([]byte(line), v); err != nil {
		t.Fatal(err)
	}
	t.Logf("webui.mjs: %s", tail(line, 3000))
}

func tail(s string, n int) string { return s[max(0, len(s)-n):] }

// screenshotDir is where the page's screenshots go: $REAPD_SCREENSHOTS,
// else a temporary directory of the test.
func screenshotDir(t *testing.T) string {
	if d := os.Getenv("REAPD_SCREENSHOTS"); d != "" {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		return d
	}
	return t.TempDir()
}

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatalf("time %q: %v", s, err)
	}
	return v
}
