@testable import BridgeCore
@testable import BridgeMQTT
import Logging
import MQTTProtocol
import MetricsTestKit
import NIOCore
import Testing

/// CONTRACT section 4 for MQTT, both ways, and the PUBACK reason codes.
@Suite struct MQTTMessageMappingTests {
    static func request(_ envelope: Envelope) -> PublishRequest {
        PublishRequest(
            tag: DeliveryTag(slot: 0, destinationIndex: 0, isDeadLetter: false, attempt: 1, sequence: 1),
            message: MessageBox(envelope),
            deadLetterBox: nil
        )
    }

    @Test func inboundV5PropertiesBecomeEnvelopeFields() {
        let now = NIODeadline.now()
        let publish = MQTTPacket.Publish(
            topic: "plant/a/batch/7",
            payload: ByteBuffer(string: "hello"),
            qos: .atLeastOnce,
            packetID: 42,
            properties: [
                .userProperty(name: "site", value: "berlin"),
                .userProperty(name: "bridge-key", value: "k1"),
                .userProperty(name: "bridge-hops", value: "3"),
                .userProperty(name: "site", value: "second"),
                .contentType("text/plain"),
                .correlationData(ByteBuffer(bytes: [1, 2, 3])),
                .responseTopic("reply/here"),
                .messageExpiryInterval(60),
            ]
        )
        let envelope = MQTTMessageMapping.envelope(of: publish, topic: publish.topic, connection: "plant", clientID: "c-1-r", receivedAt: now)
        #expect(envelope.headers.map(\.name) == ["site", "site"])
        #expect(envelope.headers[1].value == .string("second"))
        #expect(envelope.keyText == "k1")
        #expect(envelope.hops == 3)
        #expect(envelope.contentType == "text/plain")
        #expect(envelope.correlationID == [1, 2, 3])
        #expect(envelope.replyTo == "reply/here")
        #expect(envelope.expiresAt == now + .seconds(60))
        #expect(envelope.source.bridgeSource == "mqtt://plant/plant/a/batch/7")
        #expect(envelope.bridgeID.hasPrefix("mqtt:c-1-r:42:"))
        #expect(envelope.bridgeID.count == "mqtt:c-1-r:42:".count + 8)

        // A DUP redelivery keeps the packet id, so keeps the bridge-id.
        var dup = publish
        dup.dup = true
        #expect(MQTTMessageMapping.envelope(of: dup, topic: dup.topic, connection: "plant", clientID: "c-1-r").bridgeID == envelope.bridgeID)
    }

    @Test func publisherMessageIDIsTheBridgeID() {
        let publish = MQTTPacket.Publish(
            topic: "t", payload: ByteBuffer(), qos: .atLeastOnce, packetID: 1,
            properties: [.userProperty(name: "message-id", value: "order-17")]
        )
        let envelope = MQTTMessageMapping.envelope(of: publish, topic: "t", connection: "c", clientID: "x")
        #expect(envelope.messageID == "order-17")
        #expect(envelope.bridgeID == "order-17")
        #expect(envelope.headers.isEmpty)
    }

