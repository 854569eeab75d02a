#!/usr/bin/env bash
# bench/run.sh [--quick] [--runs N] [--out DIR] [--only SECTION,...]
# Measures jvmvisor side by side with runc and runsc (gVisor); writes
# report.md + PNG charts to bench/results/<timestamp>/ and bench/results/latest/
# (quick runs: to a temp folder unless --out is given). Needs root.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
home="$(dirname "$here")"

java_major() {
    "$1" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p'
}

java=""
if [[ -n "${JAVA_HOME:-}" && -x "$JAVA_HOME/bin/java" ]] && (( $(java_major "$JAVA_HOME/bin/java") >= 25 )); then
    java="$JAVA_HOME/bin/java"
elif [[ -x /usr/lib/jvm/temurin-25-jdk-amd64/bin/java ]]; then
    java=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java
else
    echo "bench/run.sh: no JDK 25: set JAVA_HOME to one (or install temurin-25-jdk)" >&2
    exit 1
fi

# The harness's jar and its dependencies (target/lib, copied at package time).
classpath="${JVMVISOR_BENCH_CLASSPATH:-}"
if [[ -z "$classpath" ]]; then
    jar="$(ls "$here"/target/jvmvisor-bench-*.jar 2>/dev/null | grep -v -e sources -e tests | head -n1 || true)"
    if [[ -z "$jar" || ! -d "$here/target/lib" ]]; then
        echo "bench/run.sh: the harness is not built: run  mvn -o -q -pl bench -am package -DskipTests  in $home" >&2
        exit 1
    fi
    classpath="$jar:$here/target/lib/*"
fi

if [[ $(id -u) -ne 0 ]]; then
    echo "bench/run.sh: needs root (runc, runsc, a private dockerd and jvmvisor's shim run as root)" >&2
    exit 1
fi

exec "$java" --enable-native-access=ALL-UNNAMED -Djvmvisor.home="$home" -cp "$classpath" io.jvmvisor.bench.Bench "$@"
