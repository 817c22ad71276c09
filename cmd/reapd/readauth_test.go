package main

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/reapd/reapd/catchup"
)

const testSigningKey = "0123456789abcdef-test"

// TestSignCommand: "reapd sign" prints a URL that the server's key
// verifies, with the key from a flag or from the configuration file.
func TestSignCommand(t *testing.T) {
	signer, err := catchup.NewURLSigner([]byte(testSigningKey))
	if err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(t.TempDir(), "reapd.yaml")
	if err := os.WriteFile(cfg, []byte("urlSigningKeys: ["+testSigningKey+"]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"--url-signing-key", testSigningKey, "--ttl", "2h"},
		{"--config", cfg, "--expires", time.Now().Add(time.Hour).UTC().Format(time.RFC3339)},
		{"--config", cfg, "--prefix", "/catchup/ch1/"},
	} {
		var out, errb bytes.Buffer
		args := append(append([]string{"sign"}, args...), "/catchup/ch1/manifest.mpd?start=1767225600&end=1767229200")
		if err := run(context.Background(), args, &out, &errb); err != nil {
			t.Fatalf("%v: %v %s", args, err, errb.String())
		}
		u, err := url.Parse(strings.TrimSpace(out.String()))
		if err != nil {
			t.Fatal(err)
		}
		exp, err := signer.Verify(u.Path, u.Query(), time.Now())
		if err != nil || exp.Before(time.Now().Add(59*time.Minute)) || u.Query().Get("start") != "1767225600" {
			t.Errorf("%v: %s: %v, expires %v", args, u, err, exp)
		}
	}
	for _, args := range [][]string{
		{"sign", "/catchup/ch1/manifest.mpd"},                                      // no key
		{"sign", "--url-signing-key", "short", "/catchup/ch1/manifest.mpd"},        // weak key
		{"sign", "--url-signing-key", testSigningKey, "--ttl", "-1h", "/catchup/"}, // past
		{"sign", "--url-signing-key", testSigningKey},                              // no URL
	} {
		var out, errb bytes.Buffer
		if err := run(context.Background(), args, &out, &errb); err == nil {
			t.Errorf("%v: accepted: %s", args, out.String())
		}
	}
}

// TestServeLocksTheReadSide: "reapd serve" with a read token and a signing
// key refuses reads without either (also the archiver's conformance API),
// lets the token and a "reapd sign" URL in, and leaves ingest, health and
// readiness alone.
func TestServeLocksTheReadSide(t *testing.T) {
	p := startReapd(t, "mem://", "--read-token", "operator-token", "--url-signing-key", testSigningKey)
	do := func(method, path, token string) int {
		t.Helper()
		req, _ := http.NewRequest(method, "http://"+p.addr+path, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if c := p.post("/ingest/ch1/manifest.mpd", nil); c != http.StatusOK {
		t.Errorf("ingest connectivity POST: %d", c)
	}
	for _, c := range []struct {
		method, path, token string
		want                int
	}{
		{"GET", "/healthz", "", 200},
		{"GET", "/readyz", "", 200},
		{"GET", "/api/channels", "", 401},
		{"GET", "/api/channels", "wrong", 401},
		{"GET", "/api/channels", "operator-token", 200},
		{"GET", "/api/channels/ch1/conformance", "", 401},
		{"GET", "/api/exports", "", 401},
		{"POST", "/api/exports", "", 401},
		{"GET", "/api/exports", "operator-token", 200},
		{"GET", "/catchup/ch1/manifest.mpd?start=1767225600&end=1767225660", "", 401},
		{"OPTIONS", "/catchup/ch1/manifest.mpd", "", 204},
	} {
		if got := do(c.method, c.path, c.token); got != c.want {
			t.Errorf("%s %s (token %q): %d, want %d", c.method, c.path, c.token, got, c.want)
		}
	}
	var out, errb bytes.Buffer
	if err := run(context.Background(), []string{"sign", "--url-signing-key", testSigningKey, "/api/channels"}, &out, &errb); err != nil {
		t.Fatal(err)
	}
	if got := do("GET", strings.TrimSpace(out.String()), ""); got != 200 {
		t.Errorf("signed /api/channels: %d", got)
	}
}
