package playertest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The players, as play.mjs names them.
const (
	DashJS = "dashjs" // dash.js, DASH
	Shaka  = "shaka"  // shaka-player, DASH (it also plays HLS)
	HLSJS  = "hlsjs"  // hls.js, HLS
)

// Video says whether a run must decode video frames.
type Video int

const (
	// VideoAuto (the default) expects video when the manifest offers it
	// (an AdaptationSet, Representation or HLS variant with video) or the
	// player found a video track.
	VideoAuto Video = iota
	// VideoRequired always expects video: an audio-only manifest fails.
	VideoRequired
	// VideoOptional never expects video: the played time is enough (the
	// harness's behaviour before video was checked).
	VideoOptional
)

func (v Video) flag() string {
	switch v {
	case VideoRequired:
		return "required"
	case VideoOptional:
		return "optional"
	}
	return "auto"
}

// Options tune one [Play] run; the zero value means the defaults.
type Options struct {
	// MinSeconds of media that must play; default 60.
	MinSeconds float64
	// Timeout for the whole run, browser start included; default 120 s.
	Timeout time.Duration
	// ExpectStart, when set, is the content time (epoch seconds for reapd,
	// see [Result.FirstPresentationTime]) the first displayed frame must
	// show, within StartTolerance.
	ExpectStart *float64
	// StartTolerance for ExpectStart; default 0.041 s, one frame at 25 fps.
	StartTolerance float64
	// StartAt, when set, is handed to the player's start-position API, in
	// seconds from the start of the presentation (what a web page that
	// plays "from 10:32:05" does). By default the manifest alone decides.
	StartAt *float64
	// StallSeconds without progress that fail the run; default 10.
	StallSeconds float64
	// Rate is video.playbackRate once the first frame is shown; default 16.
	// Use 1 for dynamic manifests, which cannot run ahead of the live edge.
	Rate float64
	// Video says whether video frames must be decoded; default VideoAuto.
	Video Video
}

// Result is what play.mjs saw. Pointers are nil where the player reported
// nothing (e.g. no frame ever shown).
type Result struct {
	OK     bool   `json:"ok"`
	Player string `json:"player"`
	// Reason is the failure, empty on success.
	Reason string `json:"reason"`
	// Played is how far video.currentTime advanced after playback started.
	Played      float64 `json:"played"`
	CurrentTime float64 `json:"currentTime"`
	// StartTime is video.currentTime when playback started ("playing").
	StartTime *float64 `json:"startTime"`
	// FirstFrameTime is the media time of the first displayed frame, on
	// the video element's time line.
	FirstFrameTime *float64 `json:"firstFrameTime"`
	// FirstBufferedStart is video.buffered.start(0) when playback started.
	FirstBufferedStart *float64 `json:"firstBufferedStart"`
	// FirstPresentationTime is the content time where the presentation
	// starts (DASH: PTO/timescale of the first Period; HLS: the first
	// EXT-X-PROGRAM-DATE-TIME), and ContentStartElementTime the video
	// element time it maps to (DASH: Period@start; HLS: the segment start).
	FirstPresentationTime   *float64 `json:"firstPresentationTime"`
	ContentStartElementTime *float64 `json:"contentStartElementTime"`
	StartSource             string   `json:"startSource"`
	// FirstDisplayedTime is the content time of the first displayed frame.
	FirstDisplayedTime *float64 `json:"firstDisplayedTime"`
	Duration           *float64 `json:"duration"`
	// FramesDecoded and FramesDropped are the video element's
	// getVideoPlaybackQuality() totals at the end, FramesAtStart the total
	// when playback started: a run with video expected passes only when
	// FramesDecoded > FramesAtStart and VideoWidth > 0.
	FramesDecoded int `json:"framesDecoded"`
	FramesDropped int `json:"framesDropped"`
	FramesAtStart int `json:"framesAtStart"`
	VideoWidth    int `json:"videoWidth"`
	VideoHeight   int `json:"videoHeight"`
	// VideoExpected says whether the run had to decode video, and
	// VideoExpectedSource why: "caller" (Options.Video), "manifest",
	// "player", "element" (the video element has a picture size), or
	// "manifest, player and element" when none shows video.
	VideoExpected       bool     `json:"videoExpected"`
	VideoExpectedSource string   `json:"videoExpectedSource"`
	Errors              []string `json:"errors"`
	Warnings            []string `json:"warnings"`
	// WallSeconds is the page's own time (without browser start-up);
	// Elapsed the whole run.
	WallSeconds float64       `json:"wallSeconds"`
	Elapsed     time.Duration `json:"-"`
}

