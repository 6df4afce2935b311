#!/usr/bin/env bash
# Runs every fuzz target of the module for the given time each (default 3s).
set -euo pipefail
cd "$(dirname "$0")/.."
t="${1:-3s}"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
for dir in $(grep -rl --include='*_test.go' '^func Fuzz' . | xargs -n1 dirname | sort -u); do
  for f in $(grep -h '^func Fuzz' "$dir"/*_test.go | sed 's/func \(Fuzz[A-Za-z0-9_]*\).*/\1/'); do
    echo "fuzz $dir $f ($t)"
    for try in 1 2; do
      if go test -run '^$' -fuzz "^$f\$" -fuzztime "$t" "$dir" >"$log" 2>&1; then
        break
      fi
      # Go < 1.27 can report a bare "context deadline exceeded" when -fuzztime
      # ends while a worker is busy (golang/go#75804): no input failed, so run
      # the target once more. Anything else, or twice, is a failure.
      if [ "$try" = 1 ] && grep -q 'context deadline exceeded' "$log" &&
        ! grep -qE 'Failing input written|panic:|_test\.go:[0-9]+:' "$log"; then
        echo "  (fuzz deadline race, once more)"
        continue
      fi
      grep -v 'fuzz: elapsed' "$log" | tail -40
      echo "FAIL $dir $f"
      exit 1
    done
  done
done
