#!/usr/bin/env bash
# The prepared GPU run of the CUDA backend (issue 10), for a machine with an NVIDIA GPU, CUDA 13 libraries (system or
# PyTorch's pip wheels), python3 + torch, and no Java: it uses the bundle that bundle.sh packed. Run from the
# repository root; everything it writes goes under $OUT (or the folder given as second argument).
#
#   bash backend-cuda/gpu/run-on-gpu.sh check   nvidia-smi, library search, diagnose, conformance suite on cuda,
#                                               the tutorials with --backend cuda, compare cpu vs cuda  (≈ 6-8 min)
#   bash backend-cuda/gpu/run-on-gpu.sh bench   nvidia-smi, library search, GPU benchmarks + PyTorch peer (≈ 3 min)
#   bash backend-cuda/gpu/run-on-gpu.sh all     both (may exceed one 10-minute device call; prefer two calls)
#
# Each step has its own time limit, writes OUT/<step>.txt and one line to OUT/summary.txt; a failing step does not
# stop the others. Benchmark results land in OUT/bench-results/<date>-<gpu>/, ready for bench/results/.
set -uo pipefail

STAGE="${1:-check}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BUNDLE="$ROOT/backend-cuda/target/gpu-bundle"
OUT="${2:-${OUT:-/tmp/quiver-gpu-out}}"
mkdir -p "$OUT"
SUMMARY="$OUT/summary.txt"
echo "run-on-gpu.sh $STAGE at $(date -u +%FT%TZ), commit $(cat "$BUNDLE/commit.txt" 2>/dev/null || echo '?')" | tee -a "$SUMMARY"
if [[ ! -f "$BUNDLE/runtime.tar.gz" ]]; then
    echo "no bundle at $BUNDLE: run backend-cuda/gpu/bundle.sh on the CPU machine and carry that folder" | tee -a "$SUMMARY"
    exit 2
fi

WORK="$(mktemp -d)"
tar -xzf "$BUNDLE/runtime.tar.gz" -C "$WORK"
JAVA="$WORK/runtime/bin/java"
nvidia-smi > "$OUT/nvidia-smi.txt" 2>&1
GPU="$(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | head -n 1 | tr ' ' '-' )"
DRIVER="$(nvidia-smi --query-gpu=driver_version --format=csv,noheader 2>/dev/null | head -n 1)"
echo "gpu: ${GPU:-none}, driver ${DRIVER:-?}" | tee -a "$SUMMARY"

# The CUDA 13 libraries: system folders first, then the nvidia/* folders of the PyTorch pip install.
SEARCH=(/usr/local/cuda/lib64 /usr/local/cuda/targets/x86_64-linux/lib /usr/local/cuda-13*/lib64
        /usr/local/cuda-13*/targets/x86_64-linux/lib /usr/lib/x86_64-linux-gnu /usr/lib64)
NVIDIA_PIP="$(python3 -c 'import nvidia, os; print(os.pathsep.join(nvidia.__path__))' 2>/dev/null || true)"
IFS=':' read -r -a PIP_DIRS <<< "$NVIDIA_PIP"
LIBRARY_DIRS=()
for library in libcudart.so.13 libnvrtc.so.13 libnvrtc-builtins.so.13 libcublas.so.13 libcublasLt.so.13; do
    found=""
    for dir in "${SEARCH[@]}" "${PIP_DIRS[@]}"; do
        [[ -d "$dir" ]] || continue
        found="$(find -L "$dir" -maxdepth 4 -name "$library*" -type f 2>/dev/null | sort | head -n 1)"
        [[ -n "$found" ]] && break
    done
    echo "library $library: ${found:-NOT FOUND}" | tee -a "$SUMMARY"
    if [[ -n "$found" ]]; then
        folder="$(dirname "$found")"
        [[ " ${LIBRARY_DIRS[*]} " == *" $folder "* ]] || LIBRARY_DIRS+=("$folder")
    fi
done
LIBRARY_PATH_LIST="$(IFS=':'; echo "${LIBRARY_DIRS[*]}")"
export LD_LIBRARY_PATH="$LIBRARY_PATH_LIST${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
CLASSPATH_JARS="$(ls "$BUNDLE"/lib/*.jar | tr '\n' ':')"
TEST_JARS="$(ls "$BUNDLE"/test/quiver-*.jar | tr '\n' ':')"
JAVA_OPTS=(--add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -Xmx24g
           -Dquiver.cuda.libraryPath="$LIBRARY_PATH_LIST" -Dquiver.cuda.cacheDir="$WORK/cubin-cache"
           -Dorg.bytedeco.javacpp.cachedir="$WORK/javacpp-cache")

step() {   # step NAME SECONDS COMMAND...: runs with a limit, output to OUT/NAME.txt, one summary line
    local name="$1" limit="$2"
    shift 2
    local start=$SECONDS
    timeout "$limit" "$@" > "$OUT/$name.txt" 2>&1
    local rc=$?
    echo "step $name: rc=$rc in $((SECONDS - start)) s (limit $limit s)$([[ $rc == 124 ]] && echo ', TIMED OUT')" \
        | tee -a "$SUMMARY"
    tail -n 3 "$OUT/$name.txt" | sed 's/^/    /' | tee -a "$SUMMARY"
}

MAIN=(env "$JAVA" "${JAVA_OPTS[@]}" -cp "$CLASSPATH_JARS" dev.quiver.examples.Main)
step diagnose 90 "${MAIN[@]}" diagnose

if [[ "$STAGE" == check || "$STAGE" == all ]]; then
    # -Dquiver.gpu.required + CI=true: a cuda suite that cannot run fails instead of skipping
    step conformance 270 env CI=true "$JAVA" "${JAVA_OPTS[@]}" -Dquiver.gpu.required=true \
        -jar "$BUNDLE/test/junit-platform-console-standalone.jar" execute \
        --class-path "$CLASSPATH_JARS$TEST_JARS" --select-package dev.quiver.backend.cuda \
        --select-class dev.quiver.examples.CudaAgreementTest --exclude-classname ".*CubinCompileTest" \
        --reports-dir "$OUT/junit" --details=tree
    step tutorials 90 "${MAIN[@]}" all --backend cuda --no-plots
    step compare 150 "${MAIN[@]}" compare --backend cpu,cuda
fi

if [[ "$STAGE" == bench || "$STAGE" == all ]]; then
    RESULTS="$OUT/bench-results/$(date -u +%F)-${GPU:-gpu}"
    mkdir -p "$RESULTS"
    cp "$OUT/nvidia-smi.txt" "$RESULTS/"
    echo "command: bash backend-cuda/gpu/run-on-gpu.sh $STAGE; driver $DRIVER; $(date -u +%FT%TZ)" > "$RESULTS/README.txt"
    step bench 300 env "$JAVA" "${JAVA_OPTS[@]}" -cp "$CLASSPATH_JARS$TEST_JARS" dev.quiver.backend.cuda.GpuBenchmark "$RESULTS"
    step torch 120 python3 "$ROOT/backend-cuda/gpu/torch_step.py" "$RESULTS"
fi
rm -rf "$WORK"
echo "done: results in $OUT" | tee -a "$SUMMARY"
