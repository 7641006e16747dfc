import BridgeCore
import NIOCore

/// One destination (or the dead letter) of one route on a Kafka connection: computes the
/// topic and key, maps the envelope to a Kafka record (CONTRACT section 4) and publishes
/// it through the connection's shared ``KafkaProducer``.
public final class KafkaSink: DeliverySink, Sendable {
    let destination: DestinationConfig
    let route: String
    let maxMessageSize: Int
    let producer: KafkaProducer
    let dropped: FieldsDropped

    /// - Parameters:
    ///   - destination: The destination (a Kafka one).
    ///   - route: The route name (for templates).
    ///   - maxMessageSize: The route's `max_message_size`.
    ///   - producer: The connection's producer.
    ///   - dropped: The route's `bridge_fields_dropped_total`.
    public init(destination: DestinationConfig, route: String, maxMessageSize: Int, producer: KafkaProducer, dropped: FieldsDropped) {
        self.destination = destination
        self.route = route
        self.maxMessageSize = maxMessageSize
        self.producer = producer
        self.dropped = dropped
    }

    public func publish(_ request: PublishRequest, for route: RouteDelivery) {
        let envelope = request.envelope
        let topic: String
        let keyText: String?
        switch destination.resolve(envelope, route: self.route) {
        case .success(.kafka(let t, let k)):
            topic = t
            keyText = k
        case .success(let other):
            route.failed(request.tag, .permanent(FailureReason.template, "not a Kafka address: \(other)"))
            return
        case .failure(let failure):
            route.failed(request.tag, .permanent(failure.reason.rawValue, failure.message))
            return
        }
        // The key: the destination's key template, else the message's own key.
        let key: [UInt8]? = keyText.map { Array($0.utf8) } ?? envelope.key.map { Array($0.readableBytesView) }

        var headers = OutgoingHeaders.build(for: request, carriesBytes: true, dropped: dropped)
        var fields: [(name: String, value: OutgoingHeaders.Value)] = []
        if let contentType = envelope.contentType { fields.append(("content-type", .text(contentType))) }
        if let correlationID = envelope.correlationID { fields.append(("correlation-id", .bytes(correlationID))) }
        if let messageID = envelope.messageID { fields.append((BridgeHeader.messageID, .text(messageID))) }
        if let replyTo = envelope.replyTo { fields.append(("reply-to", .text(replyTo))) }
        if !fields.isEmpty {
            // Ahead of the bridge headers, after the message's own.
            let firstBridge = headers.firstIndex { $0.name == BridgeHeader.id } ?? headers.endIndex
            headers.insert(contentsOf: fields, at: firstBridge)
        }
        if envelope.expiresAt != nil { dropped.record("expiry", why: "Kafka records carry no expiry") }

        // The route's max_message_size applies to the message as received (payload and key);
        // librdkafka's message.max.bytes to the whole record, headers included. A dead letter
        // is held to the broker's limit only: a message that was too large for the route must
        // still be able to reach its dead letter.
        let messageSize = envelope.payload.readableBytes + (key?.count ?? 0)
        let recordSize = messageSize + OutgoingHeaders.byteCount(headers)
        let routeCheck = request.deadLetter == nil ? MessageSize.check(size: messageSize, routeLimit: maxMessageSize) : nil
        if let tooLarge = routeCheck
            ?? MessageSize.check(size: recordSize, routeLimit: .max, destinationLimit: (producer.messageMaxBytes, "message.max.bytes"))
        {
            route.failed(request.tag, tooLarge)
            return
        }
        if let failure = producer.produce(
            topic: topic, key: key, payload: envelope.payload, headers: headers, timestamp: envelope.timestamp,
            tag: request.tag, route: route
        ) {
            route.failed(request.tag, failure)
        }
    }
}