func (r Result) String() string {
	s := fmt.Sprintf("%s ok=%v played=%.2fs in %v (video %dx%d expected=%v, frames %d decoded, %d at start, %d dropped)",
		r.Player, r.OK, r.Played, r.Elapsed.Round(100*time.Millisecond), r.VideoWidth, r.VideoHeight, r.VideoExpected,
		r.FramesDecoded, r.FramesAtStart, r.FramesDropped)
	if r.FirstDisplayedTime != nil {
		s += " firstDisplayed=" + strconv.FormatFloat(*r.FirstDisplayedTime, 'f', 3, 64)
	}
	if !r.OK {
		s += ": " + r.Reason
	}
	return s
}

// browsers lets one browser run at a time in this test binary: at 16x on
// two cores, two decoders at once make each other stall.
var browsers = make(chan struct{}, 1)

// Play plays manifestURL in player (DashJS, Shaka or HLSJS) and returns
// what happened; a playback failure is reported in Result.OK, not as a test
// failure, so that tests can expect one. Play fails the test only when the
// harness itself cannot run (a missing node, chromium or node_modules: run
// make test-deps) or prints no result.
func Play(t testing.TB, player, manifestURL string, opts Options) Result {
	t.Helper()
	dir, err := requirements()
	if err != nil {
		t.Fatalf("playertest: %v", err)
	}
	if opts.MinSeconds == 0 {
		opts.MinSeconds = 60
	}
	if opts.Timeout == 0 {
		opts.Timeout = 120 * time.Second
	}
	args := []string{dir + "/play.mjs", "--player", player, "--url", manifestURL,
		"--min-seconds", num(opts.MinSeconds), "--timeout-seconds", num(opts.Timeout.Seconds())}
	if opts.ExpectStart != nil {
		args = append(args, "--expect-start", num(*opts.ExpectStart))
	}
	if opts.StartTolerance != 0 {
		args = append(args, "--start-tolerance", num(opts.StartTolerance))
	}
	if opts.StartAt != nil {
		args = append(args, "--start-at", num(*opts.StartAt))
	}
	if opts.StallSeconds != 0 {
		args = append(args, "--stall-seconds", num(opts.StallSeconds))
	}
	if opts.Rate != 0 {
		args = append(args, "--rate", num(opts.Rate))
	}
	args = append(args, "--video", opts.Video.flag())

	browsers <- struct{}{}
	defer func() { <-browsers }()
	// play.mjs has its own watchdog at Timeout; this one only catches a
	// node that hangs beyond it.
	ctx, cancel := context.WithTimeout(context.Background(), opts.Timeout+20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", args...)
	cmd.Env = append(cmd.Environ(), "PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	runErr := cmd.Run()
	elapsed := time.Since(start)

	var exit *exec.ExitError
	if runErr != nil && !errors.As(runErr, &exit) {
		t.Fatalf("playertest: running node: %v\n%s", runErr, stderr.String())
	}
	var res Result
	line := lastLine(stdout.String())
	if err := json.Unmarshal([]byte(line), &res); err != nil {
		t.Fatalf("playertest: %s printed no result (%v, %v)\nstdout: %s\nstderr: %s",
			player, runErr, err, stdout.String(), stderr.String())
	}
	res.Elapsed = elapsed
	if res.OK != (runErr == nil) {
		t.Fatalf("playertest: exit status %v disagrees with ok=%v", runErr, res.OK)
	}
	if res.OK {
		t.Logf("playertest: %v", res)
	} else {
		t.Logf("playertest: %v\n%s\nbrowser console (tail):\n%s", res, line, stderr.String())
	}
	return res
}

func num(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}
