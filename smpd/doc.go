// Package smpd reads and writes the MPDs of reapd: ingest MPDs (I-MPD,
// ISO/IEC 23009-9 clause 6.1) and storage MPDs (S-MPD, clause 9.3 as fixed
// by the reapd design, section 5).
//
// The package is pure: bytes in, bytes and values out; no store, no
// network, no logging, no globals. MPDs are read and written with
// github.com/Eyevinn/dash-mpd.
//
// # Ingest MPDs
//
// [ParseIngestMPD] parses an I-MPD into an [IngestMPD]: one [IngestTrack]
// per Representation, named by its Representation@id, with its
// SegmentTemplate resolved across the Representation, AdaptationSet and
// Period levels. Both ffmpeg's form (SegmentTemplate in the Representation,
// $Number%05d$) and the clause 6.1 form (SegmentTemplate in the
// AdaptationSet, SegmentTimeline, $Time$) are understood. The raw bytes are
// kept: dash-mpd drops elements it does not know.
//
// [IngestMPD.Check] reports the clause 6.1 findings a) to m) as
// [trackfile.Finding]s; [NamingChanged] compares an updated I-MPD with the
// previous one (6.1 k). A non-conforming I-MPD is still used where it is
// usable.
//
// [IngestMPD.Match] resolves a request path against the tracks'
// initialization and media templates, giving the track and the $Number$ or
// $Time$ value. Templates are compiled when the I-MPD is parsed; their
// literal text is never interpreted as a pattern.
//
// # Archive S-MPD
//
// [ArchiveMPD] writes the 24x7 archive S-MPD of a channel from its storage
// track file runs ([trackfile.Run]): a static, on-demand profile MPD with
// availabilityStartTime at the epoch, one Period per stretch of the segment
// grid over which the same runs play, each Representation a SegmentBase
// over its storage track file. The AdaptationSets copy the I-MPD's, or are
// synthesized from the CMAF headers. The output is a deterministic function
// of the input, so that any archiver can rebuild it byte for byte.
//
// # Recording S-MPD
//
// [RecordingMPD] writes the recording S-MPD of a wall-clock window [T1, T2)
// (Annex G as the design fixes it): static, mediaPresentationDuration
// T2 − T1, the archive's Periods cut to the window (the first at PT0S,
// presentationTimeOffset trimming to T1, the last ending at T2), BaseURLs
// relative to {channel}/recordings/{name}.mpd. Its AdaptationSets and
// Representations are copied from the raw I-MPD XML (an xnode tree read
// with encoding/xml's RawToken), so elements and attributes dash-mpd does
// not model are kept; live-only signalling is dropped. Without an I-MPD
// they are synthesized from the CMAF headers as for the archive S-MPD.
package smpd
