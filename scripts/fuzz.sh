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
    go test -run '^$' -fuzz "^${name}\$" -fuzztime "$t" -fuzzminimizetime 2s "$pkg" >/tmp/reapd-fuzz.log 2>&1 || { cat /tmp/reapd-fuzz.log; exit 1; }
  done
done
echo "fuzz: all targets passed"
