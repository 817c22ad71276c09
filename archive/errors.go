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

// statusError carries the HTTP status an ingest failure answers with.
type statusError struct {
	status int
	err    error
}

func (e *statusError) Error() string { return e.err.Error() }
func (e *statusError) Unwrap() error { return e.err }

// withStatus wraps err with an explicit HTTP status.
func withStatus(status int, format string, args ...any) error {
	return &statusError{status: status, err: fmt.Errorf(format, args...)}
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
	var se *statusError
	var mbe *http.MaxBytesError
	var be *blobstore.Error
	switch {
	case errors.As(err, &se):
		return se.status
	case errors.As(err, &mbe), errors.Is(err, trackfile.ErrTooLarge):
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
