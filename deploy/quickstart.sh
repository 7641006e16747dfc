#!/usr/bin/env bash
# message-bridge in one command: installs what is missing, starts the local brokers (unless
# they already run), builds the bridge, runs it on routes/example.yaml, sends a factory event
# through every route and shows where each one arrived.
#
# usage: deploy/quickstart.sh [--non-interactive]
#
#   (default)           keeps the bridge running after the demo until Ctrl-C, then stops
#                       what this script started (the bridge; the brokers if it started them)
#   --non-interactive   checks that every sample arrived, stops what it started, and exits 0,
#                       or 1 naming every route whose sample did not arrive
#
# Environment:
#   BRIDGE_RUN_DIR        the brokers' run directory (default /tmp/message-bridge-brokers)
#   BRIDGE_SCRATCH_PATH   swift build folder (default .build); an existing build is reused
#   BRIDGE_BINARY         a built message-bridge to use as is (skips the build)
#   BRIDGE_HTTP           where the bridge serves /metrics, /healthz, /readyz (default 127.0.0.1:9464)
#   BRIDGE_QUICKSTART_WAIT seconds to wait for each sample (default 30)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
RUN_DIR=${BRIDGE_RUN_DIR:-/tmp/message-bridge-brokers}
SCRATCH=${BRIDGE_SCRATCH_PATH:-$ROOT/.build}
case "$SCRATCH" in /*) ;; *) SCRATCH=$ROOT/$SCRATCH ;; esac
export BRIDGE_RUN_DIR=$RUN_DIR BRIDGE_SCRATCH_PATH=$SCRATCH
HTTP=${BRIDGE_HTTP:-127.0.0.1:9464}
WAIT=${BRIDGE_QUICKSTART_WAIT:-30}
INTERACTIVE=1
case "${1:-}" in
    --non-interactive) INTERACTIVE=0 ;;
    "") ;;
    -h | --help) sed -n '2,19p' "$0"; exit 0 ;;
    *) echo "usage: $0 [--non-interactive]" >&2; exit 2 ;;
esac

TAG=qs$(date +%s)$$
WORK=$(mktemp -d "${TMPDIR:-/tmp}/message-bridge-quickstart.XXXXXX")
STARTED_BROKERS=0
BRIDGE_PID=
HELPERS=()

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
[ -t 2 ] || say() { printf '==> %s\n' "$*" >&2; }
die() { printf 'quickstart: error: %s\n' "$*" >&2; exit 1; }

# Stops what this script started, and only that.
cleanup() {
    local status=$?
    trap - EXIT INT TERM
    # SIGKILL: the receivers hold nothing, and a parent may have left SIGTERM blocked.
    for pid in "${HELPERS[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
    if [ -n "$BRIDGE_PID" ] && kill -0 "$BRIDGE_PID" 2>/dev/null; then
        say "stopping the bridge (SIGTERM: it drains, then exits)"
        kill -TERM "$BRIDGE_PID" 2>/dev/null || true
        for _ in $(seq 1 300); do kill -0 "$BRIDGE_PID" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$BRIDGE_PID" 2>/dev/null || true
    fi
    if [ "$STARTED_BROKERS" = 1 ]; then
        say "stopping the brokers this script started"
        "$ROOT/deploy/brokers.sh" stop || true
    fi
    rm -rf "$WORK"
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# 1. Packages (Debian): brokers, client tools, librdkafka.
need=0
for tool in mosquitto mosquitto_pub mosquitto_sub amqp-publish amqp-consume kcat pkg-config socat; do
    command -v "$tool" >/dev/null || need=1
done
[ -x /usr/lib/rabbitmq/bin/rabbitmq-plugins ] || command -v rabbitmq-plugins >/dev/null || need=1
if [ "$need" = 1 ]; then
    say "installing the brokers and tools (deploy/brokers.sh install)"
    "$ROOT/deploy/brokers.sh" install
fi
for tool in curl; do command -v "$tool" >/dev/null || die "$tool is missing (apt-get install $tool)"; done

# 2. Brokers: reuse running ones; start them otherwise (and stop them again at the end).
if "$ROOT/deploy/brokers.sh" status >/dev/null 2>&1 && [ -f "$RUN_DIR/brokers.env" ]; then
    say "the local brokers already run: using them (and leaving them running)"
else
    if "$ROOT/deploy/brokers.sh" status 2>/dev/null | grep -q running; then
        say "some local brokers run: starting the rest (they keep running after this script)"
    else
        say "starting the local brokers (deploy/brokers.sh start)"
        STARTED_BROKERS=1
    fi
    "$ROOT/deploy/brokers.sh" start
fi
set -a
# shellcheck disable=SC1091
. "$RUN_DIR/brokers.env"
set +a

# 3. The bridge.
if [ -n "${BRIDGE_BINARY:-}" ]; then
    BIN=$BRIDGE_BINARY
    [ -x "$BIN" ] || die "BRIDGE_BINARY=$BIN is not an executable"
else
    command -v swift >/dev/null || die "swift is missing: install Swift 6 from https://www.swift.org/install/linux/ and run this again"
    say "building message-bridge (swift build --scratch-path $SCRATCH; reuses what is built)"
    (cd "$ROOT" && swift build --scratch-path "$SCRATCH" --product message-bridge)
    BIN=$SCRATCH/debug/message-bridge
fi
say "checking routes/example.yaml"
BRIDGE_HTTP=$HTTP "$BIN" check --config "$ROOT/routes/example.yaml" >/dev/null

# Receivers first: AMQP queues must be bound before the bridge publishes (it publishes
# mandatory: an unroutable message is a failure), MQTT subscriptions must be in place.
collect() { # collect NAME COMMAND...: runs COMMAND in the background, output to $WORK/NAME
    "${@:2}" >"$WORK/$1" 2>/dev/null &
    HELPERS+=($!)
}
collect orders-started amqp-consume -u "$AMQP_URL" -e amq.topic -r 'plant.*.order.started' -x cat
collect erp-orders-to-mes amqp-consume -u "$AMQP_URL" -e amq.topic -r erp.orders -x cat
collect quality-alerts amqp-consume -u "$AMQP_URL" -e amq.fanout -r any -x cat
collect telemetry-to-site2 mosquitto_sub -L "$MQTT2_URL/site1/plant/line1/telemetry/$TAG" -q 1 -v
collect erp-releases-to-plant mosquitto_sub -L "$MQTT_URL/erp/releases/eu1-$TAG" -q 1 -v
collect instructions-to-lines mosquitto_sub -L "$MQTT_URL/plant/line3-$TAG/instructions" -q 1 -v

say "running: message-bridge run --config routes/example.yaml (log: $WORK/bridge.log)"
BRIDGE_HTTP=$HTTP "$BIN" run --config "$ROOT/routes/example.yaml" --log-format json >"$WORK/bridge.log" 2>&1 &
BRIDGE_PID=$!
ready=0
for _ in $(seq 1 300); do
    kill -0 "$BRIDGE_PID" 2>/dev/null || { tail -20 "$WORK/bridge.log" >&2; die "the bridge exited"; }
    if curl -sf "http://$HTTP/readyz" >/dev/null; then ready=1; break; fi
    sleep 0.2
done
[ "$ready" = 1 ] || { tail -20 "$WORK/bridge.log" >&2; die "the bridge is not ready after 60 s: $(curl -s "http://$HTTP/readyz")"; }
sleep 1 # MQTT subscriptions and Kafka assignments settle
say "ready: $(curl -s "http://$HTTP/readyz")"

# 4. One factory event per route.
ev() { printf '{"event":"%s","%s":"%s","tag":"%s"}' "$1" "$2" "$3" "$TAG"; }
ORDER_STARTED=$(ev "order started" order 4711)
QUARANTINED=$(ev "batch quarantined" batch B-17)
TELEMETRY=$(ev "spindle speed" rpm 1200)
ORDER_PLANNED=$(ev "order planned" order 4712)
RELEASED=$(ev "order released" order 4713)
SHIPPED=$(ev "order shipped" order 4714)
INSPECTION=$(ev "inspection passed" batch B-18)
INSTRUCTION=$(ev "set temperature" celsius 180)
ALERT=$(ev "quality alert" batch B-19)

say "sending a factory event into every route"
mosquitto_pub -L "$MQTT_URL/plant/line1/order/started" -q 1 -m "$ORDER_STARTED"
mosquitto_pub -L "$MQTT_URL/plant/line1/batch/quarantined" -q 1 -m "$QUARANTINED"
mosquitto_pub -L "$MQTT_URL/plant/line1/telemetry/$TAG" -q 1 -m "$TELEMETRY"
printf '%s\n' "$ORDER_PLANNED" | kcat -P -b "$KAFKA_BOOTSTRAP" -t erp.orders
printf '%s\n' "$RELEASED" | kcat -P -b "$KAFKA_BOOTSTRAP" -t erp.releases -H "site=eu1-$TAG"
printf 'order-4714|%s\n' "$SHIPPED" | kcat -P -b "$KAFKA_BOOTSTRAP" -t erp.shipments -K '|'
amqp-publish -u "$AMQP_URL" -e amq.topic -r quality.inspection.passed -p -H "batch: B-18-$TAG" -b "$INSPECTION"
amqp-publish -u "$AMQP_URL" -e amq.topic -r "mes.instructions.line3-$TAG" -p -b "$INSTRUCTION"
amqp-publish -u "$AMQP_URL" -e amq.topic -r mes.alerts.temperature -p -b "$ALERT"

# 5. Where each arrived.
kafka_has() { # kafka_has TOPIC: the record with our tag, as key|value
    kcat -C -b "$KAFKA_BOOTSTRAP" -t "$1" -o beginning -e -q -f '%k|%s\n' 2>/dev/null | grep -F "\"tag\":\"$TAG\"" | head -1
}
file_has() { grep -F "\"tag\":\"$TAG\"" "$WORK/$1" 2>/dev/null | head -1; }
missing=()
show() { # show ROUTE FROM TO HOW...
    local route=$1 from=$2 to=$3 got="" deadline=$((SECONDS + WAIT))
    shift 3
    while [ -z "$got" ] && [ $SECONDS -lt $deadline ]; do
        got=$("$@" || true)
        [ -n "$got" ] || sleep 0.5
    done
    if [ -n "$got" ]; then
        printf '  %-22s %-40s -> %-44s %s\n' "$route" "$from" "$to" "arrived"
        printf '  %-22s %s\n' "" "${got:0:110}"
    else
        printf '  %-22s %-40s -> %-44s %s\n' "$route" "$from" "$to" "MISSING"
        missing+=("$route")
    fi
}
say "what arrived where (route, from, to):"
show orders-started "mqtt plant/line1/order/started" "amqp amq.topic plant.line1.order.started" file_has orders-started
show batch-quarantined "mqtt plant/line1/batch/quarantined" "kafka plant.batch.quarantined key line1" kafka_has plant.batch.quarantined
show telemetry-to-site2 "mqtt plant/line1/telemetry/..." "mqtt (site 2) site1/plant/line1/telemetry/..." file_has telemetry-to-site2
show erp-orders-to-mes "kafka erp.orders" "amqp amq.topic erp.orders" file_has erp-orders-to-mes
show erp-releases-to-plant "kafka erp.releases (header site)" "mqtt erp/releases/<site>" file_has erp-releases-to-plant
show erp-shipments-archive "kafka erp.shipments" "kafka archive.erp.shipments" kafka_has archive.erp.shipments
show inspection-results "amqp quality.inspection.passed" "kafka quality.inspections key <batch>" kafka_has quality.inspections
show instructions-to-lines "amqp mes.instructions.line3-..." "mqtt plant/line3-.../instructions" file_has instructions-to-lines
show quality-alerts "amqp mes.alerts.temperature" "amqp amq.fanout + kafka quality.alerts" file_has quality-alerts
show quality-alerts/kafka "(fan-out, second destination)" "kafka quality.alerts" kafka_has quality.alerts

say "metrics: http://$HTTP/metrics   health: http://$HTTP/healthz   readiness: http://$HTTP/readyz"
curl -s "http://$HTTP/metrics" | grep -E '^bridge_messages_acked_total' | sed 's/^/  /' || true

if [ ${#missing[@]} -gt 0 ]; then
    printf 'quickstart: did not arrive within %ss: %s (bridge log: last lines below)\n' "$WAIT" "${missing[*]}" >&2
    tail -20 "$WORK/bridge.log" >&2
    exit 1
fi
say "every sample arrived"
if [ "$INTERACTIVE" = 1 ]; then
    say "the bridge keeps running; try: mosquitto_pub -L \"$MQTT_URL/plant/line2/order/started\" -q 1 -m '{\"order\":\"4715\"}'"
    say "Ctrl-C stops the bridge$([ "$STARTED_BROKERS" = 1 ] && echo " and the brokers")"
    wait "$BRIDGE_PID" || true
fi
