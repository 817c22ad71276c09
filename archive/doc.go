// Package archive is the write side of reapd: it receives DASH-IF live
// media ingest (Interface 1 "CMAF ingest" and Interface 2 "DASH ingest")
// from one or more redundant encoders, and stages every media segment in
// the object store under its identity, its start time on the epoch
// timeline (tfdt plus the STS; ISO/IEC 23009-9 clauses 5.3, 6.2 and 7).
//
// An [Archiver] serves POST and PUT under /ingest/{channel}/…: ingest MPDs
// (stored raw and versioned, checked against clause 6.1), CMAF headers
// (stored content-addressed) and media segments, one per request or many in
// one long-running chunked POST ("Streams(track.cmfv)"). A segment is
// acknowledged only once it is durable in the store; the first complete copy
// of (track, start time, duration) wins and later copies from redundant
// encoders are counted and dropped. Identity comes from tfdt, never from
// URL numbers or mfhd: short, split, alternating and off-grid segments are
// all kept. The segment duration D and the grid phase, which only decide
// where a segment is filed, are learned from evidence (grid_evidence.go)
// unless configured or given by the I-MPD. Storage periods are finalized
// into storage track files whose runs are contiguous in time
// ([Archiver.Run]).
//
// After each finalize the derived S-MPDs are published (publish.go): the
// rolling {channel}/archive.mpd over the last Options.ArchiveWindow (24 h)
// up to the newest period, and {channel}/archive/{date}.mpd for each
// complete UTC day. A publish lists and reads only the periods it writes,
// so its cost does not grow with the archive's age; [Archiver.Republish]
// rewrites them after retention deleted a period.
//
// At scale (many channels on a small machine): on a file store, a
// single-object segment body whose mdat ends it is spooled to a temporary
// file in its staging directory as it arrives and linked under its key
// once its head is parsed (ingest_object.go), so that ingest holds a
// head and a buffer per request however slow the disk; other bodies are
// read into one pooled buffer, or parsed box by box into pooled buffers
// (ingest_buffers.go), each mdat read right after its moof, so that the
// media is copied once, from the connection. The finalizer learns
// the sizes for a track file's sidx from the staged segments' heads and
// streams their payloads (finalize_read.go), reading each staged byte
// once and holding no whole segment. An ingest store write has a per-attempt deadline
// ([Options].StoreAttemptTimeout: a store that hangs is answered 503 with
// Retry-After in seconds); the finalizer, which finalizes every channel's
// period at the same moment of the grid, is paced by a byte budget that
// follows the ingest rate ([Options].FinalizeRate), spreads channels over
// a window ([Options].FinalizeSpread) and runs on a thread of lower CPU
// priority (finalize_pace.go).
//
// Everything the archiver knows is recoverable from the store alone: header
// use markers beside the staged segments, write-once channel decisions
// (an STS fixed by "sts: auto", a learned segment duration and phase) under
// {channel}/state/, and the I-MPD versions under {channel}/ingest/.
//
// # Lifecycle
//
// [Archiver.Start] starts the finalizer's goroutine (it resumes from the
// store first); [Archiver.Close] refuses new ingest, waits for requests in
// flight, stops and waits for the finalizer, and finalizes what is due.
//
// # Errors
//
// Every failed ingest request wraps one of the categories [ErrBadRequest],
// [ErrUnauthorized], [ErrForbidden], [ErrNoHeader], [ErrTooLarge],
// [ErrTooMany], [ErrUnavailable] or [ErrClientGone], a [blobstore] error
// category, or a [trackfile] / [smpd] parse error; one function at the HTTP
// edge maps them to the statuses of design section 3 (400, 401, 403, 412,
// 413, 429, 503 with Retry-After for every store fault; never a 5xx for a
// client's mistake).
package archive
