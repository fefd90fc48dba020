#!/usr/bin/env bash
# Submits a sharded score run to AWS Batch: an array job of SHARDS children (each scores the
# input files k with k mod SHARDS = its AWS_BATCH_JOB_ARRAY_INDEX), then the commit job,
# which AWS Batch starts only once every child has succeeded (a dependency on the whole array
# job). Register the two job definitions once:
#
#   aws batch register-job-definition --cli-input-json file://score-shard.json
#   aws batch register-job-definition --cli-input-json file://commit.json
#
# Usage: submit.sh AS_OF [SHARDS] — SHARDS from 2 to 10,000 (an array job's size); run a
# single shard as an ordinary job: lendscore run SPEC --as-of AS_OF.
set -euo pipefail
AS_OF=${1:?usage: submit.sh YYYY-MM-DD [SHARDS]}
SHARDS=${2:-8}
QUEUE=${QUEUE:-lendscore}
SPEC=${SPEC:-/etc/lendscore/jobs/score.yaml}

array_job=$(aws batch submit-job \
  --job-name "lendscore-score-$AS_OF" --job-queue "$QUEUE" \
  --job-definition lendscore-score-shard \
  --array-properties size="$SHARDS" \
  --parameters spec="$SPEC",shards="$SHARDS",as_of="$AS_OF" \
  --query jobId --output text)
echo "score shards: array job $array_job ($SHARDS children)"

commit_job=$(aws batch submit-job \
  --job-name "lendscore-commit-$AS_OF" --job-queue "$QUEUE" \
  --job-definition lendscore-commit \
  --depends-on jobId="$array_job" \
  --parameters spec="$SPEC",shards="$SHARDS",as_of="$AS_OF" \
  --query jobId --output text)
echo "commit: job $commit_job, after every child of $array_job"
