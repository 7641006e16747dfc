#!/usr/bin/env bash
# Local brokers for message-bridge tests and demos, all on 127.0.0.1:
#   mosquitto   1883 anonymous, 1884 user/password, 8883 TLS with client certificate
#   mosquitto2  1893 anonymous (a second, independent broker for broker-to-broker tests)
#   RabbitMQ    5672 AMQP 0-9-1 and 1.0 (vhosts / and b), 1890 MQTT plugin
#   Kafka       librdkafka's mock cluster (kafka-mock-broker), 3 brokers, ports picked by the kernel
#
# usage: deploy/brokers.sh install|start|stop|status|reset   (reset = stop, then delete the run dir)
#
# State (configs, certificates, data, logs, pids) lives in $BRIDGE_RUN_DIR
# (default /tmp/message-bridge-brokers). `start` writes $BRIDGE_RUN_DIR/brokers.env with
# the URLs and paths tests need. `start` is rerunnable: what already runs is kept.
#
# Environment:
#   BRIDGE_RUN_DIR        run directory
#   BRIDGE_SCRATCH_PATH   swift build folder used to find or build kafka-mock-broker (default .build)
#   KAFKA_MOCK_BROKER     path of a kafka-mock-broker binary (skips the lookup and the build)
#   BRIDGE_KAFKA_TOPICS   topics the mock creates, NAME:PARTITIONS,... (default below)
#   BRIDGE_EPMD_PORT      port of the Erlang port mapper used by our RabbitMQ (default 4371,
#                         so a system epmd on 4369 is left alone)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
RUN_DIR=${BRIDGE_RUN_DIR:-/tmp/message-bridge-brokers}
SCRATCH=${BRIDGE_SCRATCH_PATH:-$ROOT/.build}
case "$SCRATCH" in /*) ;; *) SCRATCH=$PWD/$SCRATCH ;; esac
KAFKA_TOPICS=${BRIDGE_KAFKA_TOPICS:-bridge.smoke:3,bridge.in:3,bridge.out:3,bridge.dead:1,erp.orders:3,plant.batch:3,quality.results:3,erp.releases:3,erp.shipments:3,archive.erp.shipments:3,plant.batch.quarantined:3,quality.inspections:3,quality.alerts:3}
EPMD_PORT=${BRIDGE_EPMD_PORT:-4371}
PACKAGES=(librdkafka-dev libmosquitto-dev mosquitto mosquitto-clients rabbitmq-server amqp-specs
    kcat amqp-tools libssl-dev pkg-config openssl socat procps iproute2 python3-qpid-proton)

log() { printf 'brokers: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# --- install ------------------------------------------------------------------------

install() {
    local missing=()
    for package in "${PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing+=("$package")
    done
    if [ ${#missing[@]} -gt 0 ]; then
        log "installing ${missing[*]}"
        export DEBIAN_FRONTEND=noninteractive
        local apt=(apt-get -qq -o Dpkg::Use-Pty=0 -o DPkg::Lock::Timeout=600)
        # Refresh the package lists when they are missing or older than a day.
        if [ -z "$(find /var/lib/apt/lists -maxdepth 1 -name '*_Packages' -mmin -1440 2>/dev/null | head -1)" ]; then
            as_root "${apt[@]}" update >/dev/null
        fi
        # Stale lists make install fail with 404s: refresh them once and try again.
        as_root "${apt[@]}" install -y "${missing[@]}" >/dev/null ||
            { as_root "${apt[@]}" update >/dev/null && as_root "${apt[@]}" install -y "${missing[@]}" >/dev/null; }
    fi
    stop_system_services
    log "installed: ${PACKAGES[*]}"
}

# apt on Debian may start mosquitto and RabbitMQ as system services; they would hold our ports.
stop_system_services() {
    local service
    for service in mosquitto rabbitmq-server; do
        if command -v service >/dev/null && service "$service" status >/dev/null 2>&1; then
            log "stopping the system $service service"
            as_root service "$service" stop >/dev/null 2>&1 || true
        fi
    done
    # Without an init system `service` may not know them: stop what runs from the system configs.
    local pid
    for pid in $(pgrep -f 'mosquitto -c /etc/mosquitto/mosquitto.conf' || true); do
        log "stopping system mosquitto (pid $pid)"; as_root kill "$pid" || true
    done
    for pid in $(pgrep -u rabbitmq -f 'beam.*-s rabbit|beam.*rabbit@' || true); do
        log "stopping system RabbitMQ (pid $pid)"; as_root kill "$pid" || true
    done
}

# --- helpers ------------------------------------------------------------------------

pid_alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

# wait_for SECONDS DESCRIPTION COMMAND...: retries COMMAND until it succeeds.
wait_for() {
    local seconds=$1 what=$2; shift 2
    local deadline=$((SECONDS + seconds))
    until "$@" >/dev/null 2>&1; do
        [ $SECONDS -lt $deadline ] || die "$what did not answer within ${seconds}s"
        sleep 0.3
    done
}

port_owner() { ss -ltnpH "sport = :$1" 2>/dev/null | sed -n 's/.*users:((\("[^"]*"\).*/\1/p' | head -1; }

