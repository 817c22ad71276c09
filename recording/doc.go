// Package recording makes recordings out of a channel's 24x7 archive
// (design section 5): a recording is a wall-clock window [start, end) of
// a channel, stored as a recording S-MPD ([smpd.RecordingMPD]) that any
// packager, origin or player can read straight from the bucket.
//
// # Objects
//
// Everything is in the store, write-once, so that recordings survive
// restarts and any number of instances may serve one bucket:
//
//	{channel}/recordings/{name}.json    the request (channel, name, window, schedule)
//	{channel}/recordings/{name}.result  the outcome (complete or failed, gaps), for that window
//	{channel}/recordings/{name}.mpd     the recording S-MPD
//
// A [Recorder] creates requests ([Recorder.Create]: the write-once create
// decides between two instances; a name taken with another window is
// [ErrConflict]), derives their state from the objects ([StateWaiting],
// [StateComplete], [StateFailed]) and completes waiting ones once the
// archive has reached their end: when the storage period holding the
// window's last instant (or a later one) is indexed, or after
// Options.GiveUp when the channel stopped. The S-MPD is made from the
// period indexes over the window and the I-MPD in force for it (the newest
// received before the end); a recording without media is failed. Two
// instances completing one recording write the same bytes.
//
// [Recorder.Start] runs the goroutine that completes recordings (every
// Options.Poll, and at once for a channel passed to [Recorder.Notify],
// which the archiver's OnFinalize calls); [Recorder.Close] stops it.
// [Recorder.Handler] serves POST/GET/DELETE /api/recordings; errors are
// mapped to statuses in one place (400 [ErrBadRequest], 404 [ErrNotFound],
// 409 [ErrConflict], 503 with Retry-After when the store fails).
// [Windows] lists a channel's recording windows for retention.
//
// # Schedules
//
// A [Scheduler] requests recordings on cron schedules ([Schedule]):
// github.com/robfig/cron/v3 with a time zone per schedule, a duration and
// a name template with Go date layouts in braces ("news-{2006-01-02}").
// Every instance runs the same schedules; the write-once create of the
// request makes each scheduled recording exist once.
package recording
