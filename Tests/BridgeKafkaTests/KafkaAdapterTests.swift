@testable import BridgeCore
import CRdKafka
import Testing

@testable import BridgeKafka

@Suite struct KafkaAdapterTests {
    let settings = KafkaConnectionSettings(
        bootstrapServers: ["127.0.0.1:9092", "127.0.0.1:9093"], groupID: "g",
        properties: [("session.timeout.ms", "10000"), ("enable.auto.commit", "false"), ("security.protocol", "PLAINTEXT")]
    )

    /// The value librdkafka ends up with: the last one set wins.
    func value(_ key: String, in properties: [(key: String, value: String)]) -> String? {
        properties.last { $0.key == key }?.value
    }

    @Test func consumerPropertiesKeepThePromiseWhateverPropertiesSay() {
        let p = KafkaProperties.consumer(settings, clientID: "c", start: .earliest, window: 100, maxMessageSize: 1_000_000)
        #expect(value("enable.auto.offset.store", in: p) == "false")
        #expect(value("enable.auto.commit", in: p) == "true")
        #expect(value("partition.assignment.strategy", in: p) == "cooperative-sticky")
        #expect(value("auto.offset.reset", in: p) == "earliest")
        #expect(value("group.id", in: p) == "g")
        #expect(value("bootstrap.servers", in: p) == "127.0.0.1:9092,127.0.0.1:9093")
        // The connection's properties override the bridge's defaults.
        #expect(value("session.timeout.ms", in: p) == "10000")
        #expect(value("security.protocol", in: p) == "PLAINTEXT")
        // The fetch queue is bounded in bytes, not by a window of messages, and holds eight
        // fetches: one fetch never fills it (librdkafka 2.0 looks at a full queue again only
        // about once a second; a fetch as large as the queue capped 64 KiB records at ~75/s).
        #expect(value("queued.min.messages", in: p) == "100000")
        let queuedKiB = Int(value("queued.max.messages.kbytes", in: p) ?? "") ?? 0
        let fetchMaxBytes = Int(value("fetch.max.bytes", in: p) ?? "") ?? 0
        #expect(fetchMaxBytes >= 1_065_536 && fetchMaxBytes <= 1_114_112)
        #expect(queuedKiB * 1024 >= 8 * fetchMaxBytes)
        #expect(queuedKiB <= 65536)
    }

    @Test func fetchHoldsTheLargestMessage() throws {
        // A connection that raises message.max.bytes (to carry messages over 1 MB) and a
        // route with max_message_size 2 MiB: the consumer's fetch.max.bytes holds both, and
        // librdkafka accepts the consumer (it refuses fetch.max.bytes < message.max.bytes).
        var large = settings
        large.properties.append((key: "message.max.bytes", value: "4000000"))
        let p = KafkaProperties.consumer(large, clientID: "c", start: .earliest, window: 100, maxMessageSize: 2_097_152)
        #expect(Int(value("fetch.max.bytes", in: p) ?? "") ?? 0 >= 4_000_000)
        _ = try KafkaClient.make(.consumer, properties: p, opaque: nil) { _ in }
        let small = KafkaProperties.consumer(settings, clientID: "c", start: .earliest, window: 100, maxMessageSize: 8_000_000)
        #expect(Int(value("fetch.max.bytes", in: small) ?? "") ?? 0 >= 8_000_000)
    }

    @Test func producerProperties() {
        let p = KafkaProperties.producer(settings, clientID: "p", messageTimeoutMilliseconds: 20_000, queueMessages: 2024, queueKiB: 16384)
        #expect(value("acks", in: p) == "all")
        #expect(value("enable.idempotence", in: p) == "true")
        #expect(value("partitioner", in: p) == "murmur2_random")
        #expect(value("allow.auto.create.topics", in: p) == "false")
        #expect(value("message.timeout.ms", in: p) == "20000")
        #expect(value("queue.buffering.max.messages", in: p) == "2024")
        #expect(value("session.timeout.ms", in: p) == nil, "consumer-only properties stay off the producer")
    }

    @Test func librdkafkaAcceptsTheProperties() throws {
        // Creating the clients checks every name and value with librdkafka itself (no broker needed).
        _ = try KafkaClient.make(
            .consumer, properties: KafkaProperties.consumer(settings, clientID: "c", start: .latest, window: 1024, maxMessageSize: 1_000_000),
            opaque: nil
        ) { _ in }
        _ = try KafkaClient.make(
            .producer,
            properties: KafkaProperties.producer(settings, clientID: "p", messageTimeoutMilliseconds: 5000, queueMessages: 1000, queueKiB: 16384),
            opaque: nil
        ) { _ in }
        #expect(throws: KafkaError.self) {
            _ = try KafkaClient.make(.producer, properties: [("no.such.property", "1")], opaque: nil) { _ in }
        }
    }

    @Test func failuresAreClassified() {
        func kind(_ err: rd_kafka_resp_err_t) -> (PublishFailure.Kind, String) {
            let failure = KafkaProducer.classify(err, "x")
            return (failure.kind, failure.reason)
        }
        #expect(kind(RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE) == (.permanent, "too_large"))
        #expect(kind(RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART) == (.permanent, "unknown_topic"))
        #expect(kind(RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC) == (.permanent, "unknown_topic"))
        #expect(kind(RD_KAFKA_RESP_ERR_TOPIC_EXCEPTION) == (.permanent, "invalid_topic"))
        #expect(kind(RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED) == (.permanent, "unauthorized"))
        #expect(kind(RD_KAFKA_RESP_ERR__MSG_TIMED_OUT) == (.transient, "timeout"))
        #expect(kind(RD_KAFKA_RESP_ERR__TRANSPORT) == (.transient, "connection_lost"))
        #expect(kind(RD_KAFKA_RESP_ERR__QUEUE_FULL) == (.transient, "nack"))
        #expect(kind(RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION) == (.transient, "nack"))
    }
}
