// Package retention deletes a channel's expired storage periods and keeps
// the ones people asked to keep (design section 8).
//
// # Holds
//
// A [Hold] keeps the periods overlapping [From, To) of a channel. Holds are
// write-once objects under {channel}/holds/{id}.json ([CreateHold],
// [ListHolds], [DeleteHold]); [NewHandler] serves them as POST, GET and
// DELETE /api/holds… with one writeError mapping [ErrBadRequest],
// [ErrNotFound] and the blobstore categories to 400, 404 and 503.
//
// # Runs
//
// A [Retention] runs each channel's [Policy] (MaxAge, MaxBytes) on its
// cron schedule ([Retention.Start], [Retention.Close]; robfig/cron with
// Recover and SkipIfStillRunning) or on demand ([Retention.Run], also as a
// dry run). A run deletes whole storage periods, oldest first: those that
// ended more than MaxAge ago, then the oldest while the channel holds more
// than MaxBytes — never the open period, one without an index object yet,
// the newest indexed one, or one overlapping a hold or a [Window] of
// Options.Keep (the recordings).
//
// The order makes sure no reader meets a dangling reference: a tombstone
// ({channel}/retention/{k}.json) records the deletion, then the period's
// index objects go (catch-up and new manifests no longer see it), then
// Options.Publish republishes the derived archive S-MPDs without it, then
// the track files and the CMAF headers that nothing else names go, then
// the tombstone. A run cut short is finished by the next one, on any
// instance, from the tombstones. The metrics ([NewMetrics]) count bytes
// and periods freed; every deleted period is logged with its channel.
package retention
