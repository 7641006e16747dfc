#!/usr/bin/env bash
# The project's test command: starts the local brokers (deploy/brokers.sh), runs `swift test`
# against them, stops them again, and exits with swift test's status.
#
#   deploy/test.sh [swift test arguments...]      e.g. deploy/test.sh --filter IntegrationTests
#
# Environment:
#   BRIDGE_BROKERS_RUNNING=1   use brokers that already run (deploy/brokers.sh start); leave them running
#   BRIDGE_RUN_DIR             the brokers' run directory (default /tmp/message-bridge-brokers)
#   BRIDGE_SCRATCH_PATH        swift build folder (passed as --scratch-path)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
export BRIDGE_RUN_DIR=${BRIDGE_RUN_DIR:-/tmp/message-bridge-brokers}

if [ "${BRIDGE_BROKERS_RUNNING:-}" != 1 ]; then
    trap 'deploy/brokers.sh stop || true' EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    # A fresh start: no queues, sessions or topics left over from an earlier run.
    deploy/brokers.sh reset
    deploy/brokers.sh start
fi

export BRIDGE_BROKERS_ENV=$BRIDGE_RUN_DIR/brokers.env
export BRIDGE_REQUIRE_BROKERS=1
scratch=()
if [ -n "${BRIDGE_SCRATCH_PATH:-}" ]; then scratch=(--scratch-path "$BRIDGE_SCRATCH_PATH"); fi

status=0
# --no-parallel: the integration suites share one mosquitto, RabbitMQ and Kafka mock (one of
# them restarts RabbitMQ, another fills its memory alarm), and a 2-core machine starved by
# parallel suites misses the timing of keepalive and rebalance tests. Serial is slower, and
# the only honest way for them to share brokers.
swift test --no-parallel "${scratch[@]}" "$@" || status=$?
exit "$status"
