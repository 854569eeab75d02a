#!/usr/bin/env bash
# jvmvisor set-up, as root on Debian 12. Idempotent: finished steps are skipped.
#   ./setup.sh demo   install what is missing, build, run the hello bundle in a micro-VM
#   ./setup.sh test   install what is missing, build, run the whole test suite
#   ./setup.sh build  install what is missing and build only
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")"
root=$PWD
mode=${1:-demo}
say() { printf '\033[1m==> %s\033[0m\n' "$*"; }
die() { echo "setup: $*" >&2; exit 1; }

case "$mode" in demo|test|build) ;; *) die "usage: ./setup.sh demo|test|build" ;; esac
[ "$(id -u)" = 0 ] || die "run as root (it installs packages, boots VMs and starts docker): sudo ./setup.sh $mode"

# 1. Debian packages. Every tool and library the build, the tests and the benchmark run is named here
#    (checked against a fresh machine's package list: docs/prerequisites.md). Installed without
#    recommends, so runtime pieces that other packages only recommend are named explicitly
#    (libclang-rt-14-dev: clang's libFuzzer/ASan runtimes, for the agent's fuzz target).
pkgs=(linux-source-6.1 busybox-static libnghttp2-dev libprotobuf-c-dev protobuf-c-compiler
      cpio build-essential bc flex bison libelf-dev libssl-dev xz-utils maven clang libclang-rt-14-dev
      docker.io containerd runc runsc gnuplot-nox util-linux bsdutils procps iproute2 iptables kmod
      tmux curl iperf3 containernetworking-plugins psmisc file)
# QEMU comes from bookworm-backports (10.0): Debian 12's 7.2 refuses FIFOs, unix sockets and device
# nodes on 9p shares (its CVE-2023-2861 fix); see docs/shares.md for the figures behind the choice.
qemu_min=10
backports=/etc/apt/sources.list.d/jvmvisor-bookworm-backports.sources
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
qemu_ver=$(dpkg-query -W -f='${Status} ${Version}' qemu-system-x86 2>/dev/null | awk '/install ok installed/{print $4}' | sed 's/^[0-9]*://' || true)
need_qemu=; [ "${qemu_ver%%.*}" -ge "$qemu_min" ] 2>/dev/null || need_qemu=1
if [ ${#missing[@]} -gt 0 ] || [ -n "$need_qemu" ]; then
  say "installing Debian packages: ${missing[*]} ${need_qemu:+qemu-system-x86 (>= $qemu_min, bookworm-backports)}"
  if [ -n "$need_qemu" ] && [ ! -f "$backports" ]; then
    printf 'Types: deb\nURIs: http://deb.debian.org/debian\nSuites: bookworm-backports\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' >"$backports"
  fi
  apt-get update -q >/tmp/jvmvisor-apt.log 2>&1 || { tail -20 /tmp/jvmvisor-apt.log >&2; die "apt-get update failed (log: /tmp/jvmvisor-apt.log)"; }
  if [ ${#missing[@]} -gt 0 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >>/tmp/jvmvisor-apt.log 2>&1 \
      || { tail -20 /tmp/jvmvisor-apt.log >&2; die "apt-get install failed (log: /tmp/jvmvisor-apt.log)"; }
  fi
  if [ -n "$need_qemu" ]; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends -t bookworm-backports qemu-system-x86 >>/tmp/jvmvisor-apt.log 2>&1 \
      || { tail -20 /tmp/jvmvisor-apt.log >&2; die "installing qemu-system-x86 from bookworm-backports failed (log: /tmp/jvmvisor-apt.log)"; }
  fi
else
  say "Debian packages: all present"
fi
# Debian starts the daemons on install; the tests start private instances of their own.

# 2. JDK >= 25
jdk=""
for cand in "${JAVA_HOME:-}" /usr/lib/jvm/temurin-25-jdk-amd64; do
  [ -n "$cand" ] && [ -x "$cand/bin/java" ] || continue
  v=$("$cand/bin/java" -XshowSettings:properties -version 2>&1 | awk -F'= ' '/java.specification.version/{print $2}')
  [ "${v%%.*}" -ge 25 ] 2>/dev/null && { jdk=$cand; break; }
done
[ -n "$jdk" ] || die "a JDK >= 25 is needed: install Eclipse Temurin 25 (/usr/lib/jvm/temurin-25-jdk-amd64) or set JAVA_HOME"
export JAVA_HOME=$jdk PATH=$jdk/bin:$PATH MAVEN_OPTS="${MAVEN_OPTS:-} --sun-misc-unsafe-memory-access=allow"
say "JDK: $jdk"

# 3. Build: kernel (cached per user), agent, initramfs, jars, AOT cache
stamp=$root/build/.built
mkdir -p "$root/build"
changed=$( [ -f "$stamp" ] && find . \( -path ./build -o -path ./.git -o -name target \) -prune -o -type f -newer "$stamp" -print -quit || echo all)
if [ -n "$changed" ]; then
  say "building (kernel cached after the first build; log: build/maven.log)"
  if ! mvn -B -q install -DskipTests >"$root/build/maven.log" 2>&1; then
    tail -40 "$root/build/maven.log" >&2; die "build failed (log: build/maven.log)"
  fi
  grep -E '^kernel:|^initramfs:' "$root/build/maven.log" || true
  touch "$stamp"
else
  say "build: up to date"
fi

case "$mode" in
  build) say "built: bin/jvmvisor" ;;
  demo)
    demo=$root/build/demo
    cp="$(ls test-bundles/target/jvmvisor-test-bundles-*.jar | grep -v tests | head -1):$(ls runtime/target/lib/jackson-*.jar | tr '\n' ':')"
    [ -d "$demo/hello" ] || java -cp "$cp" io.jvmvisor.testbundles.TestBundles "$demo" hello >/dev/null
    say "running the hello bundle in a micro-VM: bin/jvmvisor --root $root/build/run run -b $demo/hello demo-$$"
    exec "$root/bin/jvmvisor" --root "$root/build/run" run -b "$demo/hello" "demo-$$"
    ;;
  test)
    say "running the test suite (unit, host-mode agent, QEMU/TCG guests, docker, containerd; log: build/test.log)"
    set +e
    mvn -B install -Djvmvisor.ci="${CI:-false}" 2>&1 | tee "$root/build/test.log" | grep -E --line-buffered '^\[INFO\] Tests run:|^\[(ERROR|WARNING)\]|Tests run:.*Fail|BUILD|Reactor Summary|SUCCESS|FAILURE|SKIPPED|^Skipp'
    rc=${PIPESTATUS[0]}
    set -e
    [ "$rc" = 0 ] || die "tests failed (log: build/test.log)"
    ;;
esac
