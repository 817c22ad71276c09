package retention

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/reapd/reapd/blobstore"
	"github.com/reapd/reapd/trackfile"
)

func memStore(t *testing.T) *blobstore.Store {
	t.Helper()
	st, err := blobstore.Open(context.Background(), "mem://", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// call sends one request to the holds API and decodes a JSON answer into out.
func call(t *testing.T, h http.Handler, method, target, body string, out any) *http.Response {
	t.Helper()
	req := httptest.NewRequest(method, target, strings.NewReader(body))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	resp := rec.Result()
	raw, _ := io.ReadAll(resp.Body)
	if out != nil && len(raw) > 0 {
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatalf("%s %s: %v in %q", method, target, err, raw)
		}
	}
	return resp
}

func TestHoldsAPILifecycle(t *testing.T) {
	st := memStore(t)
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	h := NewHandler(st, &HandlerOptions{Now: func() time.Time { return now }})

	var a Hold
	resp := call(t, h, "POST", "/api/holds", `{"channel":"ch1","from":"2026-11-30T10:00:00Z","to":1796036400,"reason":"legal"}`, &a)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("create: %s", resp.Status)
	}
	if a.Channel != "ch1" || !a.From.Equal(time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC)) ||
		!a.To.Equal(time.Unix(1796036400, 0)) || a.Reason != "legal" || !a.Created.Equal(now) || checkHoldID(a.ID) != nil {
		t.Fatalf("created %+v", a)
	}
	if _, err := st.Stat(context.Background(), trackfile.HoldKey("ch1", a.ID)); err != nil {
		t.Fatalf("hold object: %v", err)
	}
	var b Hold
	call(t, h, "POST", "/api/holds", `{"channel":"ch2","from":"1795946400","to":"1795950000"}`, &b)

	var list struct{ Holds []Hold }
	if resp := call(t, h, "GET", "/api/holds", "", &list); resp.StatusCode != 200 || len(list.Holds) != 2 ||
		list.Holds[0].ID != a.ID || list.Holds[1].ID != b.ID {
		t.Fatalf("list: %s %+v", resp.Status, list)
	}
	list.Holds = nil
	if call(t, h, "GET", "/api/holds?channel=ch2", "", &list); len(list.Holds) != 1 || list.Holds[0].ID != b.ID {
		t.Fatalf("list ch2: %+v", list)
	}
	var got Hold
	if resp := call(t, h, "GET", "/api/holds/ch1/"+a.ID, "", &got); resp.StatusCode != 200 || got != a {
		t.Fatalf("get: %s %+v", resp.Status, got)
	}
	if resp := call(t, h, "DELETE", "/api/holds/ch1/"+a.ID, "", nil); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("delete: %s", resp.Status)
	}
	var e struct{ Error string }
	if resp := call(t, h, "DELETE", "/api/holds/ch1/"+a.ID, "", &e); resp.StatusCode != http.StatusNotFound || e.Error == "" {
		t.Fatalf("delete again: %s %+v", resp.Status, e)
	}
	if resp := call(t, h, "GET", "/api/holds/ch1/"+a.ID, "", nil); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("get deleted: %s", resp.Status)
	}
}

func TestHoldsAPIErrors(t *testing.T) {
	st := memStore(t)
	h := NewHandler(st, nil)
	for _, tc := range []struct{ method, target, body string }{
		{"POST", "/api/holds", `{"channel":"ch1","from":"2026-11-30T11:00:00Z","to":"2026-11-30T10:00:00Z"}`},
		{"POST", "/api/holds", `{"channel":"../x","from":1,"to":2}`},
		{"POST", "/api/holds", `{"channel":"ch1","from":"yesterday","to":2}`},
		{"POST", "/api/holds", `{"channel":"ch1","to":2}`},
		{"POST", "/api/holds", `{"channel":"ch1","from":1,"to":2,"extra":1}`},
		{"POST", "/api/holds", `not json`},
		{"GET", "/api/holds?channel=index", ""},
		{"GET", "/api/holds/ch1/NOTANID", ""},
		{"DELETE", "/api/holds/ch1/zz", ""},
	} {
		var e struct{ Error string }
		if resp := call(t, h, tc.method, tc.target, tc.body, &e); resp.StatusCode != http.StatusBadRequest || e.Error == "" {
			t.Errorf("%s %s %s: %s %q, want 400 with a message", tc.method, tc.target, tc.body, resp.Status, e.Error)
		}
	}
	st.Close() // a failing store is a 503 with Retry-After
	for _, tc := range []struct{ method, target, body string }{
		{"POST", "/api/holds", `{"channel":"ch1","from":1,"to":2}`},
		{"GET", "/api/holds", ""},
		{"GET", "/api/holds/ch1/0123456789abcdef", ""},
	} {
		if resp := call(t, h, tc.method, tc.target, tc.body, nil); resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
			t.Errorf("%s %s on a closed store: %s, want 503 with Retry-After", tc.method, tc.target, resp.Status)
		}
	}
}
