# Sourced by the project's scripts: where the engine and the pinned tools are.
# Values already set by the caller win (on GitHub, Docker's own socket is the default).
export DOCKER_HOST=${DOCKER_HOST:-unix:///run/podman/podman.sock}
# The Ryuk reaper image cannot be pulled here: loadgate removes what it starts itself.
export TESTCONTAINERS_RYUK_DISABLED=${TESTCONTAINERS_RYUK_DISABLED:-true}
# Mapped ports are reached on loopback, never on the bridge's addresses.
export TESTCONTAINERS_HOST_OVERRIDE=${TESTCONTAINERS_HOST_OVERRIDE:-127.0.0.1}
# Docker Engine beside Podman (scripts/docker-engine.sh): the tests that run on both use it.
export LOADGATE_DOCKER_HOST=${LOADGATE_DOCKER_HOST:-unix:///run/docker-test/docker.sock}
export LOADGATE_TOOLS=${LOADGATE_TOOLS:-/opt/loadgate/tools}
case ":$PATH:" in *":$LOADGATE_TOOLS/bin:"*) ;; *) export PATH="$LOADGATE_TOOLS/bin:$PATH" ;; esac
