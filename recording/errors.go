package recording

import (
	"fmt"

	"github.com/reapd/reapd/jsonapi"
)

// Error categories of package recording, matched with errors.Is. The HTTP
// handlers map them (and the [blobstore] categories) to statuses in one
// place, writeError.
var (
	// ErrBadRequest: a malformed request (bad channel or recording name,
	// unparseable or reversed times, a window too long) → 400.
	ErrBadRequest = jsonapi.ErrBadRequest
	// ErrNotFound: no recording of that name on that channel → 404.
	ErrNotFound = jsonapi.ErrNotFound
	// ErrConflict: the name is taken by a recording of another window → 409.
	ErrConflict = jsonapi.ErrConflict
)

func badRequest(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrBadRequest, fmt.Sprintf(format, args...))
}
