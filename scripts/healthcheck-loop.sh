#!/usr/bin/env bash
# Runs the HEALTHCHECK of containers still "starting", as Docker would: Podman leaves that to
# systemd timers, which this machine does not have. Started once by the bootstrap.
while true; do
  for id in $(podman ps --filter health=starting --format '{{.ID}}' 2>/dev/null); do
    podman healthcheck run "$id" >/dev/null 2>&1 || true
  done
  sleep 2
done
