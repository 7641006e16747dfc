import AMQPProtocol
@testable import BridgeAMQP
@testable import BridgeCore
import NIOCore
import Testing

/// The AMQP column of CONTRACT section 4, both ways, without a broker.
@Suite struct AMQPMappingTests {
    static let nested: FieldTable = [
        "plant": "a",
        "line": .int32(7),
        "inner": .table(["deep": .array([.int8(-1), .string("x"), .bool(false)])]),
    ]

    @Test func fieldValuesBecomeHeaderValuesAndBack() {
        let table: FieldTable = [
            "bool": true,
            "int8": .int8(-8),
            "uint32": .uint32(4_000_000_000),
            "int64": .int64(-9_000_000_000),
            "double": .double(2.5),
            "decimal": .decimal(scale: 2, value: 12345),
            "timestamp": .timestamp(1_700_000_000),
            "text": "grüße",
            "bytes": .bytes(ByteBuffer(bytes: [0xFF, 0x00])),
            "latin1": .longString(ByteBuffer(bytes: [0xE9])),
            "void": .void,
            "nested": .table(Self.nested),
        ]
        let headers = AMQPHeaderMapping.headers(table)
        #expect(headers["bool"] == .bool(true))
        #expect(headers["int8"] == .int(-8))
        #expect(headers["uint32"] == .uint(4_000_000_000))
        #expect(headers["int64"] == .int(-9_000_000_000))
        #expect(headers["double"] == .double(2.5))
        #expect(headers["decimal"] == .decimal(scale: 2, value: 12345))
        #expect(headers["decimal"]?.text == "123.45")
        #expect(headers["timestamp"] == .timestamp(1_700_000_000))
        #expect(headers["timestamp"]?.text == "2023-11-14T22:13:20Z")
        #expect(headers["text"] == .string("grüße"))
        #expect(headers["bytes"] == .bytes([0xFF, 0x00]))
        #expect(headers["latin1"] == .bytes([0xE9]))
        #expect(headers["void"] == .null)
        #expect(headers["nested"]?.text == #"{"plant":"a","line":7,"inner":{"deep":[-1,"x",false]}}"#)
        #expect(headers.map(\.name) == table.entries.map(\.name), "order kept")

        // Back: same values and kinds; integers come back 64-bit.
        let back = AMQPHeaderMapping.fieldTable(headers)
        #expect(back["bool"] == .bool(true))
        #expect(back["int8"] == .int64(-8))
        #expect(back["uint32"] == .int64(4_000_000_000))
        #expect(back["decimal"] == .decimal(scale: 2, value: 12345))
        #expect(back["timestamp"] == .timestamp(1_700_000_000))
        #expect(back["text"] == "grüße")
        #expect(back["bytes"] == .bytes(ByteBuffer(bytes: [0xFF, 0x00])))
        #expect(back["void"] == .void)
        #expect(AMQPHeaderMapping.headers(back).map(\.value.text) == headers.map(\.value.text), "a second pass keeps every value")
        #expect(AMQPHeaderMapping.amqpValue(.uint(UInt64.max)) == .string("18446744073709551615"))
        #expect(AMQPHeaderMapping.amqpValue(.decimal(scale: 1, value: -5)) == .decimal(scale: 1, value: UInt32(bitPattern: -5)))
    }

    @Test func deliveryBecomesEnvelope() {
        var dropped: [String] = []
        let now = NIODeadline.uptimeNanoseconds(1_000_000_000)
        let properties = BasicProperties(
            contentType: "application/json",
            headers: [
                "site": "berlin",
                "x-death": .array([.table(["count": .int64(1)])]),
                "x-first-death-queue": "q",
                "CC": .array(["other"]),
                "bridge-key": "k-1",
                "bridge-hops": "3",
                "nested": .table(Self.nested),
            ],
            deliveryMode: 2,
            correlationID: "corr",
            replyTo: "replies",
            expiration: "1500",
            messageID: "m-1",
            timestamp: 1_700_000_000
        )
        let envelope = AMQPMessageMapping.envelope(
            properties: properties,
            body: ByteBuffer(string: "body"),
            delivery: .init(connection: "mes", queue: "quality.results", routingKey: "results.a", redelivered: true),
            receivedAt: now,
            dropped: { dropped.append($0) }
        )
        #expect(dropped == ["header:x-death", "header:x-first-death-queue", "header:CC"])
        #expect(envelope.headers.map(\.name) == ["site", "nested"])
        #expect(envelope.keyText == "k-1")
        #expect(envelope.hops == 3)
        #expect(envelope.contentType == "application/json")
        #expect(envelope.correlationID == Array("corr".utf8))
        #expect(envelope.replyTo == "replies")
        #expect(envelope.messageID == "m-1")
        #expect(envelope.timestamp == 1_700_000_000_000)
        #expect(envelope.expiresAt == now + .milliseconds(1500))
        #expect(envelope.bridgeID == "amqp:mes:m-1")
        #expect(!envelope.redelivered, "a message id makes the id stable: no flag")
        #expect(envelope.source.topic == "results.a")
        #expect(envelope.source.bridgeSource == "amqp://mes/quality.results")
        #expect(String(buffer: envelope.payload) == "body")

        let anonymous = AMQPMessageMapping.envelope(
            properties: BasicProperties(expiration: "soon"),
            body: ByteBuffer(),
            delivery: .init(connection: "mes", queue: "q", routingKey: "", redelivered: true),
            receivedAt: now,
            dropped: { dropped.append($0) }
        )
        #expect(anonymous.redelivered)
        #expect(anonymous.bridgeID.count == 36, "a UUID")
        #expect(anonymous.expiresAt == nil)
        #expect(dropped.last == "expiry")
        #expect(anonymous.payload.readableBytes == 0)
    }

