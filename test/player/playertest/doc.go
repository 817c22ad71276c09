// Package playertest plays a DASH or HLS manifest in the JavaScript players
// reapd's users run — dash.js, shaka-player and hls.js — inside a real
// headless Chromium, so that Go tests (catch-up, start-over, gaps) can prove
// that what reapd serves actually plays.
//
// [Play] runs ../play.mjs under node; the player libraries and playwright-core
// come from ../node_modules, installed from the pinned ../package-lock.json by
// `make test-deps` (scripts/install-test-deps.sh), and the browser is Debian's
// /usr/bin/chromium (never a downloaded one). A missing prerequisite fails the
// test with "run make test-deps"; it is never skipped.
//
// # What a run proves
//
// The page plays the manifest muted; after the first frame is on screen it
// sets video.playbackRate to [Options.Rate] (16 by default, Chromium's
// maximum), so 60 s of media take about 4 s while every frame still passes
// through MSE and the decoder. It succeeds once video.currentTime has
// advanced by more than [Options.MinSeconds] with no error and, when video is
// expected, with video decoded meanwhile: videoWidth > 0 and
// getVideoPlaybackQuality().totalVideoFrames above its value when playback
// started ([Result.FramesAtStart], [Result.FramesDecoded]). Video is
// expected ([Options.Video], default [VideoAuto]) when the manifest offers it
// or the player found a video track, so a player that drops a manifest's
// video (unplayable codec, a SourceBuffer it could not add) and plays the
// audio alone fails with "no video". The errors that fail a run: dash.js
// "error"/"playbackError" events, shaka "error" events and a rejected load,
// hls.js fatal errors (non-fatal ones are retried by hls.js and reported as
// warnings), the video element's "error", or an uncaught exception. It also
// fails at the end of the media, after [Options.StallSeconds] without
// progress (a player that silently plays nothing, as dash.js and shaka do
// with a static MPD whose segments carry epoch times and no
// presentationTimeOffset), or at [Options.Timeout].
//
// [PlayPatiently] is Play with one more try at 4x when the first failed
// starved ([Result.Starved]: it stalled, or dropped most of its frames), as
// a decoder at 16x on two cores shared with a test suite now and then does;
// a manifest that does not play, or starts at the wrong instant, fails at
// 4x too.
//
// # Where the content starts
//
// [Result.FirstPresentationTime] is the content's own time (for reapd: epoch
// seconds) at the start of the presentation: for DASH the first Period's
// presentationTimeOffset/timescale (from dash.js's Representation; for shaka,
// whose compiled build hides it, from the MPD), for HLS the first segment's
// EXT-X-PROGRAM-DATE-TIME as hls.js parsed it (fragment.programDateTime), else
// its start. [Result.FirstDisplayedTime] maps the first frame the compositor
// showed (requestVideoFrameCallback's mediaTime) onto that time line;
// [Options.ExpectStart] makes the run fail when it is further than
// [Options.StartTolerance] (one frame at 25 fps) from the expected instant.
//
// Found while building this (Chromium 156, the pinned players): a window whose
// presentationTimeOffset falls inside a segment starts, in both dash.js and
// shaka, at the next keyframe, not at the offset — the media source's append
// window drops the frames before the Period start and with them the rest of
// that GOP. A PTO on the segment start plus a start position does land within
// a frame: dash.js honours an MPD anchor "#t=1.5" or [Options.StartAt],
// shaka only [Options.StartAt] (player.load's startTime), hls.js
// EXT-X-START:TIME-OFFSET=…,PRECISE=YES or [Options.StartAt].
//
// # What the server under test must send
//
// The page is served from its own 127.0.0.1 port, so every request the
// players make is cross-origin. Manifests, playlists, headers and segments
// need
//
//	Access-Control-Allow-Origin: *
//	Access-Control-Expose-Headers: Content-Length, Content-Range, Date, ETag
//
// and, for byte-range requests (SegmentBase, EXT-X-BYTERANGE), an answer to
// the preflight OPTIONS with
//
//	Access-Control-Allow-Methods: GET, HEAD, OPTIONS
//	Access-Control-Allow-Headers: Range
//
// The browser resolves no host names but localhost and the manifest's host,
// so a dynamic (start-over) MPD must carry its own UTCTiming (e.g. an
// http-iso or http-xsdate URL on reapd, or a "direct" value): dash.js's
// default time server is unreachable, as it is in CI. A dynamic manifest
// cannot be played faster than its live edge: use Rate 1 and a MinSeconds
// below the distance to the edge.
//
// # Other scripts
//
// [Script] runs another node script of test/player under the same rules
// (one browser at a time, the pinned node_modules): webui.mjs drives
// reapd's web page for cmd/reapd's TestWebUI.
//
// # Cost
//
// One run is one browser: about 5 s of wall time for 60 s of 320x180 media on
// two cores. Play calls in one test binary are serialised so that parallel
// tests do not starve each other's decoders at 16x.
package playertest
