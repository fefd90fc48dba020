#!/usr/bin/env bash
# make demo: prepares the bundled demo data and runs jobs/demo.yaml into ./out/demo.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p data/demo
if [ ! -f data/demo/germancredit.csv ]; then
  cp testdata/germancredit.csv data/demo/germancredit.csv
fi
./bin/lendscore run jobs/demo.yaml
