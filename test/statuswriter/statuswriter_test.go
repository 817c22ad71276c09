package statuswriter

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func TestWriterRemembersTheStatus(t *testing.T) {
	for _, tc := range []struct {
		name    string
		handler http.HandlerFunc
		want    int
	}{
		{"body only", func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("x")) }, http.StatusOK},
		{"nothing", func(w http.ResponseWriter, r *http.Request) {}, http.StatusOK},
		{"refused", func(w http.ResponseWriter, r *http.Request) { http.Error(w, "no", http.StatusServiceUnavailable) }, http.StatusServiceUnavailable},
	} {
		rec := httptest.NewRecorder()
		sw := New(rec)
		tc.handler(sw, httptest.NewRequest(http.MethodPut, "/x", nil))
		if sw.Status != tc.want || rec.Code != tc.want {
			t.Errorf("%s: remembered %d, sent %d; want %d", tc.name, sw.Status, rec.Code, tc.want)
		}
	}
}

func TestWriterFlushes(t *testing.T) {
	rec := httptest.NewRecorder()
	sw := New(rec)
	_, _ = sw.Write([]byte("x"))
	sw.Flush()
	if !rec.Flushed {
		t.Error("Flush did not reach the wrapped writer")
	}
}

// TestWriterReachesTheConnection: a handler that sets a write deadline
// through the wrapper (as ingest does) reaches the server's writer.
func TestWriterReachesTheConnection(t *testing.T) {
	errs := make(chan error, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		errs <- http.NewResponseController(New(w)).SetWriteDeadline(time.Now().Add(time.Minute))
	}))
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if err := <-errs; err != nil {
		t.Errorf("SetWriteDeadline through the wrapper: %v", err)
	}
}
