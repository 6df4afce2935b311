#!/usr/bin/env bash
# Runs every fuzz target of the module for the given time each (default 3s).
set -euo pipefail
cd "$(dirname "$0")/.."
t="${1:-3s}"
for dir in $(grep -rl --include='*_test.go' '^func Fuzz' . | xargs -n1 dirname | sort -u); do
  for f in $(grep -h '^func Fuzz' "$dir"/*_test.go | sed 's/func \(Fuzz[A-Za-z0-9_]*\).*/\1/'); do
    echo "fuzz $dir $f ($t)"
    go test -run '^$' -fuzz "^$f\$" -fuzztime "$t" "$dir" >/dev/null || { echo "FAIL $dir $f"; go test -run "^$f\$" "$dir"; exit 1; }
  done
done