    @Test func outboundV5PropertiesFromTheEnvelope() throws {
        let now = NIODeadline.now()
        let envelope = Envelope(
            payload: ByteBuffer(string: "p"),
            source: SourceRef(protocol: .kafka, connection: "erp", topic: "orders"),
            bridgeID: "kafka:erp:orders:0:7",
            receivedAt: now,
            key: ByteBuffer(string: "key-1"),
            headers: [("site", .string("berlin")), ("count", .int(7)), ("bad", .string("a\u{0}b")), ("bridge-id", .string("upstream"))],
            contentType: "application/json",
            correlationID: [9, 9],
            messageID: "m-1",
            replyTo: "replies/1",
            timestamp: 1_700_000_000_000,
            expiresAt: now + .milliseconds(2_500),
            hops: 1
        )
        let metrics = TestMetrics()
        let dropped = FieldsDropped(route: "r", logger: Logger(label: "test"), factory: metrics)
        guard case .built(let properties) = MQTTMessageMapping.properties(for: Self.request(envelope), version: .v5, dropped: dropped, now: now) else {
            Issue.record("not built")
            return
        }
        #expect(properties.messageExpiryInterval == 3)  // 2.5 s rounded up
        #expect(properties.contentType == "application/json")
        #expect(properties.responseTopic == "replies/1")
        #expect(properties.correlationData == ByteBuffer(bytes: [9, 9]))
        let users = properties.userProperties.map { "\($0.name)=\($0.value)" }
        #expect(users == ["site=berlin", "count=7", "bridge-id=kafka:erp:orders:0:7", "bridge-hops=2", "bridge-key=key-1", "message-id=m-1"])
        #expect(try metrics.expectCounter("bridge_fields_dropped_total", [("route", "r"), ("field", "header:bad")]).totalValue == 1)
        #expect(try metrics.expectCounter("bridge_fields_dropped_total", [("route", "r"), ("field", "timestamp")]).totalValue == 1)

        // And back: what we publish reads as the same envelope fields.
        let back = MQTTMessageMapping.envelope(
            of: MQTTPacket.Publish(topic: "x", payload: envelope.payload, qos: .atLeastOnce, packetID: 5, properties: properties),
            topic: "x", connection: "c", clientID: "id", receivedAt: now
        )
        #expect(back.keyText == "key-1")
        #expect(back.messageID == "m-1")
        #expect(back.bridgeID == "m-1")
        #expect(back.hops == 2)
        #expect(back.contentType == "application/json")
        #expect(back.replyTo == "replies/1")
        #expect(back.correlationID == [9, 9])
        #expect(back.headers.map(\.name) == ["site", "count", "bridge-id"])
    }

    @Test func v311CarriesNoneAndCountsThem() throws {
        let envelope = Envelope(
            payload: ByteBuffer(string: "p"),
            source: SourceRef(protocol: .amqp, connection: "mes", topic: "q"),
            bridgeID: "b",
            key: ByteBuffer(string: "k"),
            headers: [("site", .string("x"))],
            contentType: "text/plain",
            messageID: "m"
        )
        let metrics = TestMetrics()
        let dropped = FieldsDropped(route: "r", logger: Logger(label: "test"), factory: metrics)
        guard case .built(let properties) = MQTTMessageMapping.properties(for: Self.request(envelope), version: .v311, dropped: dropped) else {
            Issue.record("not built")
            return
        }
        #expect(properties.isEmpty)
        for field in ["key", "content_type", "message_id", "header:site"] {
            #expect(try metrics.expectCounter("bridge_fields_dropped_total", [("route", "r"), ("field", field)]).totalValue == 1)
        }
    }

    @Test func expiredInTheBridgeIsAPermanentFailure() {
        let now = NIODeadline.now()
        let envelope = Envelope(
            payload: ByteBuffer(), source: SourceRef(protocol: .mqtt, connection: "c", topic: "t"), bridgeID: "b",
            receivedAt: now - .seconds(5), expiresAt: now - .seconds(1)
        )
        guard case .failed(let failure) = MQTTMessageMapping.properties(for: Self.request(envelope), version: .v5, dropped: nil, now: now) else {
            Issue.record("built")
            return
        }
        #expect(failure.reason == "expired" && failure.kind == .permanent)
    }

    @Test func pubackReasonCodes() {
        func failure(_ code: UInt8, require: Bool = false) -> PublishFailure? {
            MQTTPublisher.failure(for: MQTTReasonCode(rawValue: code), reasonString: nil, requireSubscribers: require)
        }
        #expect(failure(0x00) == nil)
        #expect(failure(0x10) == nil)
        #expect(failure(0x10, require: true)?.kind == .transient)
        #expect(failure(0x87)?.kind == .permanent)
        #expect(failure(0x90)?.kind == .permanent)
        #expect(failure(0x95)?.reason == "too_large")
        #expect(failure(0x99)?.kind == .permanent)
        #expect(failure(0x97)?.kind == .transient)
        #expect(failure(0x80)?.kind == .transient)
    }
}
