import AMQPProtocol
import BridgeCore
import NIOCore

/// An AMQP message ↔ the envelope (CONTRACT section 4, AMQP 0-9-1 column). No I/O.
public enum AMQPMessageMapping {
    /// Where an AMQP delivery came from.
    public struct Delivery: Sendable {
        public var connection: String
        public var queue: String
        public var routingKey: String
        public var redelivered: Bool

        public init(connection: String, queue: String, routingKey: String, redelivered: Bool) {
            self.connection = connection
            self.queue = queue
            self.routingKey = routingKey
            self.redelivered = redelivered
        }
    }

    /// The envelope of a delivered message.
    ///
    /// - Parameters:
    ///   - properties: The content header's properties.
    ///   - body: The body, untouched.
    ///   - delivery: Connection, queue, routing key and the redelivered flag.
    ///   - receivedAt: Now, on the monotonic clock (expiry counts from here).
    ///   - dropped: Called with the field name of each field not carried on
    ///     (`header:x-death`, `expiry` when `expiration` is not a number).
    public static func envelope(
        properties: BasicProperties,
        body: ByteBuffer,
        delivery: Delivery,
        receivedAt: NIODeadline,
        dropped: (String) -> Void
    ) -> Envelope {
        var headers = Headers()
        var key: ByteBuffer?
        var hops = 0
        for entry in properties.headers?.entries ?? [] {
            if BridgeHeader.isBrokerOwnedAMQP(entry.name) {
                dropped("header:\(entry.name)")
                continue
            }
            switch entry.name {
            case BridgeHeader.key:
                switch entry.value {
                case .longString(let bytes), .bytes(let bytes): key = bytes
                default: key = AMQPHeaderMapping.headerValue(entry.value).text.map { ByteBuffer(string: $0) }
                }
            case BridgeHeader.hops:
                hops = AMQPHeaderMapping.integer(entry.value) ?? 0
            default:
                headers.append(entry.name, AMQPHeaderMapping.headerValue(entry.value))
            }
        }
        var expiresAt: NIODeadline?
        if let expiration = properties.expiration {
            if let ms = Int64(expiration), ms >= 0 {
                expiresAt = receivedAt + .milliseconds(ms)
            } else {
                dropped("expiry")
            }
        }
        let messageID = properties.messageID.flatMap { $0.isEmpty ? nil : $0 }
        let bridgeID = BridgeID.amqp(connection: delivery.connection, messageID: messageID)
        return Envelope(
            payload: body,
            source: SourceRef(protocol: .amqp, connection: delivery.connection, topic: delivery.routingKey, name: delivery.queue),
            bridgeID: bridgeID,
            receivedAt: receivedAt,
            key: key,
            headers: headers,
            contentType: properties.contentType,
            correlationID: properties.correlationID.map { Array($0.utf8) },
            messageID: properties.messageID,
            replyTo: properties.replyTo,
            timestamp: properties.timestamp.map { Int64(clamping: $0) &* 1000 },
            expiresAt: expiresAt,
            // Only a message without a stable id needs the flag (CONTRACT section 4).
            redelivered: messageID == nil && delivery.redelivered,
            hops: hops
        )
    }

    /// The properties of a publish, or why it must not be sent.
    public enum Outgoing: Sendable {
        case properties(BasicProperties)
        case failed(PublishFailure)
    }

    /// Headers the bridge writes itself (the shared egress rule), and `bridge-key`, which
    /// comes from the envelope's key.
    static func isBridgeOwned(_ name: String) -> Bool {
        OutgoingHeaders.isBridgeOwned(name) || name == BridgeHeader.key
    }

    /// The properties (with headers) of a publish: the envelope's headers typed, `bridge-key`
    /// from the key, then `bridge-id`, `bridge-hops`, `bridge-redelivered` and a dead
    /// letter's headers; persistent; `expiration` = the time left in ms, rounded up.
    ///
    /// - Parameters:
    ///   - request: What the core asks to publish.
    ///   - now: For the time left before expiry.
    ///   - dropped: Called with each field the AMQP message cannot carry (a short string
    ///     over 255 bytes, a correlation id that is not UTF-8, a broker-owned header).
    /// - Returns: The properties, or the permanent failure `expired` when no time is left.
    public static func properties(
        for request: PublishRequest,
        now: NIODeadline,
        dropped: (String) -> Void
    ) -> Outgoing {
        properties(
            envelope: request.envelope,
            hops: request.hopsToWrite,
            deadLetter: request.deadLetter,
            now: now,
            dropped: dropped
        )
    }

    /// As ``properties(for:now:dropped:)``, from the parts of a request.
    public static func properties(
        envelope: Envelope,
        hops: Int,
        deadLetter: DeadLetterInfo?,
        now: NIODeadline,
        dropped: (String) -> Void
    ) -> Outgoing {
        var properties = BasicProperties(deliveryMode: 2)
        if let left = envelope.remainingExpiry(roundedUpTo: .milliseconds(1), at: now) {
            guard left > 0 else { return .failed(.permanent(FailureReason.expired, "the message expired in the bridge")) }
            properties.expiration = String(left)
        }
        func shortString(_ value: String?, _ field: String) -> String? {
            guard let value else { return nil }
            guard value.utf8.count <= 255 else {
                dropped(field)
                return nil
            }
            return value
        }
        properties.contentType = shortString(envelope.contentType, "content_type")
        properties.messageID = shortString(envelope.messageID, "message_id")
        properties.replyTo = shortString(envelope.replyTo, "reply_to")
        if let correlation = envelope.correlationID {
            if let text = String(validating: correlation, as: UTF8.self) {
                properties.correlationID = shortString(text, "correlation_id")
            } else {
                dropped("correlation_id")
            }
        }
        if let timestamp = envelope.timestamp {
            if timestamp >= 0 { properties.timestamp = UInt64(timestamp / 1000) } else { dropped("timestamp") }
        }

        var table = FieldTable()
        table.entries.reserveCapacity(envelope.headers.count + 4)
        for field in envelope.headers {
            if isBridgeOwned(field.name) { continue }
            if BridgeHeader.isBrokerOwnedAMQP(field.name) {
                dropped("header:\(field.name)")
                continue
            }
            table.append(name: field.name, value: AMQPHeaderMapping.amqpValue(field.value))
        }
        if let key = envelope.key { table.append(name: BridgeHeader.key, value: .longString(key)) }
        table.append(name: BridgeHeader.id, value: .string(envelope.bridgeID))
        table.append(name: BridgeHeader.hops, value: .string(String(hops)))
        if envelope.redelivered { table.append(name: BridgeHeader.redelivered, value: .bool(true)) }
        if let deadLetter {
            for field in deadLetter.headers {
                table.append(name: field.name, value: AMQPHeaderMapping.amqpValue(field.value))
            }
        }
        properties.headers = table
        return .properties(properties)
    }

    /// The bytes of a publish that count against `max_message_size`: body and headers.
    public static func size(body: ByteBuffer, properties: BasicProperties) -> Int {
        var size = body.readableBytes
        for entry in properties.headers?.entries ?? [] {
            size += entry.name.utf8.count + AMQPHeaderMapping.byteCount(entry.value)
        }
        return size
    }
}
