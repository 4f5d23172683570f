#!/usr/bin/env bash
# Builds the demo image and checks each switch against real Postgres and the fake upstream,
# with curl on 127.0.0.1 only. Every load is bounded in count and time; everything started is
# labelled with this run's id and removed on exit, whatever happens.
# Usage: examples/demo/smoke.sh   (ENGINE=podman|docker, DEMO_IMAGE, POSTGRES_IMAGE to override;
# SMOKE_LOGS=dir keeps every container's log there)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
engine=${ENGINE:-podman}
image=${DEMO_IMAGE:-loadgate-demo:dev}
pg_image=${POSTGRES_IMAGE:-docker.io/library/postgres:15}
run_id="demo-smoke-$$"
net="loadgate-$run_id"
label="org.loadgate.run=$run_id"
db_url="postgresql+asyncpg://app:app@db:5432/app"

passed=0
failed=0
check() { # description, then a command that succeeds when the check holds
  local what=$1
  shift
  if "$@"; then
    passed=$((passed + 1))
    echo "ok   $what"
  else
    failed=$((failed + 1))
    echo "FAIL $what"
  fi
}

cleanup() {
  local ids c
  ids=$("$engine" ps -aq --filter "label=$label" 2>/dev/null || true)
  if [ -n "${SMOKE_LOGS:-}" ] && [ -n "$ids" ]; then # keep every container's log there
    mkdir -p "$SMOKE_LOGS"
    for c in $ids; do
      "$engine" logs "$c" >"$SMOKE_LOGS/$("$engine" inspect -f '{{.Name}}' "$c" | sed 's|^/||').log" 2>&1 || true
    done
  fi
  [ -z "$ids" ] || "$engine" rm -f -t 0 $ids >/dev/null 2>&1 || true
  "$engine" network rm -f "$net" >/dev/null 2>&1 || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM # so a signal still runs the EXIT trap

start() { # name alias image [run args and command...]
  local name=$1 alias=$2
  shift 2
  "$engine" run -d --name "$run_id-$name" --label "$label" --network "$net" --network-alias "$alias" "$@" >/dev/null
}
demo() { # name [env args...]: the demo service, its port published on 127.0.0.1 only
  local name=$1
  shift
  start "$name" "$name" -p 127.0.0.1::8000 -e DATABASE_URL="$db_url" "$@" "$image"
}
url() { "$engine" port "$run_id-$1" 8000 | head -n1 | sed 's/^0\.0\.0\.0:/127.0.0.1:/; s|^|http://|'; }
get() { curl -s --max-time 15 "$@"; }
status_of() { get -o /dev/null -w '%{http_code}' "$1"; }
metric() { # base-url, exact series as printed by /metrics (name and labels)
  get "$1/metrics" | awk -v s="$2" '$1 == s { print $2; found = 1 } END { if (!found) print "absent" }'
}
gt() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a + 0 > b + 0) }'; }
wait_healthy() { # name: until /health answers (uvicorn binds only after startup completes)
  local base
  for _ in $(seq 1 60); do
    base=$(url "$1" 2>/dev/null) && [ "$(status_of "$base/health")" = 200 ] && return 0
    sleep 1
  done
  echo "$1 did not become healthy; its log:" >&2
  "$engine" logs "$run_id-$1" 2>&1 | tail -n 20 >&2
  return 1
}
load() { # base-url path count parallelism: bounded in count (and by curl's and timeout's clocks)
  seq 1 "$3" | timeout 120 xargs -P "$4" -I{} curl -s --max-time 15 -o /dev/null "$1$2" || true
}

echo "== building $image"
build_started=$SECONDS
"$engine" build -q -t "$image" "$here" >/dev/null
echo "   built in $((SECONDS - build_started)) s"

"$engine" network create --label "$label" "$net" >/dev/null

