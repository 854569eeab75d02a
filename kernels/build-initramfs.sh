#!/usr/bin/env bash
# Packs the static guest agent as /init, and nothing else, into an
# uncompressed cpio (newc) initramfs. Usage: build-initramfs.sh AGENT OUTPUT
set -euo pipefail
agent=$(realpath -m "${1:?usage: build-initramfs.sh AGENT OUTPUT}")
out=$(realpath -m "${2:?usage: build-initramfs.sh AGENT OUTPUT}")
[ -x "$agent" ] || { echo "initramfs: agent binary $agent missing: build guest-agent first" >&2; exit 1; }
if [ -f "$out" ] && [ "$out" -nt "$agent" ] && [ "$out" -nt "$0" ]; then
  echo "initramfs: up to date ($out)"; exit 0
fi
stage=$(mktemp -d); trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/dev"
install -m 0755 "$agent" "$stage/init"
entries="./init ./dev"
# The kernel gives /init its stdio from /dev/console. Without root no node can
# be made; the agent then opens the console itself after mounting devtmpfs.
if mknod -m 600 "$stage/dev/console" c 5 1 2>/dev/null; then entries="$entries ./dev/console"; fi
( cd "$stage" && printf '%s\n' $entries | cpio --quiet -o -H newc -R 0:0 > "$out.tmp" )
mv "$out.tmp" "$out"
echo "initramfs: $(stat -c %s "$out") bytes -> $out"
