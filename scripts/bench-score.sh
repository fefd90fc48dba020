#!/usr/bin/env bash
# bench-score.sh: the scoring figures of issue 5. Scores 1,000,000 and 10,000,000 customers
# from Parquet to Parquet with the flat1m scorecard (jobs/bench/score1m.yaml, score10m.yaml)
# and, in the same run, copies the same tables with a plain Arrow Parquet read-and-write
# (internal/tools/pqcopy: pqarrow, the part writer's settings). Each figure is the median wall
# time of RUNS runs (default 3) with the largest peak RSS (GNU time) and the median CPU time.
# Prints the lines for docs/BENCHMARKS.md and writes them, with the ratios, to
# docs/bench-score.md. Never part of `make test`; scripts/bench.sh calls it.
#
# Inputs, made once: the flatgen table (internal/tools/flatgen, seed 2) as ten Parquet files
# of 1,000,000 rows (internal/tools/csvparquet) in data/bench/score10m, its first file in
# data/bench/score1m; the scorecard of jobs/bench/flat1m.yaml in out/bench/flat1m.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-3}
OUT=${OUT:-docs/bench-score.md}
mkdir -p bin data/bench out/bench docs
go build -o bin/lendscore ./cmd/lendscore
go build -o bin/flatgen ./internal/tools/flatgen
go build -o bin/csvparquet ./internal/tools/csvparquet
go build -o bin/pqcopy ./internal/tools/pqcopy
load_start=$(cut -d' ' -f1-3 /proc/loadavg)

if [ ! -f data/bench/score10m/part-00009.parquet ]; then
  echo "bench-score: writing the 10,000,000-row input (flatgen seed 2, ~1.2 GB of CSV on the way)" >&2
  tmp=$(mktemp -d)
  ./bin/flatgen -rows 10000000 -seed 2 -out "$tmp/flat10m.csv"
  rm -rf data/bench/score10m
  ./bin/csvparquet -in "$tmp/flat10m.csv" -out data/bench/score10m -rows-per-part 1000000 >/dev/null
  rm -rf "$tmp"
fi
if [ ! -f data/bench/score1m/part-00000.parquet ]; then
  mkdir -p data/bench/score1m
  cp data/bench/score10m/part-00000.parquet data/bench/score1m/
fi
if [ ! -f out/bench/flat1m/latest.json ]; then
  [ -f data/bench/flat1m.csv ] || ./bin/flatgen -rows 1000000 -seed 1 -out data/bench/flat1m.csv
  ./bin/lendscore run jobs/bench/flat1m.yaml --log-level error >/dev/null
fi

# Each run writes into a scratch folder, removed after it, so that repeated benchmarks do not
# pile up runs of ~110 MB under out/bench.
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

# measure NAME CMD...: runs CMD RUNS times; sets MEDIAN (s), CPU (s, median user+sys), RSS (MB).
measure() {
  local name=$1; shift
  local times=() cpus=() rss=0
  for ((i = 0; i < RUNS; i++)); do
    rm -rf "$scratch/out"
    /usr/bin/time -f "%e %U %S %M" -o /tmp/lendscore-bench-score.time "$@" >/dev/null 2>/tmp/lendscore-bench-score.err || {
      echo "bench-score: $name failed:" >&2; cat /tmp/lendscore-bench-score.err >&2; exit 1; }
    read -r secs user sys kb </tmp/lendscore-bench-score.time
    times+=("$secs")
    cpus+=("$(awk -v u="$user" -v s="$sys" 'BEGIN {printf "%.2f", u + s}')")
    (( kb > rss )) && rss=$kb
  done
  MEDIAN=$(printf '%s\n' "${times[@]}" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
  CPU=$(printf '%s\n' "${cpus[@]}" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
  RSS=$(( rss / 1024 ))
  echo "bench-score: $name: median ${MEDIAN}s (CPU ${CPU}s) over $RUNS runs, peak RSS ${RSS} MB" >&2
}

measure "score 1M" ./bin/lendscore run jobs/bench/score1m.yaml --set output="$scratch/out" --log-level error
s1=$MEDIAN c1=$CPU r1=$RSS
measure "score 10M" ./bin/lendscore run jobs/bench/score10m.yaml --set output="$scratch/out" --log-level error
s10=$MEDIAN c10=$CPU r10=$RSS
measure "plain copy 1M" ./bin/pqcopy -in data/bench/score1m -out "$scratch/out"
p1=$MEDIAN pc1=$CPU pr1=$RSS
measure "plain copy 10M" ./bin/pqcopy -in data/bench/score10m -out "$scratch/out"
p10=$MEDIAN pc10=$CPU pr10=$RSS
load_end=$(cut -d' ' -f1-3 /proc/loadavg)

rate() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.0f", a / b}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }
rows10=$(rate 10000000 "$s10")
rows1=$(rate 1000000 "$s1")
vs_plain=$(ratio "$s10" "$p10")
cpu_vs_plain=$(ratio "$c10" "$pc10")
rss_ratio=$(ratio "$r10" "$r1")
lines=(
  "| score 10,000,000 customers, Parquet to Parquet (jobs/bench/score10m.yaml) | ${s10} s (${rows10} rows/s, CPU ${c10} s) | ${r10} MB | ≥ 2,000,000 rows/s; ≤ 1.5 × the plain copy: ${vs_plain} ×; < 300 MB |"
  "| score 1,000,000 customers, Parquet to Parquet (jobs/bench/score1m.yaml) | ${s1} s (${rows1} rows/s, CPU ${c1} s) | ${r1} MB | peak RSS at 10M / 1M: ${rss_ratio} (within 20%) |"
  "| plain Arrow Parquet read-and-write of the 10M table (internal/tools/pqcopy) | ${p10} s (CPU ${pc10} s) | ${pr10} MB | the reference of the line above |"
  "| plain Arrow Parquet read-and-write of the 1M table (internal/tools/pqcopy) | ${p1} s (CPU ${pc1} s) | ${pr1} MB | |"
)
printf '%s\n' "${lines[@]}"
# Hand-written notes below the marker line of the previous file (the profile) are kept.
notes=""
[ -f "$OUT" ] && notes=$(sed -n '/^<!-- notes -->$/,$p' "$OUT")
{
  echo "# Scoring benchmark"
  echo
  echo "Written by \`scripts/bench-score.sh\` ($(date -u +%Y-%m-%d)); machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB,"
  echo "$(go version | cut -d' ' -f3), commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown); median wall time of $RUNS runs,"
  echo "median CPU time (user + system), largest peak RSS. Load average when the run started: $load_start;"
  echo "when it ended: $load_end. The machine is shared: wall times follow its load, CPU times much less."
  echo
  echo "| what | median time | peak RSS | target / reference |"
  echo "|---|---|---|---|"
  printf '%s\n' "${lines[@]}"
  echo
  echo "Scoring 10M rows takes ${vs_plain} × the time (${cpu_vs_plain} × the CPU time) of the plain read-and-write"
  echo "of the same table, and its peak RSS is ${rss_ratio} × that of scoring 1M rows. The plain copy reads all"
  echo "22 columns and writes them back on one goroutine; scoring reads the id and the scorecard's columns on"
  echo "both cores and writes the 17 columns of the scored table."
  if [ -n "$notes" ]; then
    echo
    printf '%s\n' "$notes"
  fi
} >"$OUT"
echo "bench-score: wrote $OUT" >&2
