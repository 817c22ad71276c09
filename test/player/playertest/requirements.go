package playertest

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
)

// Chromium is the browser play.mjs drives: Debian's package, never a
// browser that playwright would download.
const Chromium = "/usr/bin/chromium"

var (
	reqOnce sync.Once
	reqDir  string
	reqErr  error
)

// requirements finds test/player (next to this source file: the tests run
// from the module's source tree) and checks, once per test binary, that
// node, Chromium and the pinned node_modules are there.
func requirements() (string, error) {
	reqOnce.Do(func() {
		reqDir, reqErr = checkRequirements()
		if reqErr != nil {
			reqErr = fmt.Errorf("%w (run make test-deps)", reqErr)
		}
	})
	return reqDir, reqErr
}

func checkRequirements() (string, error) {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return "", fmt.Errorf("cannot locate test/player")
	}
	dir := filepath.Dir(filepath.Dir(file))
	if _, err := exec.LookPath("node"); err != nil {
		return "", fmt.Errorf("node is not installed: %v", err)
	}
	if _, err := os.Stat(Chromium); err != nil {
		return "", fmt.Errorf("chromium is not installed: %v", err)
	}
	// Every dependency pinned in package.json must be installed at exactly
	// that version: a stale node_modules would test other players.
	var pkg struct {
		Dependencies map[string]string `json:"dependencies"`
	}
	if err := readJSON(filepath.Join(dir, "package.json"), &pkg); err != nil {
		return "", err
	}
	var bad []string
	for name, want := range pkg.Dependencies {
		var got struct {
			Version string `json:"version"`
		}
		if err := readJSON(filepath.Join(dir, "node_modules", name, "package.json"), &got); err != nil {
			bad = append(bad, name+" missing")
		} else if got.Version != want {
			bad = append(bad, fmt.Sprintf("%s is %s, want %s", name, got.Version, want))
		}
	}
	if len(bad) > 0 {
		sort.Strings(bad)
		return "", fmt.Errorf("test/player/node_modules: %s", strings.Join(bad, "; "))
	}
	return dir, nil
}

func readJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%s: %v", path, err)
	}
	return nil
}
