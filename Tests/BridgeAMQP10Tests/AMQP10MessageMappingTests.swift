import AMQP10Protocol
import BridgeCore
import NIOCore
import Testing

@testable import BridgeAMQP10

/// The AMQP 1.0 column of CONTRACT section 4, both ways, without a peer.
@Suite("AMQP 1.0 message mapping")
struct AMQP10MessageMappingTests {
    static func received(_ message: AMQP10Message, now: NIODeadline = .now()) -> Envelope {
        AMQP10MessageMapping.envelope(
            message, delivery: .init(connection: "partner", address: "/queue/orders"), receivedAt: now,
            nowMilliseconds: 1_700_000_000_000, dropped: { _ in }
        )
    }

    @Test("every mapped field of a received message lands in the envelope")
    func inbound() throws {
        let now = NIODeadline.now()
        let message = AMQP10Message(
            header: AMQP10Header(durable: true, ttl: 5000, deliveryCount: 0),
            messageAnnotations: [.symbol("x-opt-partition-key"): .string("k-1")],
            properties: AMQP10Properties(
                messageID: .string("m-1"), subject: "orders.eu", replyTo: "/queue/replies", correlationID: .binary(ByteBuffer(bytes: [0xFF, 0x01])),
                contentType: "application/json", creationTime: 1_700_000_000_123
            ),
            applicationProperties: [
                .string("seq"): .long(7), .string("flag"): .boolean(true), .string("site"): .string("a"),
                .string("bridge-hops"): .long(2), .string("traceparent"): .string("00-abc-def-01"),
            ],
            body: .data([ByteBuffer(string: "hello"), ByteBuffer(string: " world")])
        )
        let envelope = Self.received(message, now: now)
        #expect(envelope.payload == ByteBuffer(string: "hello world"))
        #expect(envelope.keyText == "k-1")
        #expect(envelope.contentType == "application/json")
        #expect(envelope.correlationID == [0xFF, 0x01])
        #expect(envelope.messageID == "m-1")
        #expect(envelope.replyTo == "/queue/replies")
        #expect(envelope.timestamp == 1_700_000_000_123)
        #expect(envelope.expiresAt == now + .milliseconds(5000))
        #expect(envelope.hops == 2)
        #expect(envelope.bridgeID == "amqp10:partner:m-1")
        #expect(!envelope.redelivered)
        #expect(envelope.source.topic == "orders.eu", "{topic} is the subject when there is one")
        #expect(envelope.source.bridgeSource == "amqp10://partner//queue/orders")
        #expect(envelope.headers.map(\.name) == ["seq", "flag", "site", "traceparent"])
        #expect(envelope.headers["seq"] == .int(7))
        #expect(envelope.headers["flag"] == .bool(true))
    }

    @Test("no message-id and a delivery-count above 0: a new UUID with bridge-redelivered")
    func redelivered() {
        let message = AMQP10Message(header: AMQP10Header(deliveryCount: 1), body: .value(.string("text")))
        let envelope = Self.received(message)
        #expect(envelope.redelivered)
        #expect(envelope.bridgeID.count == 36)
        #expect(envelope.payload == ByteBuffer(string: "text"), "an amqp-value string body is its UTF-8 bytes")
        #expect(envelope.source.topic == "/queue/orders", "{topic} is the address without a subject")
    }

    @Test("an envelope becomes a durable message with one data section, typed application-properties and the bridge's headers")
    func outbound() throws {
        var envelope = Envelope(
            payload: ByteBuffer(string: "p"),
            source: SourceRef(protocol: .kafka, connection: "erp", topic: "t", partition: 1, offset: 9),
            bridgeID: "kafka:erp:t:1:9",
            key: ByteBuffer(string: "key-1"),
            headers: [("site", .string("a")), ("n", .int(-3)), ("bridge-id", .string("forged")), ("ts", .timestamp(1_700_000_000))],
            contentType: "text/plain",
            correlationID: Array("c-1".utf8),
            messageID: "m-1",
            replyTo: "r",
            timestamp: 1_700_000_000_500,
            hops: 1
        )
        envelope.expiresAt = .now() + .seconds(10)
        guard case .message(let message, let size) = AMQP10MessageMapping.message(envelope: envelope, hops: 2, deadLetter: nil, now: .now(), dropped: { _ in }) else {
            Issue.record("expected a message")
            return
        }
        #expect(size > 1)
        #expect(message.header?.durable == true)
        let ttl = try #require(message.header?.ttl)
        #expect(ttl > 9000 && ttl <= 10_000)
        #expect(message.messageAnnotations?[symbol: "x-opt-partition-key"] == .string("key-1"))
        #expect(message.properties?.messageID == .string("m-1"))
        #expect(message.properties?.correlationID == .string("c-1"))
        #expect(message.properties?.contentType == "text/plain")
        #expect(message.properties?.replyTo == "r")
        #expect(message.properties?.creationTime == 1_700_000_000_500)
        #expect(message.body == .data([ByteBuffer(string: "p")]))
        let application = try #require(message.applicationProperties)
        #expect(application[string: "site"] == .string("a"))
        #expect(application[string: "n"] == .long(-3))
        #expect(application[string: "ts"] == .timestamp(1_700_000_000_000))
        #expect(application[string: "bridge-id"] == .string("kafka:erp:t:1:9"), "the message's own bridge-id is replaced")
        #expect(application[string: "bridge-hops"] == .long(2))

        // And back: what a bridge reading it would see.
        let encoded = try message.encoded()
        let back = Self.received(try AMQP10Message(decoding: encoded))
        #expect(back.payload == envelope.payload)
        #expect(back.key == envelope.key)
        #expect(back.contentType == envelope.contentType)
        #expect(back.correlationID == envelope.correlationID)
        #expect(back.messageID == envelope.messageID)
        #expect(back.replyTo == envelope.replyTo)
        #expect(back.timestamp == envelope.timestamp)
        #expect(back.hops == 2)
        #expect(back.headers["site"] == .string("a"))
        #expect(back.headers["ts"] == .timestamp(1_700_000_000))
    }

    @Test("a message that expired in the bridge is not sent")
    func expired() {
        var envelope = Envelope(payload: ByteBuffer(), source: SourceRef(protocol: .mqtt, connection: "m", topic: "t"), bridgeID: "b")
        envelope.expiresAt = .now() - .seconds(1)
        guard case .failed(let failure) = AMQP10MessageMapping.message(envelope: envelope, hops: 1, deadLetter: nil, now: .now(), dropped: { _ in }) else {
            Issue.record("expected expired")
            return
        }
        #expect(failure.reason == FailureReason.expired)
        #expect(failure.kind == .permanent)
    }

    @Test("contiguous runs of delivery ids")
    func runs() {
        #expect(AMQP10Source.runs([1, 2, 3, 5, 7, 8]).map { [$0.0, $0.1] } == [[1, 3], [5, 5], [7, 8]])
        #expect(AMQP10Source.runs([]).isEmpty)
    }
}
