#!/usr/bin/env bash
# Records the Prometheus exposition of real connection-pool libraries into
# test/fixtures/prometheus/, so the metrics parser and presets are tested against what the
# libraries really print. Each recorder drives its pool (size 2) against a throwaway postgres:15
# container with a burst that makes checkouts wait.
#   bash scripts/record-prometheus-fixtures/record.sh [hikaricp|go-sql|node-postgres|demo]...
# Needs podman (or ENGINE=docker), java 17 + mvn, go, node + npm; the demo's image is built from
# examples/demo. Registries: Maven Central, the Go module proxy, npm. Everything started is
# removed on exit (the image is kept for the layer cache).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
out="$root/test/fixtures/prometheus"
engine=${ENGINE:-podman}
tag="lgrec-$$"
work=$(mktemp -d)
mkdir -p "$out"

cleanup() {
  "$engine" rm -f "$tag-demo" "$tag-up" "$tag-pg" >/dev/null 2>&1 || true
  "$engine" network rm -f "$tag" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

start_postgres() {
  "$engine" network create "$tag" >/dev/null
  "$engine" run -d --name "$tag-pg" --network "$tag" --network-alias db -p 127.0.0.1::5432 \
    -e POSTGRES_USER=rec -e POSTGRES_PASSWORD=rec -e POSTGRES_DB=rec postgres:15 >/dev/null
  for _ in $(seq 60); do
    # Both boots of the entrypoint print the line; the second one listens on TCP.
    [ "$("$engine" logs "$tag-pg" 2>&1 | grep -c 'ready to accept connections')" -ge 2 ] && break
    sleep 1
  done
  port=$("$engine" port "$tag-pg" 5432/tcp | head -1 | sed 's/.*://')
}
# RECORD_PG_PORT: a Postgres already listening on 127.0.0.1 with role and database "rec"
# (password "rec") serves the library recorders instead of a container; the demo needs one.
if [ -n "${RECORD_PG_PORT:-}" ]; then port=$RECORD_PG_PORT; else start_postgres; fi
pg_url="postgres://rec:rec@127.0.0.1:$port/rec"

record_hikaricp() {
  (cd "$here/hikaricp" && mvn -q -B dependency:build-classpath -Dmdep.outputFile="$work/cp.txt")
  java -cp "$(cat "$work/cp.txt")" "$here/hikaricp/Record.java" \
    "jdbc:postgresql://127.0.0.1:$port/rec?user=rec&password=rec" "$out"
}

record_go_sql() {
  (cd "$here/go-sql" && go run . "$pg_url" "$out/go-sql-dbstats.txt")
}

record_node_postgres() {
  # Installed into a throwaway folder: none of it belongs to loadgate's own dependencies.
  cp "$here/node-postgres/record.mjs" "$work/"
  npm install --prefix "$work" --no-audit --no-fund --loglevel=error \
    pg@8.23.1 prom-client@15.1.3 @christiangalsterer/node-postgres-prometheus-exporter@1.4.0 >/dev/null
  node "$work/record.mjs" "$pg_url" "$out/node-postgres-exporter.txt"
}

record_demo() {
  "$engine" inspect "$tag-pg" >/dev/null 2>&1 || start_postgres
  # The demo as loadgate builds it (Debian's python3-prometheus-client); the layer cache makes it quick.
  "$engine" build -q -t localhost/loadgate-record-demo:latest "$root/examples/demo" >/dev/null
  # Its upstream answers in 30 ms while the request holds its connection: checkouts queue.
  "$engine" run -d --name "$tag-up" --network "$tag" --network-alias up -e UPSTREAM_LATENCY_MS=30 \
    localhost/loadgate-record-demo:latest python3 -m uvicorn upstream:app --host 0.0.0.0 --port 8080 >/dev/null
  "$engine" run -d --name "$tag-demo" --network "$tag" -p 127.0.0.1::8000 \
    -e DATABASE_URL=postgresql+asyncpg://rec:rec@db:5432/rec -e DEMO_POOL_SIZE=2 \
    -e DEMO_UPSTREAM_URL=http://up:8080/quote -e DEMO_POOL_TIMEOUT_S=0.1 \
    localhost/loadgate-record-demo:latest >/dev/null
  local demo
  demo=http://127.0.0.1:$("$engine" port "$tag-demo" 8000/tcp | head -1 | sed 's/.*://')
  for _ in $(seq 60); do curl -fs "$demo/health" >/dev/null && break; sleep 1; done
  # Before and after the burst: a pair to difference, as loadgate does at a level's ends.
  curl -fs -m 5 "$demo/metrics" >"$out/python-demo-sqlalchemy.before.txt"
  # 8 clients × 25 requests against a pool of 2: checkouts wait, some time out (503).
  for _ in $(seq 8); do
    (for _ in $(seq 25); do curl -s -m 5 -o /dev/null "$demo/items"; done) &
  done
  wait
  # (generate_latest: the 0.0.4 text format whatever the Accept header says)
  curl -fs -m 5 "$demo/metrics" >"$out/python-demo-sqlalchemy.txt"
}

for recorder in "${@:-hikaricp go-sql node-postgres demo}"; do
  for name in $recorder; do
    echo "recording $name"
    "record_${name//-/_}"
  done
done
ls -l "$out"
