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
        // One fetch must hold the largest record the route takes (max_message_size plus
        // headers) and the connection's message.max.bytes: librdkafka refuses a consumer
        // whose fetch.max.bytes is below message.max.bytes.
        let messageMaxBytes = settings.properties.last { $0.key == "message.max.bytes" }.flatMap { Int($0.value) } ?? 1_000_000
        let fetchMaxBytes = max(1_048_576, messageMaxBytes, maxMessageSize + 65536)
        // The pre-fetch queue is bounded in bytes: 1 KiB per window slot and at least eight
        // fetches, at most 64 MiB (or two fetches, if more). This bound has priority over
        // queued.min.messages, and librdkafka 2.0 applies it to the consumer's whole queue
        // (every partition's fetch queue forwards to it): a partition found over it is looked
        // at again only about once a second, not when the queue drains. A fetch as large as
        // the queue (4 MiB each, before) filled it in one go, so each fetch was followed by
        // that second: a Kafka source with 64 KiB records moved about 75 per second. With
        // 1 MiB fetches and the queue at 8 fetches bridge-bench measured 2.9k msg/s (and
        // 4 fetches 300 msg/s); a bound of one window of messages, or 1 MiB, had kept the
        // fetcher stopped most of the time with 100-byte records too.
        let fetchKiB = (fetchMaxBytes + 1023) / 1024
        let queuedKiB = min(max(window, 8 * fetchKiB), max(65536, 2 * fetchKiB))
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
