package catchup_test

import (
	"fmt"
	"testing"

	"github.com/reapd/reapd/test/player/playertest"
)

// TestPlayersPlayCatchUp plays catch-up windows of a real ffmpeg archive in
// dash.js, shaka-player (DASH) and hls.js (HLS) inside headless Chromium
// (issue 4, acceptance 1 and 3).
//
// Where a window starts inside a segment (5.3 s here, in the GOP that starts
// at 4 s), two presentations exist. The default (align=instant) sets
// presentationTimeOffset to the asked instant: nothing before it is shown,
// and DASH players in a browser start at the first keyframe at or after it,
// because the media source drops the frames before the Period start and the
// rest of their GOP with them. For a frame-accurate start a page uses
// align=segment (the Period starts with the segment) plus the player's own
// start position, as a "play from 10:32:05" button does; hls.js gets it from
// EXT-X-START:PRECISE=YES alone.
func TestPlayersPlayCatchUp(t *testing.T) {
	needFFmpeg(t)
	a := newLiveArchive(t)
	const start, gop = 5.3, 2.0
	want := float64(e2eEpoch) + start
	startAt := start - 4 // from the start of the segment [4 s, 6 s)
	type check int
	const (
		exact        check = iota // within one frame of the asked instant
		nextKeyframe              // at the first keyframe at or after it
		none
	)
	cases := []struct {
		name, path string
		player     string
		start, end float64
		minPlay    float64
		startAt    *float64
		check      check
	}{
		{"instant", "manifest.mpd", playertest.DashJS, start, start + 90, 60, nil, nextKeyframe},
		{"instant", "manifest.mpd", playertest.Shaka, start, start + 90, 60, nil, nextKeyframe},
		{"instant", "master.m3u8", playertest.HLSJS, start, start + 90, 60, nil, exact},
		{"segment-aligned", "manifest.mpd", playertest.DashJS, start, start + 90, 60, &startAt, exact},
		{"segment-aligned", "manifest.mpd", playertest.Shaka, start, start + 90, 60, &startAt, exact},
		{"across the gap", "manifest.mpd", playertest.DashJS, 70, 150, 50, nil, none},
		{"across the gap", "manifest.mpd", playertest.Shaka, 70, 150, 50, nil, none},
		{"across the gap", "master.m3u8", playertest.HLSJS, 70, 150, 50, nil, none},
	}
	for _, c := range cases {
		t.Run(c.name+"/"+c.player, func(t *testing.T) {
			q := Window(c.start, c.end)
			if c.name == "segment-aligned" {
				q += "&align=segment"
			}
			opts := playertest.Options{MinSeconds: c.minPlay, StartAt: c.startAt}
			if c.check == exact {
				opts.ExpectStart = &want
			}
			res := playertest.PlayPatiently(t, c.player, a.URL("/catchup/ch1/"+c.path+"?"+q), opts)
			if !res.OK {
				t.Fatalf("did not play: %s (errors %v, played %.1f s)", res.Reason, res.Errors, res.Played)
			}
			if c.check == nextKeyframe {
				if res.FirstDisplayedTime == nil {
					t.Fatal("no first displayed frame reported")
				}
				if d := *res.FirstDisplayedTime - want; d < -0.041 || d > gop {
					t.Errorf("first displayed frame %.3f s after the asked instant; want [0, one GOP]", d)
				}
			}
			t.Logf("played %.1f s, first displayed %v, presentation start %v", res.Played,
				deref(res.FirstDisplayedTime), deref(res.FirstPresentationTime))
		})
	}
}

func deref(f *float64) any {
	if f == nil {
		return nil
	}
	return fmt.Sprintf("%.3f", *f)
}
