import BridgeCore
import MQTTProtocol
import NIOCore

/// The sink of one MQTT destination (`to: { connection, topic, qos, retain,
/// require_subscribers }`) over its connection's shared publishing client.
///
/// Each publish: the topic template is filled (a failure is permanent), the MQTT 5
/// properties are built from the envelope (3.1.1 carries none: each field is counted as
/// dropped), the size is checked against the route's `max_message_size` and the broker's
/// maximum packet size (`too_large`, permanent), and the publisher writes it. QoS 1 is
/// confirmed on PUBACK, QoS 2 on PUBCOMP, QoS 0 when written.
public final class MQTTSink: DeliverySink, Sendable {
    public let destination: DestinationConfig
    public let maxMessageSize: Int
    private let qos: QoS
    private let retain: Bool
    private let requireSubscribers: Bool
    private let publisher: MQTTPublisher
    private let dropped: FieldsDropped?

    init(destination: DestinationConfig, maxMessageSize: Int, publisher: MQTTPublisher, dropped: FieldsDropped?) throws {
        guard case .mqtt(_, let qos, let retain, let requireSubscribers) = destination.target else {
            throw MQTTAdapterError("destination \(destination.description) is not an MQTT topic")
        }
        self.destination = destination
        self.maxMessageSize = maxMessageSize
        self.qos = QoS(rawValue: UInt8(clamping: max(0, min(qos, 2)))) ?? .atLeastOnce
        self.retain = retain
        self.requireSubscribers = requireSubscribers
        self.publisher = publisher
        self.dropped = dropped
    }

    public func publish(_ request: PublishRequest, for route: RouteDelivery) {
        let envelope = request.envelope
        let topic: String
        switch destination.resolve(envelope, route: route.policy.route) {
        case .success(.mqtt(let resolved)):
            topic = resolved
        case .success:
            route.failed(request.tag, .permanent(FailureReason.template, "not an MQTT address"))
            return
        case .failure(let failure):
            route.failed(request.tag, .permanent(failure.reason.rawValue, failure.message))
            return
        }
        let properties: MQTTProperties
        switch MQTTMessageMapping.properties(for: request, version: publisher.connection.options.version, dropped: dropped) {
        case .built(let built): properties = built
        case .failed(let failure):
            route.failed(request.tag, failure)
            return
        }
        var headerBytes = 0
        for property in properties {
            if case .userProperty(let name, let value) = property { headerBytes += name.utf8.count + value.utf8.count }
        }
        // A dead letter is not held to the route's max_message_size: a message too large for
        // the route must still reach its dead letter (the broker's maximum packet size still applies).
        if request.deadLetter == nil,
            let tooLarge = MessageSize.check(size: envelope.payload.readableBytes + headerBytes, routeLimit: maxMessageSize)
        {
            route.failed(request.tag, tooLarge)
            return
        }
        let publish = MQTTPacket.Publish(topic: topic, payload: envelope.payload, qos: qos, retain: retain, properties: properties)
        publisher.enqueue(.init(publish: publish, tag: request.tag, route: route, requireSubscribers: requireSubscribers))
    }
}

/// A configuration mismatch when making a source or sink.
public struct MQTTAdapterError: Error, Sendable, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}