require_free_port() {
    local port=$1 owner
    if ss -ltnH "sport = :$port" | grep -q .; then
        owner=$(port_owner "$port")
        die "port $port is already taken by ${owner:-another process}; stop it or run deploy/brokers.sh stop"
    fi
}

# stop_pid NAME PIDFILE: SIGTERM, wait up to 20 s, then SIGKILL.
stop_pid() {
    local name=$1 pidfile=$2 pid
    [ -f "$pidfile" ] || return 0
    pid=$(cat "$pidfile")
    if kill -0 "$pid" 2>/dev/null; then
        log "stopping $name (pid $pid)"
        kill -TERM "$pid" 2>/dev/null || true
        local deadline=$((SECONDS + 20))
        while kill -0 "$pid" 2>/dev/null && [ $SECONDS -lt $deadline ]; do sleep 0.2; done
        if kill -0 "$pid" 2>/dev/null; then
            log "$name did not stop in 20 s: SIGKILL"
            kill -KILL "$pid" 2>/dev/null || true
        fi
    fi
    rm -f "$pidfile"
}

# --- certificates -------------------------------------------------------------------

make_certificates() {
    local dir=$RUN_DIR/tls
    mkdir -p "$dir"
    if [ -f "$dir/client.crt" ] && openssl x509 -checkend 86400 -noout -in "$dir/server.crt" >/dev/null 2>&1; then
        return 0
    fi
    log "generating a test CA, a server and a client certificate in $dir"
    (
        cd "$dir"
        openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 3650 -keyout ca.key -out ca.crt \
            -subj "/CN=message-bridge test CA" \
            -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
        sign() { # sign NAME SUBJECT EXTENSIONS
            openssl req -new -newkey rsa:2048 -nodes -sha256 -keyout "$1.key" -out "$1.csr" -subj "$2" 2>/dev/null
            printf '%b' "$3" >"$1.ext"
            openssl x509 -req -sha256 -days 825 -in "$1.csr" -CA ca.crt -CAkey ca.key -CAcreateserial \
                -out "$1.crt" -extfile "$1.ext" 2>/dev/null
            rm -f "$1.csr" "$1.ext"
        }
        sign server "/CN=localhost" \
            "basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:localhost,IP:127.0.0.1\n"
        sign client "/CN=bridge-client" \
            "basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n"
        # Test keys only: readable by the mosquitto user that a root mosquitto drops to.
        chmod 644 ./*.key ./*.crt
    )
}

# --- mosquitto ----------------------------------------------------------------------

# mosquitto started as root drops to the user `mosquitto`: give it its data folder.
give_to_mosquitto() {
    if [ "$(id -u)" = 0 ] && id mosquitto >/dev/null 2>&1; then chown -R mosquitto: "$@"; fi
}

write_mosquitto_configs() {
    local dir=$RUN_DIR/mosquitto
    mkdir -p "$dir/data" "$RUN_DIR/mosquitto2/data"
    chmod 755 "$RUN_DIR" "$dir" "$RUN_DIR/mosquitto2"
    if [ ! -f "$dir/passwords" ]; then
        : >"$dir/passwords"
        mosquitto_passwd -b "$dir/passwords" bridge bridge-secret
    fi
    chmod 644 "$dir/passwords"
    cat >"$dir/mosquitto.conf" <<EOF
# written by deploy/brokers.sh
per_listener_settings true
persistence true
persistence_location $dir/data/
autosave_interval 10
max_queued_messages 0
max_inflight_messages 1000
log_dest stderr
log_type error
log_type warning
log_type notice
connection_messages true

listener 1883 127.0.0.1
allow_anonymous true

listener 1884 127.0.0.1
allow_anonymous false
password_file $dir/passwords

listener 8883 127.0.0.1
allow_anonymous true
cafile $RUN_DIR/tls/ca.crt
certfile $RUN_DIR/tls/server.crt
keyfile $RUN_DIR/tls/server.key
require_certificate true
EOF
    cat >"$RUN_DIR/mosquitto2/mosquitto.conf" <<EOF
# written by deploy/brokers.sh: a second, independent broker
per_listener_settings true
persistence true
persistence_location $RUN_DIR/mosquitto2/data/
autosave_interval 10
max_queued_messages 0
max_inflight_messages 1000
log_dest stderr
log_type error
log_type warning
log_type notice
connection_messages true

listener 1893 127.0.0.1
allow_anonymous true
EOF
    give_to_mosquitto "$dir/data" "$RUN_DIR/mosquitto2/data"
}

# start_mosquitto NAME PORTS...
start_mosquitto() {
    local name=$1; shift
    local dir=$RUN_DIR/$name pidfile=$RUN_DIR/pids/$name.pid port
    if pid_alive "$pidfile"; then
        log "$name already runs (pid $(cat "$pidfile"))"
        return 0
    fi
    for port in "$@"; do require_free_port "$port"; done
    setsid mosquitto -c "$dir/mosquitto.conf" </dev/null >>"$dir/mosquitto.log" 2>&1 &
    echo $! >"$pidfile"
    log "started $name (pid $!) on $*"
}

mqtt_answers() { # mqtt_answers ARGS...: reads the broker's version topic
    mosquitto_sub -h 127.0.0.1 -t '$SYS/broker/version' -C 1 -W 3 "$@"
}

wait_mosquitto() {
    local tls=$RUN_DIR/tls
    wait_for 20 "mosquitto on 1883" mqtt_answers -p 1883
    wait_for 20 "mosquitto on 1884" mqtt_answers -p 1884 -u bridge -P bridge-secret
    wait_for 20 "mosquitto on 8883" mqtt_answers -p 8883 -h localhost --cafile "$tls/ca.crt" \
        --cert "$tls/client.crt" --key "$tls/client.key"
    wait_for 20 "mosquitto2 on 1893" mqtt_answers -p 1893
}

# --- RabbitMQ -----------------------------------------------------------------------

RABBIT_DIR=$RUN_DIR/rabbitmq

write_rabbitmq_env() {
    mkdir -p "$RABBIT_DIR/home" "$RABBIT_DIR/mnesia" "$RABBIT_DIR/log"
    : >"$RABBIT_DIR/rabbitmq-env.conf"
    cat >"$RABBIT_DIR/env.sh" <<EOF
# written by deploy/brokers.sh: the environment of every RabbitMQ command for this node
export HOME=$RABBIT_DIR/home
export RABBITMQ_NODENAME=bridge@localhost
export RABBITMQ_USE_LONGNAME=false
export RABBITMQ_CONF_ENV_FILE=$RABBIT_DIR/rabbitmq-env.conf
export RABBITMQ_CONFIG_FILE=$RABBIT_DIR/rabbitmq.conf
export RABBITMQ_ADVANCED_CONFIG_FILE=$RABBIT_DIR/advanced.config
export RABBITMQ_MNESIA_BASE=$RABBIT_DIR/mnesia
export RABBITMQ_LOG_BASE=$RABBIT_DIR/log
export RABBITMQ_PID_FILE=$RABBIT_DIR/rabbitmq.pid
export RABBITMQ_ENABLED_PLUGINS_FILE=$RABBIT_DIR/enabled_plugins
export RABBITMQ_DIST_PORT=25673
export RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"
export ERL_EPMD_PORT=$EPMD_PORT
export ERL_EPMD_ADDRESS=127.0.0.1
export PATH=/usr/lib/rabbitmq/bin:\$PATH
EOF
    cat >"$RABBIT_DIR/rabbitmq.conf" <<EOF
# written by deploy/brokers.sh
listeners.tcp.default = 127.0.0.1:5672
loopback_users = none
mqtt.listeners.tcp.default = 127.0.0.1:1890
mqtt.allow_anonymous = true
mqtt.default_user = guest
mqtt.default_pass = guest
mqtt.vhost = /
mqtt.exchange = amq.topic
mqtt.prefetch = 1000
log.console = false
log.file.level = info
EOF
    echo "[]." >"$RABBIT_DIR/advanced.config"
}

rabbitmqctl_() { (. "$RABBIT_DIR/env.sh" && rabbitmqctl -q "$@"); }

start_rabbitmq() {
    local pidfile=$RABBIT_DIR/rabbitmq.pid
    if pid_alive "$pidfile" && rabbitmqctl_ status >/dev/null 2>&1; then
        log "RabbitMQ already runs (pid $(cat "$pidfile"))"
    else
        local port
        for port in 5672 1890 25673 "$EPMD_PORT"; do require_free_port "$port"; done
        (
            . "$RABBIT_DIR/env.sh"
            rabbitmq-plugins enable --offline rabbitmq_amqp1_0 rabbitmq_mqtt rabbitmq_shovel >/dev/null
            cd "$RABBIT_DIR"
            setsid rabbitmq-server -detached </dev/null >>"$RABBIT_DIR/log/start.log" 2>&1
        )
        log "started RabbitMQ (node bridge@localhost) on 5672 and 1890"
    fi
    local deadline=$((SECONDS + 120))
    until rabbitmqctl_ await_startup --timeout 10 >/dev/null 2>&1; do
        [ $SECONDS -lt $deadline ] || die "RabbitMQ did not start within 120 s; see $RABBIT_DIR/log"
        sleep 1
    done
    rabbitmqctl_ list_vhosts | grep -qx b || rabbitmqctl_ add_vhost b >/dev/null
    rabbitmqctl_ set_permissions -p b guest '.*' '.*' '.*' >/dev/null
    wait_for 30 "RabbitMQ MQTT on 1890" mqtt_answers_rabbit
}

# RabbitMQ has no $SYS topics: a QoS 1 publish that gets its PUBACK proves MQTT works.
mqtt_answers_rabbit() {
    mosquitto_pub -h 127.0.0.1 -p 1890 -q 1 -t bridge/ready -m ready -i "bridge-ready-$$"
}

stop_rabbitmq() {
    stop_pid RabbitMQ "$RABBIT_DIR/rabbitmq.pid"
    if [ -f "$RABBIT_DIR/env.sh" ]; then
        (. "$RABBIT_DIR/env.sh" && epmd -port "$ERL_EPMD_PORT" -kill >/dev/null 2>&1) || true
    fi
}

# --- Kafka mock ---------------------------------------------------------------------

kafka_binary() {
    if [ -n "${KAFKA_MOCK_BROKER:-}" ]; then
        echo "$KAFKA_MOCK_BROKER"
        return
    fi
    local binary=$SCRATCH/debug/kafka-mock-broker
    if [ ! -x "$binary" ]; then
        log "building kafka-mock-broker in $SCRATCH"
        (cd "$ROOT" && swift build --scratch-path "$SCRATCH" --product kafka-mock-broker >&2)
    fi
    echo "$binary"
}

kafka_control() { # kafka_control COMMAND: prints the one-line answer
    printf '%s\n' "$*" | socat -t 5 - "UNIX-CONNECT:$RUN_DIR/kafka/control.sock"
}

start_kafka() {
    local dir=$RUN_DIR/kafka pidfile=$RUN_DIR/pids/kafka.pid binary
    mkdir -p "$dir"
    if pid_alive "$pidfile" && [ "$(kafka_control ping 2>/dev/null)" = ok ]; then
        log "kafka-mock-broker already runs (pid $(cat "$pidfile"))"
        return 0
    fi
    stop_pid kafka-mock-broker "$pidfile"
    binary=$(kafka_binary)
    [ -x "$binary" ] || die "no kafka-mock-broker at $binary"
    binary=$(cd "$(dirname "$binary")" && pwd)/$(basename "$binary")
    echo "$binary" >"$dir/binary"
    rm -f "$dir/bootstrap"
    setsid "$binary" --brokers 3 --topics "$KAFKA_TOPICS" --bootstrap-file "$dir/bootstrap" \
        --control "$dir/control.sock" </dev/null >>"$dir/kafka.log" 2>&1 &
    echo $! >"$pidfile"
    log "started kafka-mock-broker (pid $!) with topics $KAFKA_TOPICS"
    wait_for 30 "kafka-mock-broker bootstrap file" test -s "$dir/bootstrap"
    wait_for 10 "kafka-mock-broker control socket" kafka_control_ok
    wait_for 30 "kafka-mock-broker metadata" kcat -L -b "$(cat "$dir/bootstrap")" -t bridge.smoke -m 5
}

kafka_control_ok() { [ "$(kafka_control ping)" = ok ]; }

# --- commands -----------------------------------------------------------------------

write_env_file() {
    local tls=$RUN_DIR/tls
    cat >"$RUN_DIR/brokers.env.tmp" <<EOF
# written by deploy/brokers.sh start
BRIDGE_RUN_DIR=$RUN_DIR
MQTT_URL=mqtt://127.0.0.1:1883
MQTT_AUTH_URL=mqtt://127.0.0.1:1884
MQTT_USER=bridge
MQTT_PASSWORD=bridge-secret
MQTTS_URL=mqtts://127.0.0.1:8883
MQTT_CA_FILE=$tls/ca.crt
MQTT_CLIENT_CERT=$tls/client.crt
MQTT_CLIENT_KEY=$tls/client.key
MQTT2_URL=mqtt://127.0.0.1:1893
RABBIT_MQTT_URL=mqtt://127.0.0.1:1890
AMQP_URL=amqp://guest:guest@127.0.0.1:5672/%2f
AMQP_URL_B=amqp://guest:guest@127.0.0.1:5672/b
KAFKA_BOOTSTRAP=$(cat "$RUN_DIR/kafka/bootstrap")
KAFKA_CONTROL=$RUN_DIR/kafka/control.sock
KAFKA_TOPICS=$KAFKA_TOPICS
KAFKA_MOCK_BROKER=$(cat "$RUN_DIR/kafka/binary" 2>/dev/null || true)
RABBITMQCTL=$ROOT/deploy/rabbitmqctl.sh
EOF
    mv "$RUN_DIR/brokers.env.tmp" "$RUN_DIR/brokers.env"
}

start() {
    for tool in mosquitto mosquitto_sub rabbitmq-plugins kcat amqp-publish socat openssl ss; do
        command -v "$tool" >/dev/null || [ -x "/usr/lib/rabbitmq/bin/$tool" ] ||
            die "$tool is missing: run deploy/brokers.sh install"
    done
    stop_system_services
    mkdir -p "$RUN_DIR/pids"
    rm -f "$RUN_DIR/brokers.env"
    make_certificates
    write_mosquitto_configs
    write_rabbitmq_env
    start_mosquitto mosquitto 1883 1884 8883
    start_mosquitto mosquitto2 1893
    start_kafka
    start_rabbitmq
    wait_mosquitto
    write_env_file
    log "all brokers answer; environment in $RUN_DIR/brokers.env"
}

stop() {
    stop_pid kafka-mock-broker "$RUN_DIR/pids/kafka.pid"
    stop_pid mosquitto2 "$RUN_DIR/pids/mosquitto2.pid"
    stop_pid mosquitto "$RUN_DIR/pids/mosquitto.pid"
    stop_rabbitmq
    rm -f "$RUN_DIR/brokers.env"
}

status() {
    local name pidfile state=0
    for name in mosquitto mosquitto2 kafka rabbitmq; do
        pidfile=$RUN_DIR/pids/$name.pid
        [ "$name" = rabbitmq ] && pidfile=$RABBIT_DIR/rabbitmq.pid
        if pid_alive "$pidfile"; then
            printf '%-11s running  pid %s\n' "$name" "$(cat "$pidfile")"
        else
            printf '%-11s stopped\n' "$name"
            state=3
        fi
    done
    [ -f "$RUN_DIR/brokers.env" ] && printf 'env file    %s\n' "$RUN_DIR/brokers.env"
    return $state
}

# Stops everything and removes the run directory: the next start begins empty.
reset() {
    stop
    case "$RUN_DIR" in /|"") die "refusing to remove '$RUN_DIR'" ;; esac
    rm -rf "$RUN_DIR"
}

case "${1:-}" in
install) install ;;
start) start ;;
stop) stop ;;
status) status ;;
reset) reset ;;
*)
    echo "usage: $0 install|start|stop|status|reset" >&2
    exit 2
    ;;
esac
