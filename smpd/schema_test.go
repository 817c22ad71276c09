package smpd

import (
	"path/filepath"
	"testing"

	"github.com/reapd/reapd/test/mpdschema"
)

// TestArchiveGoldensValidate checks every golden archive S-MPD (which the
// archive tests compare the generated MPDs with) against the official DASH
// MPD schema.
func TestArchiveGoldensValidate(t *testing.T) {
	files, err := filepath.Glob("testdata/archive/*.mpd")
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden archive MPDs: %v", err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) { mpdschema.ValidateFile(t, f) })
	}
}
