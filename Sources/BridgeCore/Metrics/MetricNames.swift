/// Every metric of CONTRACT section 7: name, type and labels, in one place.
///
/// Register each name once, with exactly these labels (swift-prometheus traps on a name
/// registered with two types or label sets).
public enum MetricNames {
    // Labels.
    public static let route = "route"
    public static let destination = "destination"
    public static let qos = "qos"
    public static let reason = "reason"
    public static let field = "field"
    public static let connection = "connection"
    public static let `protocol` = "protocol"
    public static let topic = "topic"
    public static let partition = "partition"

    // Route metrics (counters unless noted).
    /// Labels: route.
    public static let messagesReceived = "bridge_messages_received_total"
    /// Labels: route, destination, qos ("" unless MQTT).
    public static let messagesPublished = "bridge_messages_published_total"
    /// Labels: route, destination.
    public static let messagesConfirmed = "bridge_messages_confirmed_total"
    /// Labels: route.
    public static let messagesAcked = "bridge_messages_acked_total"
    /// Labels: route, destination.
    public static let messagesRetried = "bridge_messages_retried_total"
    /// Labels: route, destination, reason.
    public static let messagesFailed = "bridge_messages_failed_total"
    /// Labels: route, reason.
    public static let messagesDeadLettered = "bridge_messages_dead_lettered_total"
    /// Labels: route, reason.
    public static let messagesDropped = "bridge_messages_dropped_total"
    /// Labels: route.
    public static let messagesAbandoned = "bridge_messages_abandoned_total"
    /// Labels: route, field.
    public static let fieldsDropped = "bridge_fields_dropped_total"
    /// Gauge. Labels: route.
    public static let inFlightMessages = "bridge_in_flight_messages"
    /// Histogram (swift-metrics Timer). Labels: route. Receive to source ack.
    public static let deliverySeconds = "bridge_delivery_seconds"
    /// Histogram (swift-metrics Timer). Labels: route. Receive to publish handed to the sink.
    public static let forwardSeconds = "bridge_forward_seconds"

    // Connection metrics.
    /// Gauge. Labels: connection, protocol.
    public static let connectionUp = "bridge_connection_up"
    /// Labels: connection.
    public static let connectionReconnects = "bridge_connection_reconnects_total"
    /// Labels: connection.
    public static let mqttSessionsLost = "bridge_mqtt_sessions_lost_total"
    /// Gauge. Labels: connection, topic, partition.
    public static let kafkaConsumerLag = "bridge_kafka_consumer_lag"

    // Process metrics (no labels).
    /// Gauge.
    public static let processResidentMemory = "process_resident_memory_bytes"
    /// Counter (seconds, floating point).
    public static let processCPUSeconds = "process_cpu_seconds_total"
    /// Gauge.
    public static let processStartTime = "process_start_time_seconds"

    /// The kind of a metric, as registered.
    public enum Kind: String, Sendable {
        case counter, gauge, histogram
    }

    /// Every metric with its kind and label names, for registries and docs.
    public static let all: [(name: String, kind: Kind, labels: [String])] = [
        (messagesReceived, .counter, [route]),
        (messagesPublished, .counter, [route, destination, qos]),
        (messagesConfirmed, .counter, [route, destination]),
        (messagesAcked, .counter, [route]),
        (messagesRetried, .counter, [route, destination]),
        (messagesFailed, .counter, [route, destination, reason]),
        (messagesDeadLettered, .counter, [route, reason]),
        (messagesDropped, .counter, [route, reason]),
        (messagesAbandoned, .counter, [route]),
        (fieldsDropped, .counter, [route, field]),
        (inFlightMessages, .gauge, [route]),
        (deliverySeconds, .histogram, [route]),
        (forwardSeconds, .histogram, [route]),
        (connectionUp, .gauge, [connection, `protocol`]),
        (connectionReconnects, .counter, [connection]),
        (mqttSessionsLost, .counter, [connection]),
        (kafkaConsumerLag, .gauge, [connection, topic, partition]),
        (processResidentMemory, .gauge, []),
        (processCPUSeconds, .counter, []),
        (processStartTime, .gauge, []),
    ]
}
