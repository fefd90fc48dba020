#!/usr/bin/env bash
# A short run of every fuzz target (FUZZTIME each, default 10s): finds the targets itself, so
# a new Fuzz function is fuzzed in CI without editing this script. Corpora live in each
# package's testdata/fuzz/ and run as ordinary tests in `make test`.
set -euo pipefail
cd "$(dirname "$0")/.."
FUZZTIME=${FUZZTIME:-10s}
grep -rl --include='*_test.go' '^func Fuzz' . | sort | while read -r file; do
  pkg=./$(dirname "${file#./}")
  for target in $(grep -o '^func Fuzz[A-Za-z0-9_]*' "$file" | sed 's/^func //'); do
    echo "fuzz: $pkg $target for $FUZZTIME"
    go test "$pkg" -run '^$' -fuzz "^${target}\$" -fuzztime "$FUZZTIME"
  done
done
