package retention

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/reapd/reapd/blobstore"
	"github.com/reapd/reapd/trackfile"
)

// Error categories of the holds API and of retention runs, matched with
// errors.Is. writeError maps them (and the [blobstore] categories) to HTTP
// statuses in one place.
var (
	// ErrBadRequest: malformed input (bad JSON, times, names, a window
	// that ends before it starts) → 400.
	ErrBadRequest = errors.New("bad request")
	// ErrNotFound: no such hold → 404.
	ErrNotFound = errors.New("not found")
)

func badRequest(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrBadRequest, fmt.Sprintf(format, args...))
}

// retryAfter is sent with 503 when the store fails.
const retryAfter = "2"

// writeError is the one place where errors become HTTP statuses: bad
// input 400, unknown holds 404, store outages 503 with Retry-After,
// anything else 500 (logged).
func (h *Handler) writeError(w http.ResponseWriter, r *http.Request, err error) {
	status, msg := http.StatusInternalServerError, "internal error"
	switch {
	case errors.Is(err, ErrBadRequest), errors.Is(err, blobstore.ErrInvalidKey), errors.Is(err, trackfile.ErrBadName):
		status, msg = http.StatusBadRequest, err.Error()
	case errors.Is(err, ErrNotFound), errors.Is(err, blobstore.ErrNotFound):
		status, msg = http.StatusNotFound, err.Error()
	case errors.Is(err, blobstore.ErrUnavailable), errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		status, msg = http.StatusServiceUnavailable, "store unavailable, retry later"
		w.Header().Set("Retry-After", retryAfter)
	}
	level := slog.LevelDebug
	if status >= 500 {
		level = slog.LevelWarn
	}
	h.log.Log(r.Context(), level, "holds request failed", "method", r.Method, "path", r.URL.Path, "status", status, "err", err)
	writeJSON(w, status, map[string]string{"error": msg})
}

// writeJSON writes v as the JSON body of a response.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
