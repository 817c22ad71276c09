package web

import (
	"bytes"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// TestVendoredFilesMatchPinnedNPM: every file under assets/vendor/ is the
// pinned npm package's file, byte for byte, and the version is the one
// test/player/package.json pins (and node_modules holds).
func TestVendoredFilesMatchPinnedNPM(t *testing.T) {
	player := filepath.Join("..", "test", "player")
	var pkg struct {
		Dependencies map[string]string `json:"dependencies"`
	}
	readJSON(t, filepath.Join(player, "package.json"), &pkg)
	listed := map[string]bool{}
	for _, v := range Vendored {
		listed[v.Asset] = true
		if pin := pkg.Dependencies[v.Package]; pin != v.Version {
			t.Errorf("%s: vendored from %s %s, test/player/package.json pins %q", v.Asset, v.Package, v.Version, pin)
		}
		modDir := filepath.Join(player, "node_modules", v.Package)
		var got struct {
			Version string `json:"version"`
		}
		readJSON(t, filepath.Join(modDir, "package.json"), &got)
		if got.Version != v.Version {
			t.Fatalf("test/player/node_modules/%s is %s, want %s (run make test-deps)", v.Package, got.Version, v.Version)
		}
		want, err := os.ReadFile(filepath.Join(modDir, filepath.FromSlash(v.Path)))
		if err != nil {
			t.Fatal(err)
		}
		have, err := fs.ReadFile(assetFS, v.Asset)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(have, want) {
			t.Errorf("%s (%d bytes) differs from %s@%s %s (%d bytes): copy it again", v.Asset, len(have), v.Package, v.Version, v.Path, len(want))
		}
	}
	// Nothing under vendor/ that the list does not account for.
	entries, err := fs.ReadDir(assetFS, "vendor")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if !listed["vendor/"+e.Name()] {
			t.Errorf("vendor/%s is not in Vendored", e.Name())
		}
	}
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run make test-deps)", err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}
