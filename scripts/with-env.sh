#!/usr/bin/env bash
# Runs a command with the engine and tool locations of scripts/env.sh.
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
exec "$@"