# Demos first, Postgres after: they must wait for it, and seed it racing each other.
demo base -e DEMO_UPSTREAM_URL=http://up-fast:8080/quote
demo pool -e DEMO_UPSTREAM_URL=http://up-slow:8080/quote -e DEMO_POOL_SIZE=2 -e DEMO_POOL_TIMEOUT_S=10
demo block -e DEMO_BLOCKING=1 -e DEMO_BLOCKING_MS=50
demo nonblock
demo timeout -e DEMO_UPSTREAM_URL=http://up-stuck:8080/quote
demo notimeout -e DEMO_UPSTREAM_URL=http://up-stuck:8080/quote -e DEMO_UPSTREAM_TIMEOUT_MS=0
demo leak -e DEMO_UPSTREAM_URL=http://up-broken:8080/quote -e DEMO_LEAK=1 -e DEMO_POOL_SIZE=3 -e DEMO_POOL_TIMEOUT_S=1
demo noleak -e DEMO_UPSTREAM_URL=http://up-broken:8080/quote -e DEMO_POOL_SIZE=3 -e DEMO_POOL_TIMEOUT_S=1
demo nodb -e DATABASE_URL=postgresql+asyncpg://app:app@nowhere:5432/app -e DEMO_DB_WAIT_S=3
upstream() { start "$1" "$1" -e UPSTREAM_LATENCY_MS="$2" -e UPSTREAM_STATUS="${3:-200}" "$image" \
  python3 -m uvicorn upstream:app --host 0.0.0.0 --port 8080 --no-access-log; }
upstream up-fast 0
upstream up-slow 50
upstream up-stuck 1000
upstream up-broken 0 503
sleep 3
start db db -e POSTGRES_USER=app -e POSTGRES_PASSWORD=app -e POSTGRES_DB=app "$pg_image"

for d in base pool block nonblock timeout notimeout leak noleak; do wait_healthy "$d"; done

echo "== start-up"
logs_base=$("$engine" logs "$run_id-base" 2>&1)
check "uvicorn prints 'Application startup complete.'" grep -q "Application startup complete." <<<"$logs_base"
check "uvicorn prints 'Uvicorn running on'" grep -q "Uvicorn running on" <<<"$logs_base"
check "the config line hides the DB password" grep -q "app:\*\*\*@db" <<<"$logs_base"
for _ in $(seq 1 20); do [ "$("$engine" inspect -f '{{.State.Running}}' "$run_id-nodb")" = false ] && break; sleep 1; done
check "with no DB, the demo gives up and exits" test "$("$engine" inspect -f '{{.State.Running}}' "$run_id-nodb")" = false
check "with no DB, one clear line says why" grep -q "demo: database .* not ready after 3 s" <<<"$("$engine" logs "$run_id-nodb" 2>&1)"
rows=$("$engine" exec "$run_id-db" psql -U app -d app -tAc 'SELECT count(*) FROM demo_items')
check "eight replicas seeded the table once: 100 rows (got $rows)" test "$rows" = 100

echo "== endpoints"
base=$(url base)
check "/health answers {\"status\":\"ok\"}" test "$(get "$base/health")" = '{"status":"ok"}'
items=$(get "$base/items")
check "/items answers 10 items and the upstream's quote" \
  python3 -c 'import json,sys; b=json.loads(sys.argv[1]); assert len(b["items"])==10 and b["quote"]["symbol"]=="DEMO"' "$items"
check "/items without an upstream answers quote null" \
  python3 -c 'import json,sys; assert json.loads(sys.argv[1])["quote"] is None' "$(get "$(url nonblock)/items")"
m=$(get "$base/metrics")
for name in demo_pool_checkout_wait_seconds_bucket demo_pool_checkout_timeouts_total demo_pool_size \
  demo_pool_checked_out demo_request_duration_seconds_bucket demo_upstream_errors_total; do
  check "/metrics has $name" grep -q "^$name" <<<"$m"
done
check "demo_pool_size is 10 by default" test "$(metric "$base" demo_pool_size)" = 10.0

