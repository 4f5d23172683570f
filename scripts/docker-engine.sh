#!/usr/bin/env bash
# Docker Engine beside Podman, for the tests that run on both (GitHub's runners run Docker
# Engine). Debian's docker.io, its own socket, data root and exec root, so it shares nothing with
# Podman but the kernel; its default bridge (172.17.0.0/16) and Podman's (10.88.0.0/16, 10.89.x)
# do not overlap. It keeps iptables on: without it image builds have no network (seen). The
# images Podman built are moved over when Docker's differ (same image id after `podman save`).
# Sourced by bootstrap.sh (uses its say, fail, daemon and installed).
LOADGATE_DOCKER_SOCKET=${LOADGATE_DOCKER_HOST#unix://}
docker_up() { curl -sf --max-time 3 --unix-socket "$LOADGATE_DOCKER_SOCKET" http://d/_ping >/dev/null 2>&1; }

if ! installed docker.io; then
  say "installing docker.io from Debian (Docker Engine, for the tests on both engines)"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends docker.io >/dev/null ||
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends docker.io >/dev/null; }
fi
if ! docker_up; then
  say "starting dockerd on $LOADGATE_DOCKER_SOCKET"
  mkdir -p "$(dirname "$LOADGATE_DOCKER_SOCKET")" /run/docker-test/exec
  daemon /var/log/loadgate-dockerd.log /usr/sbin/dockerd --host "unix://$LOADGATE_DOCKER_SOCKET" \
    --data-root /var/lib/docker-test --exec-root /run/docker-test/exec --pidfile /run/docker-test/docker.pid
  for _ in $(seq 1 150); do docker_up && break; sleep 0.2; done
  docker_up || fail "dockerd did not answer on $LOADGATE_DOCKER_SOCKET (see /var/log/loadgate-dockerd.log)"
fi
for image in "$@"; do
  podman_id=$(podman image inspect --format '{{.Id}}' "$image")
  docker_id=$(/usr/bin/docker -H "$LOADGATE_DOCKER_HOST" image inspect --format '{{.Id}}' "$image" 2>/dev/null || true)
  if [ "sha256:$podman_id" != "$docker_id" ]; then
    say "moving $image from Podman to Docker"
    # one image per archive: podman save of several into one docker-archive tags them all as the first (seen)
    podman save "$image" | /usr/bin/docker -H "$LOADGATE_DOCKER_HOST" load -q >/dev/null ||
      fail "could not move $image into Docker"
  fi
done
