#!/usr/bin/env bash
# Submits a sharded score (or train) run to AWS Batch: an array job of SHARDS children (each
# reads the input files k with k mod SHARDS = its AWS_BATCH_JOB_ARRAY_INDEX), then the commit
# job, which AWS Batch starts only once every child has succeeded (a dependency on the whole
# array job). Register the two job definitions once:
#
#   aws batch register-job-definition --cli-input-json file://score-shard.json
#   aws batch register-job-definition --cli-input-json file://commit.json
#
# Usage: submit.sh AS_OF [SHARDS] — SHARDS from 2 to 10,000 (an array job's size); run a
# single shard as an ordinary job: lendscore run SPEC --as-of AS_OF.
#
# A sharded train run uses the same definitions with its spec and more memory: a shard holds
# its share of the table (about 40 bytes a row), the commit the whole table as codes:
#   SPEC=/etc/lendscore/jobs/train.yaml SHARD_MEMORY=2048 COMMIT_MEMORY=4096 submit.sh 2026-06-30 4
set -euo pipefail
AS_OF=${1:?usage: submit.sh YYYY-MM-DD [SHARDS]}
SHARDS=${2:-8}
QUEUE=${QUEUE:-lendscore}
SPEC=${SPEC:-/etc/lendscore/jobs/score.yaml}
# memory MB: container overrides of the definitions' memory (MiB), when set.
memory() { [ -n "${1:-}" ] && echo "--container-overrides resourceRequirements=[{type=MEMORY,value=$1}]"; true; }

array_job=$(aws batch submit-job \
  --job-name "lendscore-score-$AS_OF" --job-queue "$QUEUE" \
  --job-definition lendscore-score-shard \
  --array-properties size="$SHARDS" \
  --parameters spec="$SPEC",shards="$SHARDS",as_of="$AS_OF" $(memory "${SHARD_MEMORY:-}") \
  --query jobId --output text)
echo "score shards: array job $array_job ($SHARDS children)"

commit_job=$(aws batch submit-job \
  --job-name "lendscore-commit-$AS_OF" --job-queue "$QUEUE" \
  --job-definition lendscore-commit \
  --depends-on jobId="$array_job" \
  --parameters spec="$SPEC",shards="$SHARDS",as_of="$AS_OF" $(memory "${COMMIT_MEMORY:-}") \
  --query jobId --output text)
echo "commit: job $commit_job, after every child of $array_job"
