package blobstore

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"strings"
	"syscall"

	"gocloud.dev/gcerrors"
	"google.golang.org/api/googleapi"
)

// Error categories, matched with errors.Is. Every error returned by a
// Store wraps exactly one of them (or is a context error) and names the key.
var (
	ErrNotFound    = errors.New("blobstore: not found")
	ErrExists      = errors.New("blobstore: already exists")
	ErrInvalidKey  = errors.New("blobstore: invalid key")
	ErrUnavailable = errors.New("blobstore: store unavailable") // transient: retry later (→ 503)
)

// categories lists the sentinels in the order they are looked for.
var categories = []error{ErrNotFound, ErrExists, ErrInvalidKey, ErrUnavailable}

// Error is the type of every error a [Store] returns. It names the operation
// and the key (or the listing prefix), and wraps the category in Kind
// ([ErrNotFound], [ErrExists], [ErrInvalidKey] or [ErrUnavailable]) as well as
// the underlying cause. For a cancelled or expired context Kind is nil and
// Err is the context's error, so errors.Is(err, context.Canceled) holds and
// no category matches.
type Error struct {
	Op   Op     // the failed operation
	Key  string // the key, or the prefix for OpList; "" for none
	Kind error  // the category sentinel; nil for a context error
	Err  error  // the cause; may be nil
	// retry marks a transient failure worth another attempt.
	retry bool
}

// Error formats as `blobstore: OP "KEY": CATEGORY: CAUSE`.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("blobstore: ")
	b.WriteString(string(e.Op))
	fmt.Fprintf(&b, " %q", e.Key)
	if e.Kind != nil {
		b.WriteString(": ")
		b.WriteString(strings.TrimPrefix(e.Kind.Error(), "blobstore: "))
	}
	if e.Err != nil && e.Err != e.Kind {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap returns the category and the cause, for errors.Is and errors.As.
func (e *Error) Unwrap() []error {
	var errs []error
	if e.Kind != nil {
		errs = append(errs, e.Kind)
	}
	if e.Err != nil && e.Err != e.Kind {
		errs = append(errs, e.Err)
	}
	return errs
}

// newError returns an *Error of the given category with a formatted cause.
func newError(op Op, key string, kind error, format string, args ...any) *Error {
	return &Error{Op: op, Key: key, Kind: kind, Err: fmt.Errorf(format, args...)}
}

// categoryOf returns the category sentinel err wraps, or nil.
func categoryOf(err error) error {
	for _, c := range categories {
		if errors.Is(err, c) {
			return c
		}
	}
	return nil
}

// classify turns an error from gocloud, the file system or a caller's
// function into an *Error with exactly one category. An error that already
// wraps a category keeps it; while ctx is done, anything that is not a
// definite answer (not found, exists, invalid) becomes ctx's error.
func classify(ctx context.Context, op Op, key string, err error) *Error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		if e == err && e.Op == op && e.Key == key {
			return e
		}
		return &Error{Op: op, Key: key, Kind: e.Kind, Err: err, retry: e.retry}
	}
	// A category from a Fault (or a writer) stands; ErrUnavailable there is
	// as transient as anywhere.
	kind := categoryOf(err)
	var k kinded
	retry := kind == ErrUnavailable && !(errors.As(err, &k) && k.final)
	if kind == nil {
		kind, retry = kindOfCode(err)
	}
	if kind == ErrUnavailable {
		if cerr := ctx.Err(); cerr != nil {
			// The failure is most likely the cancellation itself.
			return &Error{Op: op, Key: key, Err: cerr}
		}
	}
	return &Error{Op: op, Key: key, Kind: kind, Err: err, retry: retry && kind == ErrUnavailable}
}

// kindOfCode maps a gocloud error code (and a few file-system errors that
// fileblob leaves as Unknown, and HTTP answers the drivers leave as
// Unknown) to a category, and says whether a retry may help.
func kindOfCode(err error) (kind error, retry bool) {
	switch {
	case errors.Is(err, syscall.ENOTDIR):
		// file://: a read through a key whose parent "directory" is an object.
		return ErrNotFound, false
	case errors.Is(err, syscall.ENAMETOOLONG):
		return ErrInvalidKey, false
	case errors.Is(err, syscall.ENOSPC), errors.Is(err, syscall.EDQUOT), errors.Is(err, syscall.EROFS),
		errors.Is(err, fs.ErrPermission):
		// file://: a full, read-only or forbidden file system. The store is
		// unavailable until an operator acts; retrying at once will not help.
		return ErrUnavailable, false
	}
	var coded interface{ ErrorCode() string } // S3 API errors (raw from s3Put, or under gocloud's)
	if errors.As(err, &coded) {
		switch coded.ErrorCode() {
		case "KeyTooLongError":
			return ErrInvalidKey, false
		case "PreconditionFailed":
			return ErrExists, false
		case "NoSuchBucket", "NoSuchKey", "NotFound":
			return ErrNotFound, false
		}
	}
	switch gcerrors.Code(err) {
	case gcerrors.NotFound:
		return ErrNotFound, false
	case gcerrors.FailedPrecondition, gcerrors.AlreadyExists:
		return ErrExists, false
	case gcerrors.InvalidArgument:
		return ErrInvalidKey, false
	case gcerrors.PermissionDenied, gcerrors.Unimplemented:
		// Configuration problems: unavailable, but retrying will not help.
		return ErrUnavailable, false
	}
	return ErrUnavailable, !permanentHTTP(err)
}

// permanentHTTP reports whether err carries an HTTP status that another
// attempt will not change: a 4xx other than 408 (timeout), 409 (S3's
// ConditionalRequestConflict, a race the retry resolves into ErrExists) and
// 429 (slow down).
func permanentHTTP(err error) bool {
	status := 0
	var aws interface{ HTTPStatusCode() int }
	var gapi *googleapi.Error
	switch {
	case errors.As(err, &aws):
		status = aws.HTTPStatusCode()
	case errors.As(err, &gapi):
		status = gapi.Code
	}
	switch status {
	case http.StatusRequestTimeout, http.StatusConflict, http.StatusTooManyRequests:
		return false
	}
	return status >= 400 && status < 500
}

// kinded attaches a category to an error without repeating the category in
// the message; classify then keeps that category. A final ErrUnavailable
// is not retried.
type kinded struct {
	kind, err error
	final     bool
}

func (k kinded) Error() string   { return k.err.Error() }
func (k kinded) Unwrap() []error { return []error{k.kind, k.err} }
