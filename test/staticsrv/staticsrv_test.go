package staticsrv

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"testing"
)

func do(t *testing.T, method, url string, hdr map[string]string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest(method, url, nil)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// The answers a browser gets from a bucket with the README's CORS rule.
func TestBucketAnswers(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "ch1", "v"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "ch1", "v", "0.cmfv"), []byte("0123456789"), 0o644); err != nil {
		t.Fatal(err)
	}
	srv := Start(t, dir)
	origin := map[string]string{"Origin": "http://127.0.0.1:1"}

	t.Run("range", func(t *testing.T) {
		resp, body := do(t, "GET", srv.URL+"/ch1/v/0.cmfv", map[string]string{"Origin": "http://x", "Range": "bytes=2-4"})
		if resp.StatusCode != http.StatusPartialContent || body != "234" {
			t.Fatalf("got %d %q, want 206 \"234\"", resp.StatusCode, body)
		}
		for k, want := range map[string]string{
			"Content-Range": "bytes 2-4/10", "Content-Length": "3", "Content-Type": "video/mp4",
			"Access-Control-Allow-Origin": "*", "Access-Control-Expose-Headers": ExposeHeaders,
		} {
			if got := resp.Header.Get(k); got != want {
				t.Errorf("%s = %q, want %q", k, got, want)
			}
		}
		if resp.Header.Get("ETag") == "" {
			t.Error("no ETag")
		}
	})
	t.Run("no origin, no CORS headers", func(t *testing.T) {
		resp, body := do(t, "GET", srv.URL+"/ch1/v/0.cmfv", nil)
		if resp.StatusCode != 200 || body != "0123456789" || resp.Header.Get("Access-Control-Allow-Origin") != "" {
			t.Fatalf("got %d %q ACAO=%q", resp.StatusCode, body, resp.Header.Get("Access-Control-Allow-Origin"))
		}
	})
	t.Run("preflight allowed", func(t *testing.T) {
		resp, _ := do(t, "OPTIONS", srv.URL+"/ch1/v/0.cmfv", map[string]string{"Origin": "http://x",
			"Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "range"})
		if resp.StatusCode != 200 || resp.Header.Get("Access-Control-Allow-Headers") != "range" ||
			resp.Header.Get("Access-Control-Allow-Methods") != AllowMethods || resp.Header.Get("Access-Control-Allow-Origin") != "*" {
			t.Fatalf("got %d %v", resp.StatusCode, resp.Header)
		}
	})
	for name, hdr := range map[string]map[string]string{
		"preflight for another header": {"Origin": "http://x", "Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "range, x-player"},
		"preflight for PUT":            {"Origin": "http://x", "Access-Control-Request-Method": "PUT"},
	} {
		t.Run(name, func(t *testing.T) {
			if resp, _ := do(t, "OPTIONS", srv.URL+"/ch1/v/0.cmfv", hdr); resp.StatusCode != http.StatusForbidden {
				t.Fatalf("got %d, want 403 as from a bucket whose rule does not match", resp.StatusCode)
			}
		})
	}
	for name, path := range map[string]string{"directory": "/ch1/v/", "missing": "/ch1/v/1.cmfv", "outside": "/../../etc/passwd"} {
		t.Run(name, func(t *testing.T) {
			if resp, _ := do(t, "GET", srv.URL+path, origin); resp.StatusCode != http.StatusNotFound {
				t.Fatalf("got %d, want 404", resp.StatusCode)
			}
		})
	}
	t.Run("write refused", func(t *testing.T) {
		if resp, _ := do(t, "PUT", srv.URL+"/ch1/v/0.cmfv", origin); resp.StatusCode != http.StatusMethodNotAllowed {
			t.Fatalf("got %d, want 405", resp.StatusCode)
		}
	})
}
