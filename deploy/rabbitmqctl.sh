#!/usr/bin/env bash
# rabbitmqctl for the RabbitMQ node that deploy/brokers.sh started (same HOME, node name,
# epmd port and cookie), e.g. `deploy/rabbitmqctl.sh list_consumers`, `stop_app`, `start_app`.
set -euo pipefail
RUN_DIR=${BRIDGE_RUN_DIR:-/tmp/message-bridge-brokers}
if [ ! -f "$RUN_DIR/rabbitmq/env.sh" ]; then
    echo "rabbitmqctl.sh: no RabbitMQ environment in $RUN_DIR/rabbitmq: run deploy/brokers.sh start" >&2
    exit 1
fi
. "$RUN_DIR/rabbitmq/env.sh"
exec rabbitmqctl "$@"
