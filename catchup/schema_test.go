package catchup

import (
	"path/filepath"
	"testing"

	"github.com/reapd/reapd/test/mpdschema"
)

// TestGoldenMPDsValidate checks every golden catch-up MPD (which the golden
// tests compare the served MPDs with) against the official DASH MPD schema.
func TestGoldenMPDsValidate(t *testing.T) {
	files, err := filepath.Glob("testdata/golden/*.mpd")
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden MPDs: %v", err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) { mpdschema.ValidateFile(t, f) })
	}
}
