#!/usr/bin/env bash
# Makes this machine ready to build, test and run loadgate with the real tools:
# Podman serving the Docker API, k6 and the Toxiproxy server at pinned versions, the
# images the tests use, and the project's npm dependencies (Node 24 among them).
# Idempotent: every step checks first and skips what is already there at the pinned version.
# Where it may not install (not root, not Debian) it installs nothing and lists what is
# missing with how to get it, exit status 3.
set -euo pipefail

root_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root_dir"
# shellcheck source=scripts/env.sh
source "$root_dir/scripts/env.sh"

pinned() { sed -n "s/.*\"$1\": *\"\([^\"]*\)\".*/\1/p" "$root_dir/tools.json"; }
K6_VERSION=$(pinned k6)
K6_UNSUPPORTED_VERSION=$(pinned k6Unsupported)
TOXIPROXY_VERSION=$(pinned toxiproxy)
POSTGRES_VERSION=$(pinned postgres)
ACT_VERSION=$(pinned act)

# One bootstrap at a time on a machine: two at once (two clones, two worktrees) would build the
# same tools into the same paths. The lock is released when this shell exits.
exec 9>/tmp/loadgate-bootstrap.lock
flock 9

step_started=$SECONDS
say() { printf '[bootstrap %3ss] %s\n' "$((SECONDS - step_started))" "$*"; }
fail() { printf 'loadgate bootstrap: %s\n' "$*" >&2; exit 3; }

# Starts a long-lived background process detached from this shell, without the file
# descriptors it inherited (a caller's lock file, say, would otherwise stay held for ever).
daemon() { # log command...
  local log=$1
  shift
  (
    for fd in /proc/$BASHPID/fd/*; do
      fd=${fd##*/}
      [ "$fd" -gt 2 ] 2>/dev/null && eval "exec $fd>&-"
    done
    exec setsid "$@" >"$log" 2>&1 </dev/null
  ) &
}

