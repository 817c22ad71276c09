package playertest

import (
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// The harness's own proof, before any reapd server exists: all three players
// play more than 60 s of a fixture whose time line is on the epoch, and the
// first frame they show is the fixture's first frame.
func TestPlayersPlayFixture(t *testing.T) {
	base, f := media(t)
	pdt := float64(f.pdt.UnixNano()) / 1e9
	for _, c := range []struct {
		player, path string
		start        float64
	}{
		{DashJS, "/dash/manifest.mpd", fixtureEpoch},
		{Shaka, "/dash/manifest.mpd", fixtureEpoch},
		{HLSJS, "/hls/index.m3u8", pdt},
	} {
		t.Run(c.player, func(t *testing.T) {
			// Three frames of tolerance: at 16x a loaded machine's compositor
			// may skip showing the first frame or two (they are decoded, see
			// below); a start off by a GOP or a segment still fails.
			res := Play(t, c.player, base+c.path, Options{MinSeconds: 60, Timeout: time.Minute, ExpectStart: &c.start,
				StartTolerance: 0.121})
			if !res.OK || res.Played <= 60 || len(res.Errors) > 0 {
				t.Fatalf("want > 60 s played without errors, got %v %q", res, res.Errors)
			}
			if res.FirstPresentationTime == nil || math.Abs(*res.FirstPresentationTime-c.start) > 0.001 {
				t.Errorf("FirstPresentationTime = %v, want %.3f", ptr(res.FirstPresentationTime), c.start)
			}
			// Every frame passes through the decoder even at 16x (most are
			// then dropped from display): 25 fps, less a margin for counting.
			if want := int(res.Played * 25 * 0.95); res.FramesDecoded < want {
				t.Errorf("decoded %d frames for %.1f s at 25 fps, want >= %d", res.FramesDecoded, res.Played, want)
			}
			if res.Elapsed > 30*time.Second {
				t.Errorf("one run took %v, want well under 30 s", res.Elapsed)
			}
		})
	}
}

// A start position mid-segment (5.5 s into a segment that starts at 4 s)
// lands within one frame: the harness measures the frame really shown.
func TestStartAtMidSegment(t *testing.T) {
	base, _ := media(t)
	at, want := 5.5, fixtureEpoch+5.5
	// Three frames of tolerance, as above (a CI run showed the first frame
	// 0.101 s late, 437 of 523 frames dropped): a start at the first frame
	// of its segment and GOP (4 s) still fails.
	res := Play(t, Shaka, base+"/dash/manifest.mpd", Options{MinSeconds: 20, StartAt: &at, ExpectStart: &want,
		StartTolerance: 0.121})
	if !res.OK {
		t.Fatalf("start at %.1f s: %v %q", at, res, res.Errors)
	}
}

// The harness is honest: what does not play is reported as a failure.
func TestFailures(t *testing.T) {
	base, _ := media(t)
	t.Run("404", func(t *testing.T) {
		for _, p := range []string{DashJS, Shaka} {
			res := Play(t, p, base+"/dash/missing.mpd", Options{Timeout: 30 * time.Second})
			if res.OK || len(res.Errors) == 0 {
				t.Errorf("%s: a 404 manifest must fail with an error, got %v", p, res)
			}
		}
		res := Play(t, HLSJS, base+"/hls/missing.m3u8", Options{Timeout: 30 * time.Second})
		if res.OK || len(res.Errors) == 0 {
			t.Errorf("hlsjs: a 404 playlist must fail with an error, got %v", res)
		}
	})
	t.Run("no CORS", func(t *testing.T) {
		plain := httptest.NewServer(http.FileServer(http.Dir(fix.dir)))
		defer plain.Close()
		res := Play(t, HLSJS, plain.URL+"/hls/index.m3u8", Options{Timeout: 30 * time.Second})
		if res.OK {
			t.Errorf("a server without Access-Control-Allow-Origin must fail, got %v", res)
		}
	})
	t.Run("silent", func(t *testing.T) {
		// Epoch times without a PTO: dash.js shows no error and plays
		// nothing (toolchain.md); the stall watch must catch it.
		res := Play(t, DashJS, base+"/dash/nopto.mpd", Options{Timeout: 30 * time.Second, StallSeconds: 4})
		if res.OK || !strings.Contains(res.Reason, "stalled") {
			t.Errorf("a player that plays nothing must fail as stalled, got %v", res)
		}
	})
}

// Video is checked: a manifest with video passes only when video frames
// were decoded, one without video passes on its audio unless the caller
// requires video.
func TestVideoExpected(t *testing.T) {
	base, _ := media(t)
	short := Options{MinSeconds: 4, Timeout: time.Minute}
	for _, p := range []string{DashJS, Shaka} {
		t.Run(p+"/audio only", func(t *testing.T) {
			res := Play(t, p, base+"/dash/audio-only.mpd", short)
			if !res.OK || res.VideoExpected || res.FramesDecoded != 0 {
				t.Errorf("an audio-only manifest must pass without video, got %v", res)
			}
		})
	}
	req := short
	req.Video = VideoRequired
	if res := Play(t, DashJS, base+"/dash/audio-only.mpd", req); res.OK || !strings.Contains(res.Reason, "no video") {
		t.Errorf("VideoRequired: an audio-only manifest must fail with no video, got %v", res)
	}
	// dash.js drops the AdaptationSet whose codec Chromium cannot decode
	// and plays the audio: that is not the manifest played.
	res := Play(t, DashJS, base+"/dash/bad-video.mpd", short)
	if res.OK || !res.VideoExpected || res.VideoExpectedSource != "manifest" {
		t.Errorf("a manifest whose video is not decoded must fail, got %v (%s)", res, res.VideoExpectedSource)
	}
	opt := short
	opt.Video = VideoOptional
	if res := Play(t, DashJS, base+"/dash/bad-video.mpd", opt); !res.OK || res.VideoExpected {
		t.Errorf("VideoOptional: the audio alone must pass, got %v", res)
	}
}

func ptr(p *float64) any {
	if p == nil {
		return nil
	}
	return *p
}
