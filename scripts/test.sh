#!/usr/bin/env bash
# The whole test suite, as CI runs it: format and lint, type checks, the bundle check, then
# unit, integration and end-to-end tests against the real engine, k6 and Toxiproxy.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

node -e 'const m = +process.versions.node.split(".")[0]; if (m < 24) { console.error(`loadgate needs Node 24, this is ${process.version}: run through npm (the devDependency "node" puts Node 24 on PATH)`); process.exit(3); }'
started=$SECONDS
echo "== lint and format (biome)"; biome check .
echo "== type check"; tsc --noEmit && tsc -p k6-scripts --noEmit
echo "== layers (imports point down: entry, application, capabilities, core)"; depcruise src --config .dependency-cruiser.cjs --output-type err
echo "== tests"; vitest run "$@"
# The tests on Docker Engine (beside Podman) check each run's leftovers; this checks the engine.
if [ "${LOADGATE_DOCKER:-1}" != 0 ] && [ -S "${LOADGATE_DOCKER_HOST#unix://}" ]; then
  left=$(curl -sf --max-time 10 --unix-socket "${LOADGATE_DOCKER_HOST#unix://}" \
    'http://d/containers/json?all=true&filters=%7B%22label%22%3A%5B%22org.loadgate.run%22%5D%7D')
  [ "$left" = "[]" ] || { echo "loadgate containers left in Docker Engine: $left" >&2; exit 1; }
fi
echo "== suite took $((SECONDS - started)) s"
