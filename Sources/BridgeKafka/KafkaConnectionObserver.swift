import NIOConcurrencyHelpers

/// Where the Kafka adapters report the state of their connection (the service maps it to
/// `bridge_connection_up`, `/readyz`, `bridge_connection_reconnects_total` and
/// `bridge_kafka_consumer_lag`).
public protocol KafkaConnectionObserver: AnyObject, Sendable {
    /// The brokers answer (metadata fetched, assignment received, messages flowing).
    func connectionUp()
    /// librdkafka reported all brokers down.
    func connectionDown()
    /// The connection came back after it had been down.
    func reconnected()
    /// Consumer lag of one partition: high watermark minus the next offset to commit.
    func consumerLag(_ lag: Int64, topic: String, partition: Int32)
    /// The partition is no longer owned: its lag series goes.
    func partitionRemoved(topic: String, partition: Int32)
}

/// Combines the clients of one connection (its consumers and its producer): the connection
/// is up while every client is up; a client coming back after being down is a reconnect.
public final class KafkaConnectionState: Sendable {
    private struct State {
        var down: Set<ObjectIdentifier> = []
        var everUp: Set<ObjectIdentifier> = []
    }

    private let observer: (any KafkaConnectionObserver)?
    private let state = NIOLockedValueBox(State())

    public init(observer: (any KafkaConnectionObserver)?) {
        self.observer = observer
    }

    func up(_ client: AnyObject) {
        let id = ObjectIdentifier(client)
        let (reconnect, allUp) = state.withLockedValue { state -> (Bool, Bool) in
            let wasDown = state.down.remove(id) != nil
            let reconnect = wasDown && state.everUp.contains(id)
            state.everUp.insert(id)
            return (reconnect, state.down.isEmpty)
        }
        if reconnect { observer?.reconnected() }
        if allUp { observer?.connectionUp() }
    }

    func down(_ client: AnyObject) {
        let id = ObjectIdentifier(client)
        state.withLockedValue { _ = $0.down.insert(id) }
        observer?.connectionDown()
    }

    func lag(_ lag: Int64, topic: String, partition: Int32) {
        observer?.consumerLag(lag, topic: topic, partition: partition)
    }

    func removed(topic: String, partition: Int32) {
        observer?.partitionRemoved(topic: topic, partition: partition)
    }
}
