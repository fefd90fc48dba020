#!/usr/bin/env bash
# bench-train-shards.sh: sharded training (issue 5). Trains the ten-file 10,000,000-row table
# of scripts/bench-score.sh (data/bench/score10m, made there) as 4 shards run one after the
# other on this machine, then the commit; and, in the same run, in one process under the same
# run id, as the reference. Checks that both publish the same scorecard, metrics and binning
# table. Each figure is the median wall time of RUNS runs (default 3), with the largest peak
# RSS (GNU time). Prints table rows for docs/BENCHMARKS.md. scripts/bench.sh calls it.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-3}
SHARDS=4
JOB=jobs/bench/train10m-sharded.yaml
[ -f data/bench/score10m/part-00009.parquet ] || { echo "bench-train-shards: run scripts/bench-score.sh first (it writes data/bench/score10m)" >&2; exit 1; }
go build -o bin/lendscore ./cmd/lendscore
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

timed() { # timed FILE CMD...: runs CMD, appends "secs kb" to FILE
  local f=$1; shift
  /usr/bin/time -f "%e %M" -o /tmp/lendscore-bench-shard.time "$@" >/dev/null 2>/tmp/lendscore-bench-shard.err || {
    echo "bench-train-shards: $* failed:" >&2; cat /tmp/lendscore-bench-shard.err >&2; exit 1; }
  cat /tmp/lendscore-bench-shard.time >>"$f"
}
for ((r = 0; r < RUNS; r++)); do
  rm -rf "$scratch/sharded" "$scratch/one"
  : >"$scratch/shard-times"
  for ((i = 0; i < SHARDS; i++)); do
    timed "$scratch/shard-times" ./bin/lendscore run $JOB --shard $i/$SHARDS --set output=$scratch/sharded --log-level error
  done
  sort -g -r "$scratch/shard-times" | head -1 >>"$scratch/slowest"
  awk '{s += $1} END {print s, 0}' "$scratch/shard-times" >>"$scratch/sum"
  timed "$scratch/commit" ./bin/lendscore commit $JOB --shards $SHARDS --set output=$scratch/sharded --log-level error
  id=$(ls "$scratch/sharded/runs")
  timed "$scratch/one-times" ./bin/lendscore run $JOB --run-id "$id" --set output=$scratch/one --log-level error
  for f in model/scorecard.json metrics.json binning.csv; do
    cmp -s "$scratch/sharded/runs/$id/$f" "$scratch/one/runs/$id/$f" || { echo "bench-train-shards: $f differs between the shards and one process" >&2; exit 1; }
  done
done
row() { # row NAME FILE TARGET
  local med rss
  med=$(awk '{print $1}' "$2" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
  rss=$(awk '{print $2}' "$2" | sort -g | tail -1)
  if [ "$rss" = 0 ]; then rss="–"; else rss="$((rss / 1024)) MB"; fi
  echo "| $1 | ${med} s | $rss | $3 |"
}
row "train 10,000,000 rows x 20 vars (10 Parquet files) as $SHARDS shards, slowest shard" "$scratch/slowest" "shards one after the other on this machine"
row "the same, all $SHARDS shards one after the other" "$scratch/sum" "sum of the shards' wall times"
row "the same, commit (merge, fit, score, validate, publish)" "$scratch/commit" "same scorecard, metrics and binning as one process (checked)"
row "the same 10 files in one process" "$scratch/one-times" "reference, same run"
