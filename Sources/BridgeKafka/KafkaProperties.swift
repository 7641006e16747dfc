import BridgeCore

/// The librdkafka properties of the bridge's clients: the defaults the bridge chooses, then
/// the connection's `properties` (which may override those), then the ones the delivery
/// promise depends on (the route file parser refuses them in `properties`).
enum KafkaProperties {
    /// A consumer for one route.
    ///
    /// - Parameters:
    ///   - settings: The connection.
    ///   - clientID: `client.id`.
    ///   - start: `auto.offset.reset` when the group has no committed offset.
    ///   - window: The route's `max_in_flight`: librdkafka's fetch queue is sized from it.
    ///   - maxMessageSize: The route's `max_message_size`.
    static func consumer(
        _ settings: KafkaConnectionSettings,
        clientID: String,
        start: SourceConfig.KafkaSource.Start,
        window: Int,
        maxMessageSize: Int
    ) -> [(key: String, value: String)] {
        // The pre-fetch queue is bounded in bytes: 1 KiB per window slot, between 4 MiB and
        // 64 MiB (this bound has priority over queued.min.messages). A bound of one window of
        // messages (queued.min.messages = window) or 1 MiB kept the fetcher stopped most of
        // the time: bridge-bench measured 8-11k msg/s Kafka->Kafka with either, 73k with neither.
        let queuedKiB = min(max(window, 4096), 65536)
        // One fetch must hold the largest record the route takes (max_message_size plus
        // headers) and the connection's message.max.bytes: librdkafka refuses a consumer
        // whose fetch.max.bytes is below message.max.bytes.
        let messageMaxBytes = settings.properties.last { $0.key == "message.max.bytes" }.flatMap { Int($0.value) } ?? 1_000_000
        let fetchMaxBytes = max(queuedKiB * 1024, 1_048_576, messageMaxBytes, maxMessageSize + 65536)
        var properties: [(key: String, value: String)] = [
            ("client.id", clientID),
            ("session.timeout.ms", "6000"),
            ("heartbeat.interval.ms", "1000"),
            ("queued.min.messages", "100000"),
            ("queued.max.messages.kbytes", String(queuedKiB)),
            ("fetch.max.bytes", String(fetchMaxBytes)),
            ("auto.commit.interval.ms", "1000"),
            ("enable.partition.eof", "false"),
            ("statistics.interval.ms", "0"),
        ]
        properties += settings.properties
        properties += [
            ("bootstrap.servers", settings.bootstrapServers.joined(separator: ",")),
            ("group.id", settings.groupID),
            ("enable.auto.offset.store", "false"),
            ("enable.auto.commit", "true"),
            ("partition.assignment.strategy", "cooperative-sticky"),
            ("auto.offset.reset", start == .earliest ? "earliest" : "latest"),
            ("allow.auto.create.topics", "false"),
        ]
        return properties
    }

    /// The producer of one connection.
    ///
    /// - Parameters:
    ///   - settings: The connection.
    ///   - clientID: `client.id`.
    ///   - messageTimeout: `message.timeout.ms`, from the retry policies of the routes.
    ///   - queueMessages: `queue.buffering.max.messages`: the sum of the windows that publish here.
    ///   - queueKiB: `queue.buffering.max.kbytes`.
    static func producer(
        _ settings: KafkaConnectionSettings,
        clientID: String,
        messageTimeoutMilliseconds: Int,
        queueMessages: Int,
        queueKiB: Int
    ) -> [(key: String, value: String)] {
        var properties: [(key: String, value: String)] = [
            ("client.id", clientID),
            ("message.timeout.ms", String(messageTimeoutMilliseconds)),
            ("queue.buffering.max.messages", String(queueMessages)),
            ("queue.buffering.max.kbytes", String(queueKiB)),
            ("linger.ms", "5"),
            ("topic.metadata.propagation.max.ms", "1000"),
        ]
        // Consumer-only properties of the connection do not belong on a producer (librdkafka warns).
        properties += settings.properties.filter { !consumerOnly.contains($0.key) }
        properties += [
            ("bootstrap.servers", settings.bootstrapServers.joined(separator: ",")),
            ("acks", "all"),
            ("enable.idempotence", "true"),
            ("partitioner", "murmur2_random"),
            ("allow.auto.create.topics", "false"),
        ]
        return properties
    }

    static let consumerOnly: Set<String> = [
        "session.timeout.ms", "heartbeat.interval.ms", "auto.commit.interval.ms", "queued.min.messages",
        "queued.max.messages.kbytes", "fetch.max.bytes", "fetch.wait.max.ms", "max.poll.interval.ms",
        "enable.partition.eof", "isolation.level", "fetch.min.bytes", "max.partition.fetch.bytes",
        "auto.offset.reset", "group.instance.id", "check.crcs", "fetch.error.backoff.ms",
    ]
}
