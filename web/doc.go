// Package web is reapd's web page at "/": the channels with their status,
// a wall-clock timeline per channel with the archived ranges and gaps of
// each track, a catch-up player (dash.js) that plays from any instant, and
// marks in and out to download a clip, start an MP4 export or create a
// recording. It is plain HTML, CSS and JavaScript modules, embedded in the
// binary (an embed directive), so `go build` alone makes a binary that
// serves the page and nothing is fetched at run time.
//
// [Handler] serves
//
//	GET /                        the page (Cache-Control: no-cache)
//	GET /ui/{version}/{file}     its assets, immutable under the current version
//
// where {version} is a hash of all assets ([Handler.Version]), so a new
// build changes every asset URL and browsers never mix two builds.
//
// The page talks only to reapd's own API (see the README): the browse API
// (/api/channels…, coverage fetched per visible range), catch-up
// (/catchup/{c}/manifest.mpd, clip.mp4) and, where the instance serves
// them, /api/recordings, /api/holds and /api/exports. When an API answers
// 401 it asks for a read token and sends it as a bearer header, also on
// the player's media requests (dash.js request interceptor).
//
// Modules (assets/): main.js wires the rest; state.js keeps the state in
// the URL hash (channel, cursor time, zoom, in, out, UTC) so a link can be
// shared; timeline.js and timeline_draw.js are the timeline, coverage.js
// its data; player.js plays; channels.js lists channels; jobs.js does
// clips, exports and recordings; api.js is the one door to the API.
//
// The player is vendored from npm ([Vendored]): the file is the one the
// pinned package version ships, byte for byte (vendor_test.go checks it
// against test/player/node_modules), with its licence.
package web
