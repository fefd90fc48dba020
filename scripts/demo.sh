#!/usr/bin/env bash
# make demo: generates the bundled demo extracts (deterministically, once), trains the demo
# scorecard on them (jobs/demo.yaml) and runs the nightly job with it (jobs/nightly.yaml),
# all under ./out/demo, then says where the model card and the scored table are.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=./bin/lendscore
if [ ! -f data/demo/extracts/_generator.json ]; then
  echo "demo: generating 20,000 customers of synthetic extracts into data/demo/extracts" >&2
  $BIN gen --customers 20000 --seed 1 --dirty-rate 0.02 --out data/demo/extracts
fi
echo "demo: training the scorecard (jobs/demo.yaml)" >&2
$BIN run jobs/demo.yaml
echo "demo: the nightly run (jobs/nightly.yaml)" >&2
$BIN run jobs/nightly.yaml
model=$(sed -n 's/.*"path": "\(.*\)".*/\1/p' out/demo/model/latest.json)
night=$(sed -n 's/.*"path": "\(.*\)".*/\1/p' out/demo/nightly/latest.json)
echo
echo "model card:     out/demo/model/$model/model_card.html"
echo "metrics:        out/demo/model/$model/metrics.json"
echo "scored table:   out/demo/nightly/$night/scored/"
for f in out/demo/nightly/$night/report/portfolio_report.html; do [ -f "$f" ] && echo "portfolio:      $f"; done
true
