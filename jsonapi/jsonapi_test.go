package jsonapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/reapd/reapd/blobstore"
)

func TestWriteErrorMapsCategories(t *testing.T) {
	wrapped := fmt.Errorf("recording: %w", ErrNotFound) // an API package's own sentinel
	for _, c := range []struct {
		err    error
		status int
		retry  bool
	}{
		{fmt.Errorf("%w: bad name", ErrBadRequest), 400, false},
		{fmt.Errorf("%w: hold x", wrapped), 404, false},
		{fmt.Errorf("get: %w", blobstore.ErrNotFound), 404, false},
		{fmt.Errorf("%w: taken", ErrConflict), 409, false},
		{fmt.Errorf("put: %w", blobstore.ErrUnavailable), 503, true},
		{context.DeadlineExceeded, 503, true},
		{errors.New("boom"), 500, false},
	} {
		w := httptest.NewRecorder()
		WriteError(w, httptest.NewRequest("GET", "/api/x", nil), slog.New(slog.NewTextHandler(io.Discard, nil)), "x", c.err)
		var body map[string]string
		if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil || body["error"] == "" {
			t.Errorf("%v: body %q", c.err, w.Body.String())
		}
		if w.Code != c.status || (w.Header().Get("Retry-After") != "") != c.retry {
			t.Errorf("%v: %d Retry-After %q, want %d (retry %v)", c.err, w.Code, w.Header().Get("Retry-After"), c.status, c.retry)
		}
		if c.status == 500 && body["error"] != "internal error" {
			t.Errorf("a 500 leaks %q", body["error"])
		}
		if w.Header().Get("Cache-Control") != "no-store" || w.Header().Get("Content-Type") != "application/json" {
			t.Errorf("headers %v", w.Header())
		}
	}
	_ = http.StatusOK
}
