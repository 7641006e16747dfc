import BridgeCore
public import Metrics
import Synchronization

/// The metrics and the readiness of one broker connection.
///
/// Made at startup for every configured connection, so that its series exist at 0 from the
/// start (CONTRACT section 7): `bridge_connection_up{connection,protocol}`,
/// `bridge_connection_reconnects_total{connection}` and
/// `bridge_mqtt_sessions_lost_total{connection}` (for every protocol: an alert on it needs
/// no special case, and for Kafka and AMQP it stays 0). The per-partition
/// `bridge_kafka_consumer_lag{connection,topic,partition}` gauges appear on first use.
///
/// Names and labels come from BridgeCore's `MetricNames`.
///
/// ``setState(_:)`` updates the gauge and the ``ReadinessRegistry`` together, so `/readyz`
/// and `bridge_connection_up` never disagree.
public final class ConnectionMetrics: Sendable {
    private struct PartitionKey: Hashable {
        var topic: String
        var partition: Int32
    }

    /// The configured connection name: the `connection` label.
    public let connection: String
    /// `mqtt`, `kafka`, `amqp` or `amqp10`: the `protocol` label.
    public let protocolName: String

    private let up: Gauge
    private let reconnects: Counter
    private let sessionsLost: Counter
    private let readiness: ReadinessRegistry?
    private let factory: any MetricsFactory
    private let consumerLag: Mutex<[PartitionKey: Gauge]>

    /// Registers the connection's series at 0 and reports it `down` until told otherwise.
    ///
    /// - Parameters:
    ///   - connection: The configured connection name.
    ///   - protocolName: The `protocol` key of the connection (`mqtt`, `kafka`, `amqp`, `amqp10`).
    ///   - readiness: Where ``setState(_:)`` also reports, or `nil`.
    ///   - factory: The metrics factory; the global one by default.
    public init(
        connection: String,
        protocolName: String,
        readiness: ReadinessRegistry?,
        factory: any MetricsFactory = MetricsSystem.factory
    ) {
        self.connection = connection
        self.protocolName = protocolName
        self.readiness = readiness
        self.factory = factory
        self.up = Gauge(
            label: MetricNames.connectionUp,
            dimensions: [(MetricNames.connection, connection), (MetricNames.protocol, protocolName)],
            factory: factory
        )
        self.reconnects = Counter(
            label: MetricNames.connectionReconnects,
            dimensions: [(MetricNames.connection, connection)],
            factory: factory
        )
        self.sessionsLost = Counter(
            label: MetricNames.mqttSessionsLost,
            dimensions: [(MetricNames.connection, connection)],
            factory: factory
        )
        self.consumerLag = Mutex([:])
        self.up.record(0)
        self.reconnects.increment(by: 0)
        self.sessionsLost.increment(by: 0)
        readiness?.setConnection(connection, to: .down)
    }

    /// Sets the connection's state: `bridge_connection_up` is 1 when `up`, else 0.
    public func setState(_ state: ReadinessRegistry.ConnectionState) {
        self.up.record(state == .up ? 1 : 0)
        self.readiness?.setConnection(self.connection, to: state)
    }

    /// Counts a reconnect: a connection that was up is up again after a loss.
    public func recordReconnect() {
        self.reconnects.increment()
    }

    /// Counts an MQTT session the broker did not keep (CONNACK session-present 0 on a
    /// reconnect with a persistent session): QoS 1/2 messages queued for it are gone.
    public func recordSessionLost() {
        self.sessionsLost.increment()
    }

    /// Sets the consumer lag of one Kafka partition, creating its series on first use.
    ///
    /// - Parameters:
    ///   - lag: High watermark minus the committed (or stored) offset; clamped at 0.
    ///   - topic: The Kafka topic.
    ///   - partition: The partition number.
    public func setConsumerLag(_ lag: Int64, topic: String, partition: Int32) {
        let key = PartitionKey(topic: topic, partition: partition)
        let gauge = self.consumerLag.withLock { gauges in
            if let gauge = gauges[key] {
                return gauge
            }
            let gauge = Gauge(
                label: MetricNames.kafkaConsumerLag,
                dimensions: [
                    (MetricNames.connection, self.connection), (MetricNames.topic, topic),
                    (MetricNames.partition, String(partition)),
                ],
                factory: self.factory
            )
            gauges[key] = gauge
            return gauge
        }
        gauge.record(max(lag, 0))
    }

    /// Removes the lag series of a partition this consumer no longer owns (after a
    /// rebalance), so that a stale value does not linger.
    public func removeConsumerLag(topic: String, partition: Int32) {
        let gauge = self.consumerLag.withLock {
            $0.removeValue(forKey: PartitionKey(topic: topic, partition: partition))
        }
        gauge?.destroy()
    }
}
