#!/usr/bin/env bash
# Packs everything a GPU run needs into backend-cuda/target/gpu-bundle/ (git-ignored, under target/): a jlink Java
# runtime (the GPU machines have no Java), Quiver's and bytedeco's jars, the test jars of the CUDA and conformance
# suites and the JUnit console launcher. Run it on the CPU machine; then run-on-gpu.sh on the GPU machine, e.g. with
# the device tool: run(command="bash backend-cuda/gpu/run-on-gpu.sh check", carry=["backend-cuda/target/gpu-bundle"]).
#
#   backend-cuda/gpu/bundle.sh            build (./mvnw package, tests compiled but not run) and pack
#
# Environment: JAVA_HOME (a JDK 25 with jmods; default /usr/lib/jvm/temurin-25-jdk-amd64).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BUNDLE="$ROOT/backend-cuda/target/gpu-bundle"
JUNIT_CONSOLE="org.junit.platform:junit-platform-console-standalone:1.14.1"
export JAVA_HOME="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
# what Quiver needs at run time: the Vector API, sun.misc.Unsafe (JavaCPP), JMX and logging (JavaCPP, JUnit), XML
# (JUnit's reports), the jar file system (JUnit scans test jars); no java.desktop: the GPU run writes no plots
MODULES="java.base,jdk.incubator.vector,jdk.unsupported,java.management,java.logging,java.xml,jdk.zipfs"

cd "$ROOT"
./mvnw -B -q package -DskipTests -pl examples,backend-cuda -am
rm -rf "$BUNDLE"
mkdir -p "$BUNDLE/lib" "$BUNDLE/test"
cp examples/target/lib/*.jar examples/target/quiver-examples-*.jar "$BUNDLE/lib/"
cp core/target/quiver-core-*-tests.jar "$BUNDLE/test/"
"$JAVA_HOME/bin/jar" --create --file "$BUNDLE/test/quiver-backend-cuda-tests.jar" -C backend-cuda/target/test-classes .
"$JAVA_HOME/bin/jar" --create --file "$BUNDLE/test/quiver-examples-tests.jar" -C examples/target/test-classes .
./mvnw -B -q dependency:copy -Dartifact="$JUNIT_CONSOLE" -DoutputDirectory="$BUNDLE/test" -Dmdep.stripVersion=true
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
"$JAVA_HOME/bin/jlink" --add-modules "$MODULES" --strip-debug --no-man-pages --no-header-files \
    --output "$WORK/runtime"
tar -czf "$BUNDLE/runtime.tar.gz" -C "$WORK" runtime
git rev-parse HEAD > "$BUNDLE/commit.txt" 2>/dev/null || true
du -ah "$BUNDLE" | sort -h | tail -n 12
echo "bundle: $(du -sm "$BUNDLE" | cut -f1) MiB in $BUNDLE (the device tool carries at most 64 MiB)"
