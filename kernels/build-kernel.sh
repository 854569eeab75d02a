#!/usr/bin/env bash
# Builds the jvmvisor guest kernel (uncompressed vmlinux, everything built in)
# from Debian's linux-source-6.1 package plus kernels/jvmvisor.config.
# Cached per user under ${XDG_CACHE_HOME:-~/.cache}/jvmvisor/kernel/<key>, where
# key = hash(fragment, build recipe version, source package version): a second run is instant.
# Usage: kernels/build-kernel.sh [OUTPUT_DIR]   (default: kernels/target)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here/target}
src_tar=/usr/src/linux-source-6.1.tar.xz
[ -f "$src_tar" ] || { echo "build-kernel: $src_tar missing; install it: apt-get install linux-source-6.1" >&2; exit 1; }
pkgver=$(dpkg-query -W -f='${Version}' linux-source-6.1 2>/dev/null || stat -c %Y "$src_tar")
# Bump when the way the kernel is built changes (not for messages).
recipe=1
key=$( { cat "$here/jvmvisor.config"; echo "recipe=$recipe $pkgver"; } | sha256sum | cut -c1-16)
cache=${XDG_CACHE_HOME:-$HOME/.cache}/jvmvisor/kernel/$key
mkdir -p "$out"
if [ -f "$cache/vmlinux" ]; then
  cp -f "$cache/vmlinux" "$out/vmlinux"
  echo "kernel: cached $cache/vmlinux ($(stat -c %s "$cache/vmlinux") bytes)"
  exit 0
fi
work=${XDG_CACHE_HOME:-$HOME/.cache}/jvmvisor/kernel/build-$key
log=$work.log
rm -rf "$work"; mkdir -p "$work"
trap 'rc=$?; [ $rc = 0 ] || { tail -20 "$log" >&2; echo "kernel: build failed (log: $log)" >&2; }' EXIT
start=$(date +%s)
echo "kernel: extracting $src_tar (log: $log)"
tar -xJf "$src_tar" -C "$work" --strip-components=1 --exclude='*/Documentation/[!K]*' >"$log" 2>&1
cd "$work"
echo "kernel: configuring (tinyconfig + jvmvisor.config)"
make tinyconfig >>"$log" 2>&1
KCONFIG_CONFIG=.config scripts/kconfig/merge_config.sh -m .config "$here/jvmvisor.config" >>"$log" 2>&1
make olddefconfig >>"$log" 2>&1
# Every option the fragment sets to y must have survived olddefconfig.
missing=0
while IFS= read -r line; do
  case "$line" in CONFIG_*=y) grep -qx "$line" .config || { echo "kernel: option lost: $line" >&2; missing=1; } ;; esac
done < "$here/jvmvisor.config"
[ $missing = 0 ] || { echo "kernel: configuration incomplete (see above; log: $log)" >&2; exit 1; }
jobs=$(nproc)
echo "kernel: building vmlinux with $jobs jobs"
( make -j"$jobs" vmlinux >>"$log" 2>&1; echo $? > "$work/.rc" ) &
bpid=$!
if [ -t 1 ]; then
  while kill -0 $bpid 2>/dev/null; do
    n=$(grep -c '^  CC' "$log" || true)
    printf '\rkernel: %d objects compiled, %ds elapsed ' "$n" $(( $(date +%s) - start ))
    sleep 2
  done
  printf '\n'
else
  last=0
  while kill -0 $bpid 2>/dev/null; do
    sleep 5; now=$(date +%s)
    if [ $((now - last)) -ge 60 ]; then last=$now; echo "kernel: $(grep -c '^  CC' "$log" || true) objects compiled, $((now - start))s elapsed"; fi
  done
fi
wait $bpid || true
rc=$(cat "$work/.rc")
[ "$rc" = 0 ] || { tail -30 "$log" >&2; echo "kernel: build failed (log: $log)" >&2; exit 1; }
mkdir -p "$cache"
cp vmlinux "$cache/vmlinux.tmp" && mv "$cache/vmlinux.tmp" "$cache/vmlinux"
cp .config "$cache/config"
echo "$(( $(date +%s) - start ))" > "$cache/build-seconds"
cd /; rm -rf "$work"
cp -f "$cache/vmlinux" "$out/vmlinux"
echo "kernel: built in $(cat "$cache/build-seconds")s, $(stat -c %s "$cache/vmlinux") bytes -> $out/vmlinux"
