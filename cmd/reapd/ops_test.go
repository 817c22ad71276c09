package main

import (
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/reapd/reapd/blobstore/blobstoretest"
)

// metricsGet fetches /metrics with an optional Authorization header.
func metricsGet(t *testing.T, addr, auth string) (int, string, http.Header) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, "http://"+addr+"/metrics", nil)
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

// TestMetricsToken: with a metrics token (flag or config file), /metrics
// answers 401 without it or with another one, and the metrics with it;
// without one, /metrics is open.
func TestMetricsToken(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "reapd.yaml")
	if err := os.WriteFile(cfg, []byte("metricsToken: from-the-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		flags []string
		token string
	}{
		{"flag", []string{"--metrics-token", "s3cret"}, "s3cret"},
		{"config file", []string{"--config", cfg}, "from-the-file"},
		{"none", nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := startReapd(t, "mem://", tc.flags...)
			for _, auth := range []string{"", "Bearer wrong", "Basic czNjcmV0Og==", "Bearer " + tc.token} {
				code, body, h := metricsGet(t, p.addr, auth)
				want := http.StatusUnauthorized
				if tc.token == "" || auth == "Bearer "+tc.token {
					want = http.StatusOK
				}
				if code != want {
					t.Errorf("Authorization %q: %d, want %d", auth, code, want)
				}
				if code == http.StatusOK && !strings.Contains(body, "reapd_ingest_memory_limit_bytes") {
					t.Errorf("Authorization %q: no reapd metrics in the answer", auth)
				}
				if code == http.StatusUnauthorized && !strings.HasPrefix(h.Get("WWW-Authenticate"), "Bearer") {
					t.Errorf("401 without a Bearer challenge: %q", h.Get("WWW-Authenticate"))
				}
			}
			if !healthy(p.addr) {
				t.Error("/healthz needs the token too")
			}
		})
	}
}

// TestMetricChannelLabelsCapped: with --max-metric-channels 2, the third
// and fourth channels are counted under channel="_other".
func TestMetricChannelLabelsCapped(t *testing.T) {
	p := startReapd(t, "mem://", "--max-metric-channels", "2")
	in := newInputAt(1, pastN0())
	for _, ch := range []string{"ch1", "ch2", "ch3", "ch4"} {
		if code := p.post("/ingest/"+ch+"/a/init.cmfa", in.tracks["a"].Header()); code != http.StatusOK {
			t.Fatalf("%s header: %d", ch, code)
		}
	}
	_, body, _ := metricsGet(t, p.addr, "")
	for label, want := range map[string]bool{`channel="ch1"`: true, `channel="ch2"`: true, `channel="ch3"`: false,
		`channel="ch4"`: false, `reapd_ingest_headers_total{channel="_other",result="new",track="_other"} 2`: true} {
		if got := strings.Contains(body, label); got != want {
			t.Errorf("/metrics contains %s: %v, want %v", label, got, want)
		}
	}
}

// TestStartupRemovesStaleTemp: temporary files that killed writes left in
// a file:// store are removed at start-up when they are older than a
// minute; younger ones (a write in flight of another instance) are kept.
func TestStartupRemovesStaleTemp(t *testing.T) {
	dir := t.TempDir()
	live := filepath.Join(dir, "ch1", "a", "live")
	if err := os.MkdirAll(live, 0o777); err != nil {
		t.Fatal(err)
	}
	old, young := filepath.Join(live, `.tmp\0123456789abcdef`), filepath.Join(dir, `.tmp\fedcba9876543210`)
	for _, f := range []string{old, young} {
		if err := os.WriteFile(f, make([]byte, 1<<20), 0o666); err != nil {
			t.Fatal(err)
		}
	}
	past := time.Now().Add(-2 * time.Minute)
	if err := os.Chtimes(old, past, past); err != nil {
		t.Fatal(err)
	}
	p := startReapd(t, "file://"+dir)
	if !poll(10*time.Second, func() bool { _, err := os.Stat(old); return os.IsNotExist(err) }) {
		t.Fatalf("stale temporary file not removed\n%s", tailLogs(p))
	}
	if _, err := os.Stat(young); err != nil {
		t.Errorf("young temporary file removed: %v", err)
	}
	// The line is written once the clean-up is over, after the removal.
	if !poll(10*time.Second, func() bool {
		return strings.Contains(p.logs.String(), "removed temporary files left by interrupted writes")
	}) {
		t.Errorf("the clean-up was not logged")
	}
}

// TestReadyzCanaryOnRealStores: /readyz is ready on real S3 and GCS
// servers (the canary under .reapd/ is a valid key there), leaves no
// canary behind, and fails while the server is down.
func TestReadyzCanaryOnRealStores(t *testing.T) {
	for _, kind := range []string{"s3", "gcs"} {
		t.Run(kind, func(t *testing.T) {
			var url string
			var env []string
			var stop func()
			if kind == "s3" {
				srv := blobstoretest.StartS3(t)
				url, stop = srv.URL(), func() { srv.Stop(t) }
			} else {
				srv := blobstoretest.StartGCS(t)
				url, env = srv.EnvURL()
				stop = func() { srv.Stop(t) }
			}
			p := startReapdEnv(t, url, env, "--readyz-interval", "100ms")
			if code := get(p.addr, "/readyz"); code != http.StatusOK {
				t.Fatalf("/readyz: %d\n%s", code, tailLogs(p))
			}
			st := openStoreEnv(t, url, env)
			if objs, err := st.List(context.Background(), canaryPrefix); err != nil || len(objs) != 0 {
				t.Errorf("canaries left: %v, %v", objs, err)
			}
			stop()
			if !poll(20*time.Second, func() bool { return get(p.addr, "/readyz") == http.StatusServiceUnavailable }) {
				t.Errorf("/readyz still ready with the store down\n%s", tailLogs(p))
			}
		})
	}
}
