package export

import "errors"

// Error categories of the package, matched with errors.Is; the HTTP API
// maps them to 400, 404 and 409 (store errors, blobstore.ErrUnavailable,
// to 503).
var (
	ErrBadRequest = errors.New("export: bad request")
	ErrNotFound   = errors.New("export: not found")
	ErrConflict   = errors.New("export: conflict")
)
