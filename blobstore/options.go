package blobstore

import "time"

// Op names a store operation, for fault injection in tests and in errors.
type Op string

// Store operations.
const (
	OpCreate Op = "create"
	OpPut    Op = "put"
	OpRead   Op = "read"
	OpStat   Op = "stat"
	OpList   Op = "list"
	OpDelete Op = "delete"
	// OpOpen names the probe of the bucket in Open (its errors carry the
	// URL as the key); it is never passed to Fault.
	OpOpen Op = "open"
)

// Default retry settings; see [Options].
const (
	DefaultMaxAttempts = 3
	DefaultRetryDelay  = 50 * time.Millisecond
	// AttemptMinRate is the slowest transfer an attempt's deadline
	// allows for: a write of n bytes gets AttemptTimeout + n/AttemptMinRate.
	AttemptMinRate = 8 << 20
)

// Options tunes Open; nil means defaults.
type Options struct {
	// Fault, when set, is called before every operation; a non-nil error is
	// returned as if the store had failed (wrapped in ErrUnavailable unless
	// it already wraps a category). For tests.
	//
	// Fault is called once per attempt, with the operation and the key (the
	// prefix for OpList; "" for none), so a fault that fails every call fails
	// the operation after MaxAttempts tries, and a fault that fails once is
	// hidden by the retry. It is called from many goroutines at once.
	Fault func(op Op, key string) error

	// MaxAttempts bounds how often an operation that failed with a transient
	// ErrUnavailable is tried: 0 means DefaultMaxAttempts, 1 disables
	// retries. CreateFrom is never retried (its writer cannot be replayed).
	MaxAttempts int

	// RetryDelay is the pause before the second attempt; it doubles for each
	// further attempt, up to four times RetryDelay. 0 means
	// DefaultRetryDelay.
	RetryDelay time.Duration

	// AttemptTimeout bounds one attempt of Create, Put, Stat and Delete (a
	// write gets AttemptTimeout + size/AttemptMinRate); [WithAttemptTimeout]
	// sets it for the operations of one context instead. A store that hangs
	// rather than refusing fails the attempt with ErrUnavailable, which is
	// not retried, so that a caller (an encoder waiting for its answer)
	// hears about it in seconds. A store that answers other operations
	// meanwhile is busy, not hung: the attempt gets more time, up to five
	// deadlines (see runTimed). An attempt that runs past its deadline
	// is abandoned: a backend call that does not heed its context
	// (a file system stuck in a write) finishes in the background, and its
	// outcome is dropped; the data of a write must not be reused until
	// then, so callers must not recycle a buffer whose write failed.
	// Streams (CreateFrom, NewRangeReader), Get and List have no such
	// deadline (their size is not known up front). 0 (default): none; a
	// loaded disk may take seconds for an fsync, which a caller that can
	// wait (the finalizer) should wait for.
	AttemptTimeout time.Duration

	// Observe, when set, is called after every operation (all its
	// attempts) with its duration and its error (nil, or an *Error whose
	// category tells what failed): for metrics of store latency and
	// errors by operation. It is called from many goroutines at once and
	// must be quick.
	Observe func(op Op, d time.Duration, err error)
}

// Attrs are an object's attributes.
type Attrs struct {
	Key     string    // relative to the store's root (without the prefix= of the URL)
	Size    int64     // bytes
	ModTime time.Time // last modification; creation, for a write-once object
	ETag    string    // from Stat only; empty in List results
}
