import BridgeCore
import CoreMetrics
import Logging
import MetricsTestKit
import NIOCore
import Testing

@Suite struct EgressTests {
    /// A publish request as the core hands it out, for a message with `headers`.
    func request(headers: Headers, hops: Int = 0, redelivered: Bool = false, deadLetter: Bool = false) throws -> PublishRequest {
        let policy = try DeliveryPolicy(
            route: "r", sourceProtocol: .kafka, destinations: [.init(connection: "out", description: "out/t")],
            deadLetter: deadLetter ? .init(connection: "dead", description: "dead/d") : nil,
            retry: .init(attempts: 1), exhausted: deadLetter ? .deadLetter : .block
        )
        var machine = DeliveryStateMachine(policy: policy, metricsFactory: NOOPMetricsHandler.instance)
        var actions = DeliveryActions()
        let now = NIODeadline.uptimeNanoseconds(1)
        _ = machine.assign(partition: 0, now: now, into: &actions)
        let envelope = Envelope(
            payload: ByteBuffer(string: "p"),
            source: SourceRef(protocol: .kafka, connection: "in", topic: "t", partition: 0, offset: 7),
            bridgeID: "kafka:in:t:0:7", receivedAt: now, headers: headers, redelivered: redelivered, hops: hops
        )
        _ = machine.receive(envelope, partition: 0, token: 7, now: now, into: &actions)
        var publish: PublishRequest?
        while let action = actions.popFirst() { if case .publish(let r) = action { publish = r } }
        guard deadLetter, let first = publish else { return try #require(publish) }
        machine.failed(first.tag, .permanent("too_large", "big"), now: now, into: &actions)
        publish = nil
        while let action = actions.popFirst() { if case .publish(let r) = action { publish = r } }
        return try #require(publish)
    }

    @Test func bridgeHeadersFollowTheMessageHeaders() throws {
        let r = try request(headers: [("a", .string("1")), ("bridge-hops", .string("5")), ("n", .int(3))], hops: 2, redelivered: true)
        let headers = OutgoingHeaders.build(for: r, carriesBytes: true, dropped: nil)
        #expect(headers.map(\.name) == ["a", "n", "bridge-id", "bridge-hops", "bridge-redelivered"])
        #expect(headers[1].value == .text("3"))
        #expect(headers[2].value == .text("kafka:in:t:0:7"))
        #expect(headers[3].value == .text("3"))
        #expect(headers[4].value == .text("true"))
    }

    @Test func bytesPassToByteDestinationsAndAreDroppedAndCountedForTextOnes() throws {
        let metrics = TestMetrics()
        let dropped = FieldsDropped(route: "r", logger: Logger(label: "test"), factory: metrics)
        let r = try request(headers: [("bin", .bytes([0xff, 0xfe])), ("ok", .bytes(Array("yes".utf8)))])
        let kafka = OutgoingHeaders.build(for: r, carriesBytes: true, dropped: dropped)
        #expect(kafka[0].value == .bytes([0xff, 0xfe]))
        let text = OutgoingHeaders.build(for: r, carriesBytes: false, dropped: dropped)
        #expect(text.map(\.name) == ["ok", "bridge-id", "bridge-hops"])
        #expect(text[0].value == .text("yes"))
        _ = OutgoingHeaders.build(for: r, carriesBytes: false, dropped: dropped)
        let counter = try metrics.expectCounter("bridge_fields_dropped_total", [("route", "r"), ("field", "header:bin")])
        #expect(counter.totalValue == 2)
    }

    @Test func deadLetterHeaders() throws {
        let r = try request(headers: [], deadLetter: true)
        let headers = OutgoingHeaders.build(for: r, carriesBytes: false, dropped: nil)
        #expect(
            headers.map(\.name) == [
                "bridge-id", "bridge-hops", "bridge-error", "bridge-route", "bridge-destination", "bridge-attempts", "bridge-source",
            ]
        )
        #expect(headers[2].value == .text("too_large:big"))
        #expect(headers[5].value == .text("1"))
        #expect(headers[6].value == .text("kafka://in/t#0:7"))
    }

    @Test func sizeLimits() {
        #expect(MessageSize.check(size: 10, routeLimit: 10) == nil)
        #expect(MessageSize.check(size: 11, routeLimit: 10)?.reason == "too_large")
        #expect(MessageSize.check(size: 11, routeLimit: 100, destinationLimit: (10, "message.max.bytes"))?.kind == .permanent)
        #expect(MessageSize.check(size: 11, routeLimit: 100, destinationLimit: (20, "message.max.bytes")) == nil)
    }
}
