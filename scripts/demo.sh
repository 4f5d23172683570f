#!/usr/bin/env bash
# npm run demo: examples/demo/story.yml, compared with a baseline the first run records.
# The first time (no out/demo-baseline.json yet) it runs twice: once to record the baseline,
# once to be compared with it; later runs are compared with that baseline.
set -euo pipefail
cd "$(dirname "$0")/.."
config=examples/demo/story.yml
baseline=out/demo-baseline.json
if [ ! -f "$baseline" ]; then
  echo "demo: first run: recording the baseline in $baseline (a second run is compared with it)"
  node dist/cli.js run --config "$config" --out out/demo-baseline --save-baseline "$baseline" >/dev/null
fi
status=0
node dist/cli.js run --config "$config" --out out/demo --baseline "$baseline" || status=$?
echo
# the story's lines from the report: each phase's faults and recovery, what the slow levels mean, the knee, the comparison
if [ -f out/demo/report.md ]; then
  grep -E '(idle probe p95|^### Phase|Faults:|Recovery:|- [0-9.]+ VUs?: \*\*|Knee:|### Comparison|- the knee)' out/demo/report.md | cut -c1-240 || true
  echo
fi
echo "demo: the whole report (probe, phases, recovery, diagnosis, knee, comparison) is in out/demo/report.md"
exit "$status"
