package retention

import (
	"fmt"
	"net/http"

	"github.com/reapd/reapd/jsonapi"
)

// Error categories of the holds API and of retention runs, matched with
// errors.Is. writeError maps them (and the [blobstore] categories) to HTTP
// statuses in one place.
var (
	// ErrBadRequest: malformed input (bad JSON, times, names, a window
	// that ends before it starts) → 400.
	ErrBadRequest = jsonapi.ErrBadRequest
	// ErrNotFound: no such hold → 404.
	ErrNotFound = jsonapi.ErrNotFound
)

func badRequest(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrBadRequest, fmt.Sprintf(format, args...))
}

// writeError answers a failed request: jsonapi maps the categories.
func (h *Handler) writeError(w http.ResponseWriter, r *http.Request, err error) {
	jsonapi.WriteError(w, r, h.log, "holds", err)
}

// writeJSON writes v as the JSON body of a response.
func writeJSON(w http.ResponseWriter, status int, v any) { jsonapi.Write(w, status, v) }
