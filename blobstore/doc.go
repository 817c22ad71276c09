// Package blobstore is reapd's one door to object stores: every byte the
// archive writes and the catch-up side reads goes through a [Store].
//
// [Open] takes a URL — mem://, file:///abs/dir, file://./rel/dir,
// s3://bucket?…, gs://bucket?…, each with an optional prefix= that roots the
// store below a prefix of the bucket ([Store.Prefix]) — and returns a Store
// built on gocloud.dev/blob (memblob, fileblob, s3blob, gcsblob).
// [Store.URL] gives the URL back without credentials.
//
// # Write once
//
// Media objects are written once: [Store.Create] and [Store.CreateFrom] are
// conditional creates (If-None-Match: * on S3, ifGenerationMatch=0 on GCS)
// that fail with [ErrExists] when the key exists, and never expose a partial
// object. Of two writers racing on one key, in one process or two, exactly
// one wins. [Store.CreateOrMatch] treats an existing object with identical
// bytes as success, for retried uploads. Only derived objects (S-MPDs) are
// replaced, with [Store.Put].
//
// What each backend guarantees (checked against gocloud v0.47.0):
//
//   - mem://: memblob checks and stores under one bucket mutex: atomic.
//   - file://: fileblob's IfNotExist is a stat followed by a rename, which
//     two writers can both pass (the second silently overwrites). The Store
//     therefore writes file:// objects itself, in fileblob's layout: a
//     temporary file in the target's directory, fsynced, then published by
//     os.Link, which fails atomically if the key exists (rename for Put).
//     Reads and Stat go through fileblob; listing and Delete are the
//     Store's own too: fileblob pages its listing in directory-walk order
//     and loses keys such as "p.mpd" next to a directory "p" once a listing
//     passes 1000 entries, and its Delete of a "directory" key fails (or
//     removes the directory, if empty).
//   - s3://: If-None-Match: * on PutObject and CompleteMultipartUpload, as
//     the server enforces it (AWS and versitygw do; gofakes3 only on single
//     PUTs, which is all objects under 16 MiB). Create and Put send the
//     caller's bytes in one PutObject of the SDK's client (gocloud's writer
//     would copy each object first, see s3Put); CreateFrom streams through
//     gocloud (multipart above 16 MiB).
//   - gs://: the DoesNotExist precondition (ifGenerationMatch=0).
//     CreateFrom uploads in 8 MiB chunks, so that an aborted stream can
//     never complete an object (see gcsStreamChunk).
//
// # Errors
//
// Every error a Store returns is an [*Error] naming the operation and the
// key, and wraps exactly one category — [ErrNotFound], [ErrExists],
// [ErrInvalidKey], [ErrUnavailable] — or is a context error; match them with
// errors.Is. Keys are validated first ([CheckKey]).
//
// # Retries and faults
//
// An operation failing with a transient ErrUnavailable is tried again, at
// most [Options].MaxAttempts times in all, with backoff and honouring the
// context. CreateFrom is never retried (its writer cannot be replayed). A
// retried Create whose lost first attempt had succeeded answers ErrExists;
// that is what CreateOrMatch is for. [Options].Fault injects failures for
// tests; it is consulted before every attempt. [Store.WithOptions] gives a
// view of an open store with other options, e.g. a fault.
//
// # Deadlines and observation
//
// [Options].AttemptTimeout, or [WithAttemptTimeout] for the operations of
// one context, puts a deadline on each attempt of Create, Put, Stat and
// Delete (plus a write's size at [AttemptMinRate]): an attempt past it is
// abandoned (a backend call stuck in a system call finishes in the
// background) and fails with ErrUnavailable, without retries, so that a
// caller hears of a store that hangs in seconds. [Options].Observe sees
// every operation's duration and error (metrics). A file:// store reads
// byte ranges from the file itself, and its readers hand the file to an
// io.ReaderFrom (sendfile to an HTTP response).
//
// # Listing
//
// [Store.List] returns all objects under a prefix in byte-wise key order;
// [Store.ListDirs] the "directories" directly under a prefix.
//
// # Testing
//
// Package blobstore/blobstoretest holds the conformance suite every backend
// passes (RunConformance), in-process S3 and GCS servers for other
// packages' tests (NewS3, NewGCS: URLs that need no environment, so tests
// may run in parallel), and the real servers as child processes (StartS3:
// versitygw, StartGCS: fake-gcs-server, built into .bin/ by "make
// test-deps"), which tests can stop and start again for outages.
package blobstore
