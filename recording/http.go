package recording

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"

	"github.com/reapd/reapd/blobstore"
)

// Handler serves the recordings API (the paths are absolute; mount it at
// "/api/recordings" and "/api/recordings/"):
//
//	POST   /api/recordings                    {"channel","name","start","end"} → 201, or 200 when it exists with that window
//	GET    /api/recordings[?channel=C]        {"recordings":[Recording…]}
//	GET    /api/recordings/{channel}/{name}   Recording
//	DELETE /api/recordings/{channel}/{name}   204
//
// Times in requests are RFC 3339 or epoch seconds (a JSON string or
// number); errors are {"error": "…"} with the status writeError gives.
func (r *Recorder) Handler() http.Handler {
	h := &handler{r: r}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/recordings", h.create)
	mux.HandleFunc("GET /api/recordings", h.list)
	mux.HandleFunc("GET /api/recordings/{channel}/{name}", h.get)
	mux.HandleFunc("DELETE /api/recordings/{channel}/{name}", h.delete)
	return mux
}

// handler holds the recordings API's dependencies.
type handler struct{ r *Recorder }

// retryAfter is sent with 503 when the store fails.
const retryAfter = "2"

// writeError is the one place where errors become HTTP statuses: bad
// requests 400, unknown recordings 404, a name taken with another window
// 409, store outages 503 with Retry-After, anything else 500 (logged).
func (h *handler) writeError(w http.ResponseWriter, req *http.Request, err error) {
	status, msg := http.StatusInternalServerError, "internal error"
	switch {
	case errors.Is(err, ErrBadRequest), errors.Is(err, blobstore.ErrInvalidKey):
		status, msg = http.StatusBadRequest, err.Error()
	case errors.Is(err, ErrNotFound):
		status, msg = http.StatusNotFound, err.Error()
	case errors.Is(err, ErrConflict):
		status, msg = http.StatusConflict, err.Error()
	case errors.Is(err, blobstore.ErrUnavailable), errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		status, msg = http.StatusServiceUnavailable, "store unavailable, retry later"
		w.Header().Set("Retry-After", retryAfter)
	}
	level := slog.LevelDebug
	if status >= 500 {
		level = slog.LevelWarn
	}
	h.r.log.Log(req.Context(), level, "recordings request failed", "method", req.Method, "path", req.URL.Path, "status", status, "err", err)
	writeJSON(w, status, map[string]string{"error": msg})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v) // the client may be gone
}