    @Test func envelopeBecomesPublishProperties() throws {
        var dropped: [String] = []
        let now = NIODeadline.uptimeNanoseconds(5_000_000_000)
        let envelope = Envelope(
            payload: ByteBuffer(string: "x"),
            source: SourceRef(protocol: .kafka, connection: "erp", topic: "t"),
            bridgeID: "kafka:erp:t:0:7",
            receivedAt: now,
            key: ByteBuffer(string: "key-1"),
            headers: [
                ("site", .string("berlin")),
                ("count", .int(3)),
                ("nested", .table([("a", .array([.bool(true), .null]))])),
                ("bridge-id", .string("upstream")),
                ("bridge-hops", .string("9")),
                ("BCC", .string("elsewhere")),
                ("traceparent", .string("00-abc-def-01")),
            ],
            contentType: "text/plain",
            correlationID: [0xFF],
            messageID: "m-7",
            replyTo: String(repeating: "r", count: 256),
            timestamp: 1_700_000_000_999,
            expiresAt: now + .nanoseconds(1_000_001),
            redelivered: true
        )
        let deadLetter = DeadLetterInfo(error: "unroutable:312 NO_ROUTE", route: "r", destination: "mes/x/k", attempts: 1, source: "kafka://erp/t#0:7")
        guard case .properties(let properties) = AMQPMessageMapping.properties(envelope: envelope, hops: 2, deadLetter: deadLetter, now: now, dropped: { dropped.append($0) }) else {
            Issue.record("not published")
            return
        }
        #expect(dropped == ["reply_to", "correlation_id", "header:BCC"])
        #expect(properties.deliveryMode == 2)
        #expect(properties.contentType == "text/plain")
        #expect(properties.messageID == "m-7")
        #expect(properties.replyTo == nil)
        #expect(properties.correlationID == nil)
        #expect(properties.timestamp == 1_700_000_000)
        #expect(properties.expiration == "2", "1.000001 ms left, rounded up")
        let headers = try #require(properties.headers)
        #expect(headers.entries.map(\.name) == [
            "site", "count", "nested", "traceparent", "bridge-key", "bridge-id", "bridge-hops", "bridge-redelivered",
            "bridge-error", "bridge-route", "bridge-destination", "bridge-attempts", "bridge-source",
        ])
        #expect(headers["count"] == .int64(3))
        #expect(headers["nested"] == .table(["a": .array([.bool(true), .void])]))
        #expect(headers["bridge-key"] == "key-1")
        #expect(headers["bridge-id"] == "kafka:erp:t:0:7")
        #expect(headers["bridge-hops"] == "2")
        #expect(headers["bridge-redelivered"] == .bool(true))
        #expect(headers["bridge-error"] == "unroutable:312 NO_ROUTE")

        let expired = AMQPMessageMapping.properties(envelope: envelope, hops: 1, deadLetter: nil, now: now + .seconds(1), dropped: { _ in })
        guard case .failed(let failure) = expired else {
            Issue.record("an expired message must not be sent")
            return
        }
        #expect(failure == .permanent(FailureReason.expired, "the message expired in the bridge"))
    }

    @Test func prefetchIsTheWindowAndNeverZero() {
        #expect(AMQPAdapter.prefetch(.auto, maxInFlight: 512) == 512)
        #expect(AMQPAdapter.prefetch(.count(100), maxInFlight: 512) == 100)
        #expect(AMQPAdapter.prefetch(.count(1000), maxInFlight: 512) == 512)
        #expect(AMQPAdapter.prefetch(.count(0), maxInFlight: 512) == 1)
        #expect(AMQPAdapter.prefetch(.auto, maxInFlight: 65535) == 65535)
    }

    @Test func reconnectBackoffGrowsWithJitterUpToMax() {
        let settings = ReconnectSettings(initial: .seconds(1), max: .seconds(30))
        #expect(settings.delay(afterFailures: 0, jitter: 1) == .seconds(1))
        #expect(settings.delay(afterFailures: 3, jitter: 1) == .seconds(8))
        #expect(settings.delay(afterFailures: 3, jitter: 0.5) == .seconds(4))
        #expect(settings.delay(afterFailures: 40, jitter: 1) == .seconds(30))
    }
}
