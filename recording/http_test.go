package recording

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestHTTPAPI(t *testing.T) {
	s := memStore(t)
	srv := httptest.NewServer(New(s, nil).Handler())
	defer srv.Close()
	do := func(method, path, body string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	body := `{"channel":"ch1","name":"news","start":"2026-12-01T18:00:00Z","end":1796151600}`
	if code, b := do("POST", "/api/recordings", body); code != http.StatusCreated || !strings.Contains(b, `"state": "waiting"`) {
		t.Fatalf("POST: %d %s", code, b)
	}
	if code, b := do("POST", "/api/recordings", body); code != http.StatusOK {
		t.Errorf("POST again: %d %s", code, b)
	}
	if code, b := do("POST", "/api/recordings", `{"channel":"ch1","name":"news","start":"2026-12-01T18:00:00Z","end":"2026-12-01T18:30:00Z"}`); code != http.StatusConflict {
		t.Errorf("POST other window: %d %s", code, b)
	}
	for _, bad := range []string{`{"channel":"ch1","name":"x","start":"soon","end":1}`, `{"channel":"ch1","name":".x","start":1,"end":2}`,
		`{"channel":"ch1","name":"x","start":2,"end":1}`, `{"channel":"ch1"`, `{"channel":"ch1","name":"x","start":1,"end":2,"extra":1}`} {
		if code, b := do("POST", "/api/recordings", bad); code != http.StatusBadRequest || !strings.Contains(b, `"error"`) {
			t.Errorf("POST %s: %d %s", bad, code, b)
		}
	}
	code, b := do("GET", "/api/recordings?channel=ch1", "")
	var list struct{ Recordings []Recording }
	if err := json.Unmarshal([]byte(b), &list); code != 200 || err != nil || len(list.Recordings) != 1 ||
		!list.Recordings[0].End.Equal(time.Date(2026, 12, 1, 19, 0, 0, 0, time.UTC)) {
		t.Fatalf("GET list: %d %s", code, b)
	}
	if code, b := do("GET", "/api/recordings/ch1/news", ""); code != 200 || !strings.Contains(b, `"mpd_key": "ch1/recordings/news.mpd"`) {
		t.Errorf("GET: %d %s", code, b)
	}
	if code, _ := do("GET", "/api/recordings/ch1/nope", ""); code != http.StatusNotFound {
		t.Errorf("GET unknown: %d", code)
	}
	if code, _ := do("DELETE", "/api/recordings/ch1/news", ""); code != http.StatusNoContent {
		t.Errorf("DELETE: %d", code)
	}
	if code, _ := do("DELETE", "/api/recordings/ch1/news", ""); code != http.StatusNotFound {
		t.Errorf("DELETE again: %d", code)
	}
	s.Close() // the store fails: 503 with Retry-After
	req, _ := http.NewRequest("GET", srv.URL+"/api/recordings", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
		t.Errorf("closed store: %d", resp.StatusCode)
	}
}
