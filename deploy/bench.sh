#!/usr/bin/env bash
# One command for the benchmark: builds message-bridge, kafka-mock-broker and bridge-bench
# in release mode, makes sure the local brokers run (deploy/brokers.sh start only when they
# do not; running brokers are never restarted or reset), then runs bridge-bench for every
# protocol pair and message size and writes docs/bench/RESULTS.md and docs/bench/results.json.
#
# usage: deploy/bench.sh [--sizes "100 1024 65536"] [--memory] [--no-build] [-- bridge-bench options]
#   --sizes     message sizes in bytes, one bridge-bench run each (default: 100 1024 65536)
#   --memory    also the memory test: a 1,000,000-message backlog drained with max_in_flight
#               1024 (RSS sampled while it drains), then 200,000 with 10,000 in flight
#   --no-build  use the binaries already in the scratch path
#   after --    passed to every bridge-bench run, e.g. -- --pairs mqtt-kafka,amqp-amqp --count 50000
#
# Environment:
#   BRIDGE_BENCH_SCRATCH   release build folder (default .build-bench-release)
#   BRIDGE_BENCH_OUT       output folder (default docs/bench)
#   BRIDGE_BROKERS_ENV     broker addresses (default /tmp/message-bridge-brokers/brokers.env)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SCRATCH=${BRIDGE_BENCH_SCRATCH:-$ROOT/.build-bench-release}
case "$SCRATCH" in /*) ;; *) SCRATCH=$ROOT/$SCRATCH ;; esac
OUT=${BRIDGE_BENCH_OUT:-$ROOT/docs/bench}
ENV_FILE=${BRIDGE_BROKERS_ENV:-/tmp/message-bridge-brokers/brokers.env}
SIZES="100 1024 65536"
MEMORY=0
BUILD=1
EXTRA=()

while [ $# -gt 0 ]; do
    case "$1" in
    --sizes) SIZES=$2; shift 2 ;;
    --memory) MEMORY=1; shift ;;
    --no-build) BUILD=0; shift ;;
    --) shift; EXTRA=("$@"); break ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    *) echo "bench.sh: unknown argument $1" >&2; exit 2 ;;
    esac
done

log() { printf 'bench.sh: %s\n' "$*" >&2; }

cd "$ROOT"
if [ "$BUILD" = 1 ]; then
    log "building release into $SCRATCH"
    for product in message-bridge kafka-mock-broker bridge-bench; do
        swift build -c release --scratch-path "$SCRATCH" --product "$product"
    done
fi
BIN=$SCRATCH/release

if ! BRIDGE_RUN_DIR=$(dirname "$ENV_FILE") "$ROOT/deploy/brokers.sh" status >/dev/null 2>&1; then
    log "brokers not running: deploy/brokers.sh start"
    BRIDGE_RUN_DIR=$(dirname "$ENV_FILE") KAFKA_MOCK_BROKER=$BIN/kafka-mock-broker "$ROOT/deploy/brokers.sh" start
fi

mkdir -p "$OUT"
WORK=$(mktemp -d /tmp/bridge-bench-XXXXXX)
status=0
first=1
for size in $SIZES; do
    args=(--size "$size" --json "$WORK/size-$size.json" --markdown "$WORK/size-$size.md" --brokers-env "$ENV_FILE" --bin-dir "$BIN")
    if [ "$MEMORY" = 1 ] && [ "$first" = 1 ]; then args+=(--memory); fi
    first=0
    log "bridge-bench ${args[*]} ${EXTRA[*]:-}"
    "$BIN/bridge-bench" "${args[@]}" "${EXTRA[@]}" || status=$?
done

{
    echo "# Benchmark results"
    echo
    echo "Written by \`deploy/bench.sh\` ($(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git -C "$ROOT" rev-parse --short HEAD))."
    echo "Release build; brokers from \`deploy/brokers.sh\` on the same machine; Kafka is a private"
    echo "librdkafka mock cluster (in memory: no throughput reference, see the notes below)."
    for size in $SIZES; do
        [ -f "$WORK/size-$size.md" ] || continue
        echo
        echo "## $size-byte messages"
        echo
        cat "$WORK/size-$size.md"
    done
    # Hand-written notes (what limits each missed target) below the marker survive a rerun.
    if [ -f "$OUT/RESULTS.md" ] && grep -q '^<!-- notes -->' "$OUT/RESULTS.md"; then
        echo
        sed -n '/^<!-- notes -->/,$p' "$OUT/RESULTS.md"
    fi
} > "$OUT/RESULTS.md.new"
python3 - "$OUT/results.json.new" "$WORK" $SIZES <<'PY'
import json, sys, os
out, work, sizes = sys.argv[1], sys.argv[2], sys.argv[3:]
runs = []
for size in sizes:
    path = os.path.join(work, f"size-{size}.json")
    if os.path.exists(path):
        with open(path) as f:
            runs.append(json.load(f))
with open(out, "w") as f:
    json.dump({"runs": runs}, f, indent=2, sort_keys=True)
    f.write("\n")
PY
mv "$OUT/RESULTS.md.new" "$OUT/RESULTS.md"
mv "$OUT/results.json.new" "$OUT/results.json"
rm -rf "$WORK"
log "wrote $OUT/RESULTS.md and $OUT/results.json (exit $status)"
exit $status
