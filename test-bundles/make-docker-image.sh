#!/usr/bin/env bash
# Makes the docker image jvmvisor-test/busybox:latest with `docker import` from
# the same busybox-static rootfs as the test bundles (no registry needed).
# Usage: make-docker-image.sh [DOCKER_HOST_SOCKET]   (default: docker's default)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
sock=${1:-}
docker_cmd=(docker); [ -n "$sock" ] && docker_cmd=(docker -H "unix://$sock")
jar=$(ls "$here"/target/jvmvisor-test-bundles-*.jar 2>/dev/null | grep -v -e sources -e tests | head -1)
[ -n "$jar" ] || { echo "make-docker-image: build test-bundles first (mvn install)" >&2; exit 1; }
cp=$jar:$(ls "$HOME"/.m2/repository/com/fasterxml/jackson/core/jackson-*/*/jackson-*.jar | tr '\n' ':')
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
"${JAVA:-java}" -cp "$cp" io.jvmvisor.testbundles.TestBundles "$tmp" hello >/dev/null
tar -C "$tmp/hello/rootfs" -c . | "${docker_cmd[@]}" import -c 'CMD ["sh"]' - jvmvisor-test/busybox:latest >/dev/null
echo "docker image: jvmvisor-test/busybox:latest"
