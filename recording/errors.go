package recording

import (
	"errors"
	"fmt"
)

// Error categories of package recording, matched with errors.Is. The HTTP
// handlers map them (and the [blobstore] categories) to statuses in one
// place, writeError.
var (
	// ErrBadRequest: a malformed request (bad channel or recording name,
	// unparseable or reversed times, a window too long) → 400.
	ErrBadRequest = errors.New("bad request")
	// ErrNotFound: no recording of that name on that channel → 404.
	ErrNotFound = errors.New("not found")
	// ErrConflict: the name is taken by a recording of another window → 409.
	ErrConflict = errors.New("conflict")
)

func badRequest(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrBadRequest, fmt.Sprintf(format, args...))
}
