package playertest

import (
	"bytes"
	"context"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// Script runs another node script of test/player (e.g. webui.mjs) with
// args, one browser at a time like [Play], and returns its last stdout line
// and its stderr. A script that exits non-zero is not a test failure here
// (its JSON says why); a missing node, Chromium or node_modules is.
func Script(t testing.TB, name string, timeout time.Duration, args ...string) (line, stderr string) {
	t.Helper()
	dir, err := requirements()
	if err != nil {
		t.Fatalf("playertest: %v", err)
	}
	browsers <- struct{}{}
	defer func() { <-browsers }()
	ctx, cancel := context.WithTimeout(context.Background(), timeout+20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", append([]string{filepath.Join(dir, name)}, args...)...)
	cmd.Env = append(cmd.Environ(), "PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	runErr := cmd.Run()
	if _, isExit := runErr.(*exec.ExitError); runErr != nil && !isExit {
		t.Fatalf("playertest: running node %s: %v\n%s", name, runErr, errb.String())
	}
	return lastLine(out.String()), errb.String()
}
