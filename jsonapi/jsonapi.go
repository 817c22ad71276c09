// Package jsonapi writes the answers of reapd's JSON APIs (recordings,
// holds, export jobs): the body as JSON, and errors mapped to HTTP statuses
// in one place, from the error categories every API shares.
//
// An API package defines its own sentinels by wrapping these categories
// (recording.ErrNotFound wraps [ErrNotFound]), so that callers can match the
// package's error and [WriteError] can map them all alike. The answers are
// not cached (Cache-Control: no-store): they describe state that changes.
package jsonapi

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"

	"github.com/reapd/reapd/blobstore"
	"github.com/reapd/reapd/trackfile"
)

// Error categories of the JSON APIs, matched with errors.Is.
var (
	// ErrBadRequest: malformed input (bad JSON, names, times) → 400.
	ErrBadRequest = errors.New("bad request")
	// ErrNotFound: no such object → 404.
	ErrNotFound = errors.New("not found")
	// ErrConflict: a name or key taken by another request → 409.
	ErrConflict = errors.New("conflict")
)

// RetryAfter is the Retry-After, in seconds, of a 503 when the store fails.
const RetryAfter = "2"

// Write answers with status and v as the JSON body, indented for the
// people who read it with curl.
func Write(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v) // the client may be gone
}

// Status maps an error to its HTTP status and the message the client is
// shown: the categories above and the [blobstore] ones (a store outage, a
// cancelled or timed-out store call: 503), anything else 500 with a message
// that does not leak internals.
func Status(err error) (int, string) {
	switch {
	case errors.Is(err, ErrBadRequest), errors.Is(err, blobstore.ErrInvalidKey), errors.Is(err, trackfile.ErrBadName):
		return http.StatusBadRequest, err.Error()
	case errors.Is(err, ErrNotFound), errors.Is(err, blobstore.ErrNotFound):
		return http.StatusNotFound, err.Error()
	case errors.Is(err, ErrConflict):
		return http.StatusConflict, err.Error()
	case errors.Is(err, blobstore.ErrUnavailable), errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return http.StatusServiceUnavailable, "store unavailable, retry later"
	}
	return http.StatusInternalServerError, "internal error"
}

// WriteError answers a failed request of the API named what with the
// status of err ({"error": message}; Retry-After on 503), and logs it with
// the method and path: at debug level for client mistakes, warn for 5xx.
func WriteError(w http.ResponseWriter, r *http.Request, log *slog.Logger, what string, err error) {
	status, msg := Status(err)
	if status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", RetryAfter)
	}
	level := slog.LevelDebug
	if status >= 500 {
		level = slog.LevelWarn
	}
	log.Log(r.Context(), level, what+" request failed", "method", r.Method, "path", r.URL.Path, "status", status, "err", err)
	Write(w, status, map[string]string{"error": msg})
}
