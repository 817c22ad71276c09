#!/usr/bin/env bash
# Runs every fuzz target of the module for a short time each (default 4s).
# Crashers land in the package's testdata/fuzz/ and make the run fail.
set -euo pipefail
t=${1:-4s}
cd "$(dirname "$0")/.."
grep -rl --include='*_test.go' '^func Fuzz' . | sort | while read -r f; do
  pkg=./$(dirname "${f#./}")
  for name in $(grep -o '^func Fuzz[A-Za-z0-9_]*' "$f" | sed 's/^func //'); do
    echo "fuzz $pkg $name ($t)"
    fuzz() { go test -run '^$' -fuzz "^${name}\$" -fuzztime "$t" -fuzzminimizetime 2s "$pkg" >/tmp/reapd-fuzz.log 2>&1; }
    if ! fuzz; then
      # Go 1.26's fuzz coordinator can report its own -fuzztime deadline
      # as a failure of the target (golang/go#75804, fixed in Go 1.27):
      # a bare "context deadline exceeded" with no input written. That,
      # and only that, is run once more; anything else fails at once.
      if grep -q 'context deadline exceeded' /tmp/reapd-fuzz.log &&
        ! grep -qE 'Failing input written|panic:|_test\.go:[0-9]+:' /tmp/reapd-fuzz.log; then
        echo "fuzz $pkg $name: the coordinator's deadline race (golang/go#75804), no input found: once more"
        fuzz || { cat /tmp/reapd-fuzz.log; exit 1; }
      else
        cat /tmp/reapd-fuzz.log
        exit 1
      fi
    fi
  done
done
echo "fuzz: all targets passed"
