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
// through, long ones by a new range read) and computes the whole moov —
// mvhd, one trak per track with stts, ctts, stss, stsz, stsc and stco (co64
// above 4 GiB), sample entries from the CMAF headers, an edit list — and
// so the size of the output and its ETag before a byte is written.
// [Plan.WriteTo] and [Plan.WriteRange] are the write pass: the head from
// memory, then the media straight from the source, one range read per
// segment and track; the mdat interleaves the tracks segment by segment
// (chunks in decode time order). A Range needs only the source ranges it
// covers.
//
// The output is a deterministic function of the input (creation times
// are the window start). Memory is bounded by the moov: per sample 4
// bytes of stsz (none when all sizes are equal), plus an entry per change
// of duration (stts), composition offset (ctts) and per sync sample
// (stss), and per chunk 8 bytes of offset and 24 of layout. A 48 h clip of
// 25 fps video and 48 kHz AAC in 2 s segments of four 0.5 s chunks has
// 4.3 M video and 8.1 M audio samples: about 50 MB of stsz, 1.4 MB of
// stss, 5.5 MB of chunk offsets and 17 MB of chunk records (plus up to
// 35 MB of ctts with B-frames), and the encoded moov once more while it
// is written; a one-hour clip is about 1/48 of that.
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
