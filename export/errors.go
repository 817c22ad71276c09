package export

import (
	"fmt"

	"github.com/reapd/reapd/jsonapi"
)

// Error categories of the package, matched with errors.Is; the HTTP API
// maps them to 400, 404 and 409 (store errors, blobstore.ErrUnavailable,
// to 503).
var (
	ErrBadRequest = fmt.Errorf("export: %w", jsonapi.ErrBadRequest)
	ErrNotFound   = fmt.Errorf("export: %w", jsonapi.ErrNotFound)
	ErrConflict   = fmt.Errorf("export: %w", jsonapi.ErrConflict)
)
