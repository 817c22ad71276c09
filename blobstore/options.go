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
}

// Attrs are an object's attributes.
type Attrs struct {
	Key     string    // relative to the store's root (without the prefix= of the URL)
	Size    int64     // bytes
	ModTime time.Time // last modification; creation, for a write-once object
	ETag    string    // from Stat only; empty in List results
}
