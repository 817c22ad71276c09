package smpd

// VoDMPD writes the static MPD of a VoD package (an export of a window of
// the archive, design section 7): the same on-demand profile MPD as
// ArchiveMPD — one Period per stretch over which the same files play, each
// Representation a SegmentBase over its file (one sidx v1, the segments),
// gaps and header changes splitting Periods — but with the first Period at
// PT0S and mediaPresentationDuration the span of the package, and no
// availabilityStartTime, so that players show a VoD timeline from zero.
// presentationTimeOffset still maps each Period start to the media's epoch
// times: no media is shifted. The runs' keys name the package's files
// relative to "{in.Channel}/", as for ArchiveMPD; the output is a
// deterministic function of the input.
func VoDMPD(in ArchiveInput) ([]byte, error) { return onDemandMPD(in, true) }
