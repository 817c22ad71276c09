package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"strings"
	"testing"
)

func TestByteSize(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
		str  string
	}{
		{"0", 0, "0"},
		{"1023", 1023, "1023"},
		{"1KiB", 1 << 10, "1KiB"},
		{"256MiB", 256 << 20, "256MiB"},
		{"1024MiB", 1 << 30, "1GiB"},
		{"2GiB", 2 << 30, "2GiB"},
		{"64MB", 64e6, "64000000"},
		{"1 KiB", 1 << 10, "1KiB"},
		{"8589934591GiB", 8589934591 << 30, "8589934591GiB"},
	} {
		var b byteSize
		if err := b.Set(tc.in); err != nil || int64(b) != tc.want || b.String() != tc.str {
			t.Errorf("Set(%q) = %d %q, %v; want %d %q", tc.in, int64(b), b.String(), err, tc.want, tc.str)
		}
	}
	for _, bad := range []string{"", "-1", "1.5MiB", "12XB", "MiB", "8589934592GiB"} {
		var b byteSize
		if err := b.Set(bad); err == nil {
			t.Errorf("Set(%q) accepted: %d", bad, int64(b))
		}
	}
}

// TestServeHelpListsGuards: every limit against hostile clients is a flag
// documented in --help, with its default.
func TestServeHelpListsGuards(t *testing.T) {
	var out, errb bytes.Buffer
	if err := run(context.Background(), []string{"serve", "--help"}, &out, &errb); !errors.Is(err, flag.ErrHelp) {
		t.Fatal(err)
	}
	for _, want := range []string{"-idle-timeout", "(default 2m0s)", "-read-header-timeout", "-write-timeout",
		"-body-min-rate", "(default 1KiB)", "-body-rate-window", "-body-stall-timeout", "-max-connections",
		"(default 4096)", "-ingest-memory", "(default 256MiB)", "-metrics-token", "-max-metric-channels",
		"-max-metric-tracks", "-readyz-interval"} {
		if !strings.Contains(errb.String(), want) {
			t.Errorf("serve --help lacks %q", want)
		}
	}
}
