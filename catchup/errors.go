package catchup

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/reapd/reapd/blobstore"
	"github.com/reapd/reapd/trackfile"
)

// Error categories of the catch-up server, matched with errors.Is. Every
// error a handler returns wraps one of them or a [blobstore] category;
// writeError maps them to HTTP statuses.
var (
	// ErrBadRequest: the request is malformed (unparseable times, end
	// before start, a window longer than the maximum, bad names) → 400.
	ErrBadRequest = errors.New("bad request")
	// ErrNotFound: unknown channel, track, header or segment, or nothing
	// archived in the window → 404.
	ErrNotFound = errors.New("not found")
)

func badRequest(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrBadRequest, fmt.Sprintf(format, args...))
}

func notFound(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrNotFound, fmt.Sprintf(format, args...))
}

// retryAfter is sent with 503 when the store fails.
const retryAfter = "2"

// writeError is the one place where errors become HTTP statuses: bad
// requests 400, missing things 404, store outages 503 (with Retry-After),
// anything else 500. Client mistakes never give a 5xx; a 500 means
// reapd or its stored objects are at fault, and is logged.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	status, msg := http.StatusInternalServerError, "internal error"
	switch {
	case errors.Is(err, ErrBadRequest), errors.Is(err, blobstore.ErrInvalidKey), errors.Is(err, trackfile.ErrBadName):
		status, msg = http.StatusBadRequest, err.Error()
	case errors.Is(err, ErrNotFound):
		status, msg = http.StatusNotFound, err.Error()
	case errors.Is(err, blobstore.ErrNotFound):
		status, msg = http.StatusNotFound, "not found"
	case errors.Is(err, blobstore.ErrUnavailable):
		status, msg = http.StatusServiceUnavailable, "store unavailable, retry later"
		w.Header().Set("Retry-After", retryAfter)
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		status, msg = http.StatusServiceUnavailable, "request cancelled or timed out"
	}
	level := slog.LevelDebug
	if status >= 500 {
		level = slog.LevelWarn
	}
	s.log.Log(r.Context(), level, "catch-up request failed", "method", r.Method, "path", r.URL.Path,
		"query", r.URL.RawQuery, "status", status, "err", err)
	h := w.Header()
	for _, k := range []string{"ETag", "Last-Modified", "Content-Range", "Reapd-Window-Clipped"} {
		h.Del(k)
	}
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		fmt.Fprintln(w, msg)
	}
}
