package smpd

// VoDMPD writes the static MPD of a VoD package (an export of a window of
// the archive, design section 7): the recording S-MPD of the window (see
// RecordingMPD: on-demand profile, Periods from PT0S split where the runs
// change, SegmentBase Representations with presentationTimeOffset on the
// epoch timeline, the I-MPD's AdaptationSets) over the package's own
// files, which are the runs: their keys name the files relative to
// "{in.Channel}/", and the MPD, stored beside them, names them so in its
// BaseURLs. The output depends on the input only.
func VoDMPD(in RecordingInput) ([]byte, error) { return recordingMPD(in, "") }
