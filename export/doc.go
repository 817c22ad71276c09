// Package export turns a window of a channel's archive into a VoD asset
// (design section 7): a package in the DASH on-demand profile and in HLS
// over the same files, or one MP4 (through an injected ClipWriter), written
// to any store, as jobs that live in the store and survive restarts.
//
// # Packages
//
// [MakePlan] reads the period indexes of the window [T1, T2) and plans a
// [Plan]: every archived segment that overlaps the window (the cut is at
// segment boundaries, media never shifted), per track in [File]s that are
// contiguous in time and use one CMAF header, and the [Gap]s. Each file is
// a storage track file (the CMAF header, one sidx v1 written by
// trackfile.WriteHead, the segments), its bytes copied by range reads from
// the archive's track files.
//
// [WritePackage] writes a plan in a format — "dash" (files and a static MPD
// with SegmentBase, smpd.VoDMPD), "hls" (files and a multivariant playlist
// plus version 7 media playlists with EXT-X-MAP BYTERANGE and
// EXT-X-BYTERANGE) or "cmaf" (files and both manifests) — to a
// [Destination] opened from a store URL and prefix ([OpenDestination]).
// Media files come first, under deterministic write-once names
// ("{track}-{start tfdt}-{segments}.{ext}"); manifests last. A gap, or a
// header change, starts a new DASH Period and an HLS discontinuity.
//
// # Jobs
//
// A [Service] runs export jobs and serves their HTTP API ([Service.Handler]:
// POST/GET/DELETE /api/exports, and GET /api/exports/{id}/files/{path…} for
// packages written to reapd's own store). A job lives in reapd's store
// under {channel}/exports/{id}/: job.json (the [Request], write-once; an
// idempotency key gives a deterministic id, so the same key finds the same
// job on any instance), plan.json (the Plan, write-once at the first run:
// a resumed job writes the same bytes even when the archive grew),
// status.json (the claim of the instance running it with the progress,
// replaced about every second), cancel.json (DELETE) and done.json (the
// final [Job], write-once). [Service.Start] scans the store, claims jobs
// that no live instance holds (a claim not renewed for Options.Lease is
// taken over, as archive finalize claims are) and runs Options.Workers at
// once; [Service.Close] stops them and releases their claims, so they
// resume at once elsewhere. A job that the store fails waits, queued with
// the error, and resumes at the next scan. Jobs write only to the
// destinations Options.AllowDestination allows ([AllowDestinations]), or
// to reapd's own store. "mp4" jobs write one clip.mp4 through the
// injected [ClipWriter] (the catch-up clip builder).
package export
