package blobstore

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"strings"
	"syscall"
	"testing"

	"google.golang.org/api/googleapi"
)

// apiError mimics an S3 API error (smithy.APIError) with an HTTP status
// (awshttp.ResponseError).
type apiError struct {
	code   string
	status int
}

func (e apiError) Error() string       { return fmt.Sprintf("api error %s (%d)", e.code, e.status) }
func (e apiError) ErrorCode() string   { return e.code }
func (e apiError) HTTPStatusCode() int { return e.status }

func TestClassify(t *testing.T) {
	live := context.Background()
	done, cancel := context.WithCancel(live)
	cancel()
	for _, tc := range []struct {
		name  string
		ctx   context.Context
		err   error
		kind  error
		retry bool
	}{
		{"plain", live, errors.New("boom"), ErrUnavailable, true},
		{"category kept", live, fmt.Errorf("x: %w", ErrExists), ErrExists, false},
		{"unavailable kept", live, fmt.Errorf("x: %w", ErrUnavailable), ErrUnavailable, true},
		{"ENOTDIR", live, &fs.PathError{Op: "stat", Path: "/a/b", Err: syscall.ENOTDIR}, ErrNotFound, false},
		{"ENAMETOOLONG", live, &fs.PathError{Op: "open", Path: "/x", Err: syscall.ENAMETOOLONG}, ErrInvalidKey, false},
		{"not exist (unwrapped by gocloud)", live, os.ErrNotExist, ErrUnavailable, true},
		{"S3 key too long", live, apiError{"KeyTooLongError", 400}, ErrInvalidKey, false},
		{"S3 400", live, apiError{"InvalidRequest", 400}, ErrUnavailable, false},
		{"S3 409 conflict", live, apiError{"ConditionalRequestConflict", 409}, ErrUnavailable, true},
		{"S3 503", live, apiError{"SlowDown", 503}, ErrUnavailable, true},
		{"GCS 429", live, &googleapi.Error{Code: http.StatusTooManyRequests}, ErrUnavailable, true},
		{"GCS 400", live, &googleapi.Error{Code: http.StatusBadRequest}, ErrUnavailable, false},
		{"context done", done, errors.New("connection reset"), nil, false},
		{"context done, definite answer", done, fmt.Errorf("x: %w", ErrNotFound), ErrNotFound, false},
		{"deadline inside a live context", live, context.DeadlineExceeded, ErrUnavailable, true},
		{"ENOSPC", live, &fs.PathError{Op: "write", Path: "/x", Err: syscall.ENOSPC}, ErrUnavailable, false},
		{"EDQUOT", live, &fs.PathError{Op: "write", Path: "/x", Err: syscall.EDQUOT}, ErrUnavailable, false},
		{"EROFS", live, &fs.PathError{Op: "open", Path: "/x", Err: syscall.EROFS}, ErrUnavailable, false},
		{"EACCES", live, &fs.PathError{Op: "open", Path: "/x", Err: syscall.EACCES}, ErrUnavailable, false},
		{"EIO", live, &fs.PathError{Op: "write", Path: "/x", Err: syscall.EIO}, ErrUnavailable, true},
		{"final unavailable", live, kinded{kind: ErrUnavailable, final: true, err: errors.New("in the way")}, ErrUnavailable, false},
		{"unavailable, kinded", live, kinded{kind: ErrUnavailable, err: errors.New("flaky")}, ErrUnavailable, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := classify(tc.ctx, OpRead, "k", tc.err)
			if e.Kind != tc.kind || e.retry != tc.retry {
				t.Fatalf("classify(%v) = kind %v retry %v; want %v %v", tc.err, e.Kind, e.retry, tc.kind, tc.retry)
			}
			if tc.kind == nil && !errors.Is(e, context.Canceled) {
				t.Fatalf("got %v, want context.Canceled", e)
			}
			n := 0
			for _, c := range categories {
				if errors.Is(e, c) {
					n++
				}
			}
			if want := map[bool]int{true: 1, false: 0}[tc.kind != nil]; n != want {
				t.Fatalf("%v wraps %d categories, want %d", e, n, want)
			}
		})
	}
}

func TestErrorMessage(t *testing.T) {
	e := classify(context.Background(), OpCreate, "ch1/a.m4s", errors.New("disk on fire"))
	if got, want := e.Error(), `blobstore: create "ch1/a.m4s": store unavailable: disk on fire`; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	// Wrapping an *Error again keeps one category and the new op and key.
	again := classify(context.Background(), OpRead, "x", fmt.Errorf("ctx: %w", e))
	if again.Op != OpRead || again.Key != "x" || again.Kind != ErrUnavailable || !strings.Contains(again.Error(), "disk on fire") {
		t.Errorf("re-classified: %+v", again)
	}
	if e2 := classify(context.Background(), OpCreate, "ch1/a.m4s", e); e2 != e {
		t.Errorf("classify of its own *Error made a new one")
	}
	var pe *fs.PathError
	if e := classify(context.Background(), OpRead, "a", &fs.PathError{Op: "open", Path: "/a", Err: syscall.EIO}); !errors.As(e, &pe) {
		t.Errorf("cause not reachable with errors.As: %v", e)
	}
}
