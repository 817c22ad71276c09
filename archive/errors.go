package archive

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strconv"

	"github.com/reapd/reapd/blobstore"
	"github.com/reapd/reapd/smpd"
	"github.com/reapd/reapd/trackfile"
)

// Error categories of the archiver, matched with errors.Is. Every error
// an ingest request fails with wraps one of them, a [blobstore] category or
// a [trackfile] / [smpd] parse error; statusOf, at the HTTP edge, is the one
// place that maps them to statuses.
var (
	// ErrBadRequest: a malformed path, name, body structure or time
	// (before the epoch, past year 9999, too far ahead of the clock) → 400.
	ErrBadRequest = errors.New("bad ingest request")
	// ErrUnauthorized: the channel needs ingest credentials and none were
	// given → 401.
	ErrUnauthorized = errors.New("ingest credentials required")
	// ErrForbidden: wrong credentials, an unknown channel when channels
	// are not auto-created, or a channel or track over its cap → 403.
	ErrForbidden = errors.New("ingest refused")
	// ErrNoHeader: a media segment before any CMAF header of its track → 412.
	ErrNoHeader = errors.New("no CMAF header")
	// ErrTooLarge: a body, segment or I-MPD over its limit → 413.
	ErrTooLarge = errors.New("too large")
	// ErrTooMany: a channel over a count limit the encoder can stop
	// exceeding (I-MPD versions) → 429.
	ErrTooMany = errors.New("too many")
	// ErrUnavailable: the archiver is shutting down or cannot take the
	// request now (the encoder retries) → 503 with Retry-After.
	ErrUnavailable = errors.New("archiver unavailable")
	// ErrClientGone: the encoder hung up before its request was read
	// whole; nothing is answered (logged as 499).
	ErrClientGone = errors.New("client closed the request")
)

// ingestError is an error of category kind, perhaps with a cause, whose
// message is msg (the category is for errors.Is, not for the encoder's log).
type ingestError struct {
	kind, cause error
	msg         string
}

func (e *ingestError) Error() string { return e.msg }

func (e *ingestError) Unwrap() []error {
	if e.cause == nil {
		return []error{e.kind}
	}
	return []error{e.kind, e.cause}
}

// fail returns an error of category kind with a formatted message.
func fail(kind error, format string, args ...any) error {
	return &ingestError{kind: kind, msg: fmt.Sprintf(format, args...)}
}

// failWith returns an error of category kind caused by cause, with a
// formatted message followed by the cause's.
func failWith(kind, cause error, format string, args ...any) error {
	return &ingestError{kind: kind, cause: cause, msg: fmt.Sprintf(format, args...) + ": " + cause.Error()}
}

// statusOf maps an error to the HTTP status of design section 3: client
// mistakes are 4xx, store failures 503 (the encoder retries), never a 5xx
// for a client's mistake.
//
// Every error of the store is a store fault, whatever its category: the
// archiver builds its keys from names it validated, so a key the store
// refuses (a file where a channel's directory should be), a read-only or
// full store, and an object missing or present where the archiver's own
// bookkeeping says otherwise are all 503 with Retry-After, never 400.
// A request body that arrives too slowly (a read deadline of the
// connection guard, which wraps os.ErrDeadlineExceeded) is 408.
func statusOf(err error) int {
	var mbe *http.MaxBytesError
	var be *blobstore.Error
	switch {
	case errors.Is(err, ErrClientGone):
		return 499 // client went away; not sent
	case errors.Is(err, ErrBadRequest):
		return http.StatusBadRequest
	case errors.Is(err, ErrUnauthorized):
		return http.StatusUnauthorized
	case errors.Is(err, ErrForbidden):
		return http.StatusForbidden
	case errors.Is(err, ErrNoHeader):
		return http.StatusPreconditionFailed
	case errors.Is(err, ErrTooMany):
		return http.StatusTooManyRequests
	case errors.Is(err, ErrUnavailable), errors.Is(err, ErrOverBudget):
		return http.StatusServiceUnavailable
	case errors.As(err, &mbe), errors.Is(err, trackfile.ErrTooLarge), errors.Is(err, ErrTooLarge):
		return http.StatusRequestEntityTooLarge
	case errors.As(err, &be) || errors.Is(err, blobstore.ErrUnavailable):
		if errors.Is(err, context.Canceled) {
			return 499
		}
		return http.StatusServiceUnavailable
	case errors.Is(err, os.ErrDeadlineExceeded):
		return http.StatusRequestTimeout
	case errors.Is(err, trackfile.ErrNotISOBMFF):
		return http.StatusUnsupportedMediaType
	case errors.Is(err, trackfile.ErrMalformed), errors.Is(err, smpd.ErrNotMPD),
		errors.Is(err, trackfile.ErrBadName):
		return http.StatusBadRequest
	case errors.Is(err, context.DeadlineExceeded):
		return http.StatusServiceUnavailable
	case errors.Is(err, context.Canceled):
		return 499 // client went away; not sent
	default:
		return http.StatusInternalServerError
	}
}

// writeError answers a failed ingest request, logs it with the channel and
// track, and counts it.
func (a *Archiver) writeError(w http.ResponseWriter, log *slog.Logger, channel string, err error) {
	status := statusOf(err)
	a.metrics.Rejects.WithLabelValues(channel, strconv.Itoa(status)).Inc()
	level := slog.LevelWarn
	switch {
	case status == 499:
		level = slog.LevelInfo
	case status >= 500:
		level = slog.LevelError
	}
	log.Log(context.Background(), level, "ingest rejected", "status", status, "err", err)
	if status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", strconv.Itoa(int(a.opts.RetryAfter.Seconds()+0.999)))
	}
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Basic realm="reapd ingest", charset="UTF-8"`)
	}
	if status == 499 {
		return
	}
	http.Error(w, err.Error(), status)
}
