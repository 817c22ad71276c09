// Package clipmp4 builds one MP4 file — progressive (moov first) or
// fragmented — out of the CMAF segments of a few tracks over a window of
// the archive, without re-encoding (design section 7, issue 11). It is
// pure: segments are read through a [Source] (range reads of objects;
// a blobstore.Store is one), nothing else is touched.
//
// # Two passes
//
// [NewPlan] is the plan pass: it reads only each segment's boxes up to
// and including its moofs (mdat payloads are skipped: short ones read
// through, long ones by a new range read), 16 segments at once across the
// tracks, and computes the whole moov —
// mvhd, one trak per track with stts, ctts, stss, stsz, stsc and stco (co64
// above 4 GiB), sample entries from the CMAF headers, an edit list — and
// so the size of the output and its ETag before a byte is written.
// [Plan.WriteTo] and [Plan.WriteRange] are the write pass: the head from
// memory, then the media straight from the source, one range read per
// segment and track (at most 1 MiB, four ahead of the writer); the mdat
// interleaves the tracks segment by segment (chunks in decode time
// order). A Range needs only the source ranges it covers.
//
// Measured (BenchmarkClip, one hour of 2 Mbit/s video and AAC, 1 GB, on a
// loaded 2-core machine): the write pass copies at several GB/s from
// memory with about 29 000 allocations per clip; the plan pass makes
// about 500 000 (mp4ff's moof decoding); with 1 ms per store read the
// plan takes about 1.1 s and the write runs at about 780 MB/s.
//
// The output is a deterministic function of the input (creation times
// are the window start). Memory is bounded by the moov: per sample 4
// bytes of stsz (none when all sizes are equal), plus an entry per change
// of duration (stts), composition offset (ctts) and per sync sample
// (stss); per chunk 8 bytes of offset (4 below 4 GiB) and a 32-byte
// record of where it comes from. Measured (BenchmarkPlan48h): a 48 h clip
// of 2 Mbit/s 25 fps video and AAC in 2 s segments of four 0.5 s chunks
// (59 GB) has a 55 MB moov and its plan holds 92 MB; one hour is 1.1 MB
// of moov. While the moov is encoded its tables exist twice (boxes and
// bytes), once after.
//
// # Cuts
//
// A clip starts at the sync sample at or before Options.Start (video;
// other tracks at the sample at the video's start) and ends after the
// last sample presented before Options.End (a decode-order prefix of the
// segment that holds End). Time zero is the earliest track start; a
// track that starts later gets an empty edit. With Options.Accurate the
// edit lists present exactly [Start, End): media still starts at the
// sync sample, and elst media_time skips to Start.
//
// # Gaps
//
// The clip never moves media in time. Each sample keeps its decode time
// relative to the clip: where a track has a gap, the sample before it
// lasts until the next one starts (stts), so the following chunk starts
// at its true time (a player holds the last frame). [Plan.Gaps] says
// where.
//
// # Fragmented output
//
// With Options.Fragmented the output is ftyp, a moov with mvex (the CMAF
// headers' sample entries, no samples) and the segments' moof+mdat as
// stored (tfdt kept on the epoch timeline), whole fragments from the one
// holding the first sample; mfhd sequence numbers and tfhd track_IDs are
// renumbered in flight.
package clipmp4
