// Package catchup is the read side of reapd (design section 6): any
// wall-clock window of a channel's archive as DASH and HLS, the segments
// and headers those manifests name, and a JSON browse API.
//
// A [Server] reads the store the archiver writes — period index objects,
// storage track files, CMAF headers, staged segments, the channel timing
// and I-MPDs, all through [blobstore] — and never imports the archive
// package: the two meet in the formats of [trackfile] and [smpd]. Create
// one with [New] and serve [Server.Handler]; call [Server.Invalidate]
// after the archiver finalizes a period so the next request sees it.
//
// # Windows
//
// A window is start and end (or duration), RFC 3339 or epoch seconds
// ([ParseWindow]); start alone is a start-over, from start to the live
// edge. A closed window gives a static MPD and VOD playlists; a start-over
// a dynamic MPD and EVENT playlists. A window is at most
// [Options].MaxWindow long. A window that starts or ends inside a segment
// lists the whole segment and starts playback at the asked instant
// (presentationTimeOffset, EXT-X-START). A window that reaches outside the
// archive is clipped, and the Reapd-Window-Clipped header says where it
// was cut; Reapd-Window always gives the presented window. A window with
// no media at all is a 404 that says where the archive has media. With
// align=segment the presentation is the whole segments the window
// touches, for clients that seek to the asked instant themselves (an MSE
// player drops the frames before its append window start, and with them
// the rest of a GOP that the window cuts).
//
// # Periods and gaps
//
// A gap, 'miss' segment or header change in any track starts a new DASH
// Period (an HLS discontinuity, at the same place in every media
// playlist); a track without media in a Period is absent from it (HLS:
// EXT-X-GAP segments). A stretch where no track has media is left out of
// the presentation, which plays on after it.
//
// # Segments
//
// A segment is identified by its start on the epoch timeline (design
// section 2); the channel's grid slots (D and phase) only order and cut:
// two segments may share a slot (a split at a splice), a slot may have
// none (segments longer than D). Segment URLs name the track, its CMAF
// header and the segment's start ($Time$). They are immutable: a segment
// of a finalized period is a byte range of its storage track file, read
// straight from the store; a segment of the open period is its staged copy
// normalized as the finalizer stores it (trackfile.PrepareSegment), box by
// box while it streams from the store, so the bytes (and ETag) do not
// change when the period is finalized and a large staged segment is never
// held in memory. Staged copies are chosen as the archiver chooses them
// (trackfile.StagedTrack.Segments); a track file's copy of a start time
// wins over a staged one. Times in manifests and URLs use the
// track timescale, or a divisor of it when epoch times in the track
// timescale would exceed 2^53 (JavaScript players compute in float64).
//
// # Time index
//
// Per channel the server lists {channel}/index/ at most every
// [Options].IndexTTL and loads the period index objects a window spans
// (LRU-cached, they are write-once), so a 24-hour manifest reads a few
// dozen small objects at most and never a track file head. Staged
// segments are listed only when a window reaches the open period; their
// keys say their start and duration, so no staged object is read to list
// it. The index listing and the staged listing are each one refresh
// flight at a time, outside the channel's lock (timeindex_refresh.go):
// requests that need one wait and may leave when their context ends;
// requests with a fresh view, or that need only the index while staged
// segments are being listed, do not wait.
//
// # Clips
//
// GET /catchup/{channel}/clip.mp4?start=&end= is one MP4 of the window
// built by package clipmp4 from the stored segments (no re-encoding):
// progressive with the moov first (format=fmp4: fragmented), the best
// video and an audio track per language by default (tracks=), cut at the
// key frame at or before start, or exactly with accurate=1 (edit lists).
// Its size and ETag are known before it is written, Range requests read
// only the media they cover, and a player's many Range requests share one
// plan (kept a minute). Gaps keep their time and are listed in
// Reapd-Gaps. [Server.PlanClip] and [Server.WriteClip] give the same
// clip to other packages, [Server.ClipExporter] with the plain arguments
// of export jobs (ClipSize, then WriteClip on the same plan); a clip
// window has no length cap.
//
// # Browse API
//
// GET /api/channels, /api/channels/{channel} (tracks with codec
// information, first and last instants, storage use) and
// /api/channels/{channel}/coverage?from=&to= (per track the ranges of
// media and the gaps between them with the archive's reason). The channel
// list is answered from memory, refreshed at most every
// [Options].BrowseTTL by one refresh that every waiting request shares.
// Stored media at implausible times (beyond year 9999) is left out of the
// answers and named in their "problems", never a 500.
//
// # Access control
//
// Open by default. With [Options].ReadTokens or [Options].URLSigner set,
// every request but a CORS preflight needs a bearer read token or an
// expiring signed URL ([URLSigner]: HMAC-SHA256 over the path, or a path
// prefix, and the expiry): none is 401, an expired or altered signature
// 403. A manifest fetched with a signed URL writes its media playlist,
// header and segment URLs with a signature on the prefix
// /catchup/{channel}/ and the same expiry, so that $Time$ templates and
// relative HLS URIs stay signed. [Server.Protect] puts other packages'
// endpoints behind the same check; POST /api/sign mints signed URLs for a
// token holder.
//
// Errors map to statuses in one place: bad input 400, unknown channel,
// track or segment and empty windows 404, store outages 503; never a 5xx
// for a client's mistake.
package catchup
