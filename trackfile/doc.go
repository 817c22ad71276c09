// Package trackfile implements the storage formats of ISO/IEC 23009-9
// (MPEG-DASH Part 9, "REaP") clause 9.2 as the reapd design fixes them:
// CMAF header and segment parsing, storage track files, storage keys, the
// segment grid and the period index. It is pure: bytes and readers in,
// bytes, writers and values out; no store, no network, no logging, no
// globals.
//
// # Reading ingest
//
// A [BoxReader] splits a (chunked) HTTP body into top-level boxes, holding
// one box at a time and classifying bad input by error category
// ([ErrMalformed] → 400, [ErrTooLarge] → 413, [ErrNotISOBMFF] → 415).
// [ParseHeader] parses a CMAF header (ftyp+moov, one track) into a
// [Header] with its content hash and [TrackInfo] (codec string, timescale,
// bandwidth, size, language, roles, brands). [ParseSegment] parses a media
// segment — styp/prft/emsg/sidx boxes and one or more CMAF chunks
// (moof+mdat) — into a [Segment]: tfdt, earliest presentation time,
// duration, SAP, brands (slat, miss, lmsg) and prft presence. All parsers
// recover from panics of the underlying box decoders and return
// ErrMalformed instead.
//
// # Writing storage track files
//
// A storage track file is the CMAF header as received, one sidx version 1
// indexing every segment, and the segments byte-for-byte as received
// except for dropped per-segment sidx boxes. [Normalize] (or
// [NormalizeWith]) prepares one segment, optionally shifting its media
// times by an STS offset; [PrepareSegment] also returns its [SegmentInfo].
// [WriteHead] writes header and sidx and returns the [HeadLayout];
// [WriteTrackFile] writes a whole file streaming one segment at a time and
// refuses segments that do not match their index entries ([ErrMismatch]).
// [ReadHead] reads the head of a storage track file back into segment
// byte ranges ([FileHead], [SegmentRef]).
//
// # Grid, keys and index
//
// [Grid] maps epoch media times to grid slots n and storage periods k
// (design section 2; a slot names and orders, a segment's identity is its
// start time); keys.go names every stored object (design section 4), and
// staged.go is the one model of a track's staged segments ([StagedTrack])
// for the archiver and catch-up alike;
// a [PeriodIndex] of [Run] values lets catch-up serve byte ranges without
// reading track file heads.
//
// # Validation
//
// [CheckHeader] and [CheckSegment] report REaP clause 6.2 findings (epoch
// alignment, constant duration, mfhd numbering, prft, edit lists, CMAF
// brands) as [Finding] values.
package trackfile
