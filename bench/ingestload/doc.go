// Package ingestload is the ingest load generator and the raw-sink
// baseline of `make bench ingest` (issue 13).
//
// [MakeMedia] encodes a short clip once with ffmpeg — 1280×720 video at
// about 3 Mbit/s and two AAC tracks, CMAF segments of D = 2 s — and caches
// it in a directory. [Run] pushes that media for N channels as live
// encoders would, through one keep-alive connection per track: the
// template segments are cycled and their tfdt (and mfhd) rewritten to the
// grid slot each one is sent for, so every segment is new media on the
// epoch timeline. In [Realtime] mode a channel sends segment n when it is
// complete (at the end of its slot), channels staggered over D; in [Fast]
// mode every track sends its segments back to back. [Run] records the
// latency of every request (from the first byte sent to the answer) and
// returns a [Result] with its percentiles.
//
// [Sink] is the baseline: an HTTP server that writes every body as the
// file store does (temporary file, fsync, link), and nothing else. [Proc]
// reads a process's CPU time and peak RSS from /proc.
//
// The bench is not a test: its figures depend on the machine; see
// cmd/reapd-bench, which runs reapd and the sink with the same load.
package ingestload