echo "== a small pool makes requests wait for it (DEMO_POOL_SIZE=2, upstream 50 ms)"
pool=$(url pool)
before=$(metric "$pool" demo_pool_checkout_wait_seconds_sum)
load "$pool" /items 200 20
after=$(metric "$pool" demo_pool_checkout_wait_seconds_sum)
count=$(metric "$pool" demo_pool_checkout_wait_seconds_count)
slow=$(metric "$pool" 'demo_pool_checkout_wait_seconds_bucket{le="0.1"}')
echo "   checkout wait sum ${before}s -> ${after}s over $count checkouts; $slow of them within 0.1 s"
check "the checkout wait grew by more than 5 s in total" gt "$(awk -v a="$after" -v b="$before" 'BEGIN { print a - b }')" 5
check "most checkouts waited longer than 0.1 s" gt "$count" "$(awk -v s="$slow" 'BEGIN { print s * 2 }')"
base_wait=$(metric "$base" demo_pool_checkout_wait_seconds_sum)
check "while the default pool barely waits (${base_wait}s)" gt 0.5 "$base_wait"

echo "== a blocking call stalls /health (DEMO_BLOCKING=1, 50 ms per /items)"
health_p_max() { # base-url: the slowest of 20 /health calls made while /items runs 10 at a time
  load "$1" /items 150 10 &
  local loader=$! worst=0 t
  sleep 0.5
  for _ in $(seq 1 20); do
    t=$(get -o /dev/null -w '%{time_total}' "$1/health")
    worst=$(awk -v a="$t" -v b="$worst" 'BEGIN { print (a > b) ? a : b }')
    sleep 0.05
  done
  wait "$loader"
  echo "$worst"
}
blocked=$(health_p_max "$(url block)")
free=$(health_p_max "$(url nonblock)")
echo "   slowest /health under /items load: ${blocked}s blocking, ${free}s without"
check "/health is slower than 0.2 s with DEMO_BLOCKING=1" gt "$blocked" 0.2
check "/health is at least three times as slow as without it" gt "$blocked" "$(awk -v f="$free" 'BEGIN { print f * 3 }')"

echo "== upstream timeouts (upstream 1000 ms)"
timeout_base=$(url timeout)
check "default 300 ms timeout: /items answers 504" test "$(status_of "$timeout_base/items")" = 504
check "and counts demo_upstream_errors_total{kind=\"timeout\"}" \
  test "$(metric "$timeout_base" 'demo_upstream_errors_total{kind="timeout"}')" = 1.0
t=$(get -o /dev/null -w '%{http_code} %{time_total}' "$(url notimeout)/items")
check "DEMO_UPSTREAM_TIMEOUT_MS=0: /items waits the whole second and answers 200 ($t)" \
  awk -v s="${t% *}" -v t="${t#* }" 'BEGIN { exit !(s == 200 && t >= 1.0) }'

echo "== upstream errors, with and without the leak (pool of 3, 1 s pool timeout, upstream 503)"
leak=$(url leak)
noleak=$(url noleak)
codes_leak=$(for _ in 1 2 3 4 5; do status_of "$leak/items"; echo; done | tr '\n' ' ')
codes_noleak=$(for _ in 1 2 3 4 5; do status_of "$noleak/items"; echo; done | tr '\n' ' ')
echo "   DEMO_LEAK=1: $codes_leak; without: $codes_noleak"
check "DEMO_LEAK=1: three 502s, then the drained pool answers 503" test "$codes_leak" = "502 502 502 503 503 "
check "DEMO_LEAK=1: all 3 connections stay checked out" test "$(metric "$leak" demo_pool_checked_out)" = 3.0
check "DEMO_LEAK=1: pool timeouts are counted" test "$(metric "$leak" demo_pool_checkout_timeouts_total)" = 2.0
check "DEMO_LEAK=1: /health still answers" test "$(status_of "$leak/health")" = 200
check "without the leak: 502 every time" test "$codes_noleak" = "502 502 502 502 502 "
check "without the leak: no connection stays checked out" test "$(metric "$noleak" demo_pool_checked_out)" = 0.0
check "upstream errors are counted as kind=error" \
  test "$(metric "$noleak" 'demo_upstream_errors_total{kind="error"}')" = 5.0

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
