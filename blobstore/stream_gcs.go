package blobstore

// gcsStreamChunk is the chunk size of CreateFrom on gs://: each stream
// buffers one chunk, an object smaller than a chunk is sent in one request
// once the writer reached its end, and a larger one in a resumable session
// that only its last chunk completes.
//
// Chunks are what makes an aborted CreateFrom leave nothing on GCS.
// gocloud aborts a write by cancelling its context before Close. That is
// safe when no request that could complete the object starts before Close
// (S3: the single PUT, or the completion of a multipart upload, starts
// only after Close, with the cancelled context). Without chunks, the GCS
// client streams the object in one multipart request while it is written;
// when the writer stops, the client's encoder still writes the closing MIME
// boundary before failing the request body, and notices the cancellation
// only in a goroutine of its own, after Close may have ended the body
// normally. The server then sees a well-formed request and creates a
// truncated object under a write-once key — against fake-gcs-server, in
// about one abort in three. With chunks, the request that completes the
// object starts only after Close, with the cancelled context, and fails.
const gcsStreamChunk = 8 << 20