engine_up() { curl -sf --max-time 3 --unix-socket "${DOCKER_HOST#unix://}" http://d/_ping >/dev/null 2>&1; }
k6_ok() { [ -x "$LOADGATE_TOOLS/k6-$K6_VERSION/k6" ]; }
k6_unsupported_ok() { [ -x "$LOADGATE_TOOLS/k6-$K6_UNSUPPORTED_VERSION/k6" ]; }
toxiproxy_ok() { [ -x "$LOADGATE_TOOLS/toxiproxy-$TOXIPROXY_VERSION/toxiproxy-server" ]; }
act_ok() { [ -x "$LOADGATE_TOOLS/act-$ACT_VERSION/act" ]; }

# --- Where we may not install: report, change nothing -------------------------------------
can_install=yes
[ "$(id -u)" = 0 ] || can_install="no: not root"
[ -f /etc/debian_version ] || can_install="no: not Debian"
if [ "$can_install" != yes ]; then
  missing=()
  engine_up || missing+=("a Docker-API engine at $DOCKER_HOST (install Podman and run 'podman system service', or set DOCKER_HOST to a running Docker)")
  command -v k6 >/dev/null || k6_ok || missing+=("k6 $K6_VERSION (https://grafana.com/docs/k6/latest/set-up/install-k6/)")
  command -v npm >/dev/null || missing+=("Node.js with npm (https://nodejs.org)")
  if [ ${#missing[@]} -gt 0 ]; then
    for m in "${missing[@]}"; do echo "loadgate bootstrap ($can_install, so nothing was installed): missing $m" >&2; done
    exit 3
  fi
  say "cannot install here ($can_install), but every tool is present"
  exit 0
fi

# --- Debian packages ------------------------------------------------------------------------
need_pkgs=()
# `dpkg -s` also succeeds for a removed package whose config files remain: ask for "installed".
installed() { [ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" = "install ok installed" ]; }
for p in podman runc debootstrap curl; do installed "$p" || need_pkgs+=("$p"); done
if [ ${#need_pkgs[@]} -gt 0 ]; then
  say "installing ${need_pkgs[*]} from Debian"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_pkgs[@]}" >/dev/null
fi

# --- Podman configured as the environment requires, serving the Docker API ----------------
# crun fails here (cgroups in hybrid mode); rlimits cannot be raised, so the defaults must sit
# inside both the shell's hard nofile and Podman's own lower nproc.
hard_nofile=$(ulimit -Hn)
conf=/etc/containers/containers.conf
want_conf="# written by loadgate's bootstrap
[containers]
default_ulimits = [\"nofile=$hard_nofile:$hard_nofile\", \"nproc=4096:4096\"]
[engine]
runtime = \"runc\""
conf_changed=no
if [ "$(cat "$conf" 2>/dev/null)" != "$want_conf" ]; then
  if [ -s "$conf" ] && ! grep -q "written by loadgate's bootstrap" "$conf"; then
    cp "$conf" "$conf.before-loadgate"
    say "kept the previous $conf as $conf.before-loadgate"
  fi
  printf '%s\n' "$want_conf" >"$conf"
  conf_changed=yes
fi
if ! grep -q '^unqualified-search-registries *= *\["docker.io"\]' /etc/containers/registries.conf 2>/dev/null; then
  echo 'unqualified-search-registries = ["docker.io"]' >>/etc/containers/registries.conf
fi

socket=${DOCKER_HOST#unix://}
if engine_up && [ "$conf_changed" = yes ]; then
  # The service reads containers.conf only when it starts.
  say "restarting the Podman API service to apply $conf"
  pkill -f "podman system service" || true
  sleep 1
fi
if ! engine_up; then
  say "starting the Podman API service on $socket"
  mkdir -p "$(dirname "$socket")"
  daemon /var/log/loadgate-podman.log podman system service --time=0 "unix://$socket"
  for _ in $(seq 1 50); do engine_up && break; sleep 0.2; done
  engine_up || fail "the Podman API service did not answer on $socket (see /var/log/loadgate-podman.log)"
fi

# Podman runs HEALTHCHECKs from systemd timers, and there is no systemd here: without this
# loop a container's health stays "starting" for ever. Docker runs them itself; so do we.
hc_pidfile=/run/loadgate-healthchecks.pid
if ! { [ -f "$hc_pidfile" ] && kill -0 "$(cat "$hc_pidfile")" 2>/dev/null; }; then
  daemon /dev/null bash "$root_dir/scripts/healthcheck-loop.sh"
  echo $! >"$hc_pidfile"
fi

# --- k6 and the Toxiproxy server, built through the Go module proxy ------------------------
go_build() { # module version package-dir output log
  local module=$1 version=$2 pkg=$3 out=$4 log=$5 dir
  : >"$log"
  command -v go >/dev/null || fail "Go >= 1.25 is needed to build $module (https://go.dev/dl/)"
  # Build inside the module's own tree: 'go install m@v' asks the proxy for the module's list
  # of versions, which it does not serve for k6/v2.
  dir=$(GOPROXY=https://proxy.golang.org GOFLAGS=-mod=mod go mod download -json "$module@$version" 2>>"$log" |
    sed -n 's/.*"Dir": *"\([^"]*\)".*/\1/p')
  [ -n "$dir" ] || { tail -n 20 "$log" >&2; fail "could not download $module@$version from the Go module proxy"; }
  mkdir -p "$(dirname "$out")"
  (cd "$dir/$pkg" && CGO_ENABLED=0 GOPROXY=https://proxy.golang.org GOFLAGS=-buildvcs=false \
    go build -trimpath -ldflags "-s -w" -o "$out.tmp.$$" . >>"$log" 2>&1) ||
    { tail -n 20 "$log" >&2; fail "building $module@$version failed (log: $log)"; }
  mv "$out.tmp.$$" "$out"
}
mkdir -p "$LOADGATE_TOOLS/bin"
if ! toxiproxy_ok; then
  say "building the Toxiproxy server $TOXIPROXY_VERSION"
  go_build github.com/Shopify/toxiproxy/v2 "$TOXIPROXY_VERSION" cmd/server \
    "$LOADGATE_TOOLS/toxiproxy-$TOXIPROXY_VERSION/toxiproxy-server" /tmp/loadgate-toxiproxy-build.log
fi
# k6 takes minutes to compile: build it while the images and npm packages are fetched.
# Then an older, unsupported k6 (never on PATH), for the test that loadgate refuses it: after the
# pinned one, not beside it, so the two do not compete for the cores; it reuses its build cache.
k6_build_pid=
if ! k6_ok || ! k6_unsupported_ok; then
  say "building k6 $K6_VERSION and the unsupported $K6_UNSUPPORTED_VERSION in the background (minutes the first time)"
  (
    k6_ok || go_build go.k6.io/k6/v2 "$K6_VERSION" . "$LOADGATE_TOOLS/k6-$K6_VERSION/k6" /tmp/loadgate-k6-build.log
    k6_unsupported_ok || go_build go.k6.io/k6 "$K6_UNSUPPORTED_VERSION" . \
      "$LOADGATE_TOOLS/k6-$K6_UNSUPPORTED_VERSION/k6" /tmp/loadgate-k6-unsupported-build.log
  ) &
  k6_build_pid=$!
fi
# act (nektos/act), the local Actions runner the action's end-to-end test runs the bundle with.
act_build_pid=
if ! act_ok; then
  say "building act $ACT_VERSION in the background"
  go_build github.com/nektos/act "$ACT_VERSION" . "$LOADGATE_TOOLS/act-$ACT_VERSION/act" /tmp/loadgate-act-build.log &
  act_build_pid=$!
fi

# --- Images, built locally under the official names ---------------------------------------
recipe_hash() { (cd "$1" && find . -type f -print0 | sort -z | xargs -0 sha256sum) | sha256sum | cut -c1-16; }
image_label() { podman image inspect --format "{{index .Labels \"org.loadgate.recipe\"}}" "$1" 2>/dev/null || true; }

if ! podman image exists docker.io/library/debian:bookworm-slim; then
  say "building the Debian base image (debootstrap)"
  rootfs=$(mktemp -d /tmp/loadgate-rootfs.XXXXXX)
  mirror=$({ sed -n 's/^URIs: *\([^ ]*\).*/\1/p' /etc/apt/sources.list.d/*.sources
    sed -n 's/^deb \(\[[^]]*\] \)\{0,1\}\(https\{0,1\}:[^ ]*\) bookworm .*/\2/p' /etc/apt/sources.list; } 2>/dev/null | head -n1 || true)
  debootstrap --variant=minbase bookworm "$rootfs" "${mirror:-http://deb.debian.org/debian}" >/tmp/loadgate-debootstrap.log 2>&1 ||
    fail "debootstrap failed (see /tmp/loadgate-debootstrap.log)"
  # The base must reach the same mirror during image builds.
  cp /etc/apt/sources.list.d/debian.sources "$rootfs/etc/apt/sources.list.d/" 2>/dev/null || true
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
  tar -C "$rootfs" -c . | podman import -q --change 'CMD ["bash"]' - docker.io/library/debian:bookworm-slim >/dev/null
  rm -rf "$rootfs"
fi

build_image() { # tag recipe-dir [build args...]
  local tag=$1 dir=$2 hash
  shift 2
  hash=$(recipe_hash "$dir")
  if [ "$(image_label "$tag")" != "$hash" ]; then
    say "building $tag"
    podman build -q --label "org.loadgate.recipe=$hash" -t "$tag" "$@" "$dir" >/tmp/loadgate-build.log 2>&1 ||
      { tail -n 30 /tmp/loadgate-build.log >&2; fail "building $tag failed"; }
  fi
}
build_image "docker.io/library/postgres:$POSTGRES_VERSION" scripts/images/postgres \
  --build-arg "PG_MAJOR=$POSTGRES_VERSION"
tp_ctx=$(mktemp -d /tmp/loadgate-tp.XXXXXX)
cp scripts/images/toxiproxy/Dockerfile "$tp_ctx/"
cp "$LOADGATE_TOOLS/toxiproxy-$TOXIPROXY_VERSION/toxiproxy-server" "$tp_ctx/toxiproxy"
build_image "ghcr.io/shopify/toxiproxy:${TOXIPROXY_VERSION#v}" "$tp_ctx"
rm -rf "$tp_ctx"

# --- Docker Engine beside Podman, with the same images (LOADGATE_DOCKER=0 skips it) --------
if [ "${LOADGATE_DOCKER:-1}" != 0 ]; then
  # shellcheck source=scripts/docker-engine.sh
  source "$root_dir/scripts/docker-engine.sh" docker.io/library/debian:bookworm-slim \
    "docker.io/library/postgres:$POSTGRES_VERSION" "ghcr.io/shopify/toxiproxy:${TOXIPROXY_VERSION#v}"
fi

# --- npm dependencies (Node 24 comes with them, as the devDependency 'node') ---------------
stamp=node_modules/.loadgate-lock-hash
lock_hash=$(sha256sum package-lock.json | cut -c1-16)
if [ "$(cat "$stamp" 2>/dev/null)" != "$lock_hash" ]; then
  say "installing npm dependencies"
  npm ci --no-audit --no-fund --loglevel=error
  echo "$lock_hash" >"$stamp"
fi

if [ -n "$k6_build_pid" ]; then
  say "waiting for the k6 build"
  wait "$k6_build_pid" || exit 3
fi
ln -sfn "$LOADGATE_TOOLS/k6-$K6_VERSION/k6" "$LOADGATE_TOOLS/bin/k6"
if [ -n "$act_build_pid" ]; then
  say "waiting for the act build"
  wait "$act_build_pid" || exit 3
fi
ln -sfn "$LOADGATE_TOOLS/act-$ACT_VERSION/act" "$LOADGATE_TOOLS/bin/act"

say "ready: engine at $DOCKER_HOST (and Docker at $LOADGATE_DOCKER_HOST), k6 $K6_VERSION (and $K6_UNSUPPORTED_VERSION for a test), Toxiproxy $TOXIPROXY_VERSION, act $ACT_VERSION, images built"
