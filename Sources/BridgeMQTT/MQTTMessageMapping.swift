import BridgeCore
import MQTTProtocol
import NIOCore

/// CONTRACT section 4 for MQTT: PUBLISH ↔ envelope.
enum MQTTMessageMapping {
    /// The properties of an outgoing PUBLISH, or why the message must not be sent.
    enum PropertiesOutcome {
        case built(MQTTProperties)
        case failed(PublishFailure)
    }

    /// The envelope of a received PUBLISH (the topic already resolved from a topic alias).
    ///
    /// MQTT 5: user properties become headers, except `bridge-key` (the key), `message-id`
    /// (the message id) and `bridge-hops` (the hop count); content-type, correlation-data,
    /// response-topic (reply-to) and message-expiry-interval (expiry) map to their fields.
    /// MQTT 3.1.1 carries the payload only.
    ///
    /// - Parameters:
    ///   - publish: The packet.
    ///   - topic: Its topic name.
    ///   - connection: The connection name (`bridge-source`, `{topic}`).
    ///   - clientID: The session's client id (`bridge-id`).
    ///   - receivedAt: Receive time on the monotonic clock.
    static func envelope(
        of publish: MQTTPacket.Publish,
        topic: String,
        connection: String,
        clientID: String,
        receivedAt: NIODeadline = .now()
    ) -> Envelope {
        let properties = publish.properties
        var headers = Headers()
        var key: ByteBuffer?
        var messageID: String?
        var hops = 0
        var contentType: String?
        var correlationID: [UInt8]?
        var replyTo: String?
        var expiresAt: NIODeadline?
        for property in properties {
            switch property {
            case .userProperty(let name, let value):
                switch name {
                case BridgeHeader.key where key == nil: key = ByteBuffer(string: value)
                case BridgeHeader.messageID where messageID == nil: messageID = value
                case BridgeHeader.hops: hops = max(hops, Int(value) ?? 0)
                default: headers.append(name, .string(value))
                }
            case .contentType(let value): contentType = value
            case .correlationData(let value): correlationID = Array(value.readableBytesView)
            case .responseTopic(let value): replyTo = value
            case .messageExpiryInterval(let seconds): expiresAt = receivedAt + .seconds(Int64(seconds))
            default: break
            }
        }
        let bridgeID = BridgeID.mqtt(
            clientID: clientID,
            packetID: publish.packetID ?? 0,
            topic: topic,
            payload: publish.payload,
            messageID: messageID
        )
        return Envelope(
            payload: publish.payload,
            source: SourceRef(protocol: .mqtt, connection: connection, topic: topic),
            bridgeID: bridgeID,
            receivedAt: receivedAt,
            key: key,
            headers: headers,
            contentType: contentType,
            correlationID: correlationID,
            messageID: messageID,
            replyTo: replyTo,
            expiresAt: expiresAt,
            hops: hops
        )
    }

    /// Whether MQTT can carry a string as a user property name or value: UTF-8 (a Swift
    /// string always is) without U+0000 (a broker disconnects a client that sends one).
    static func isCarriable(_ text: String) -> Bool {
        !text.utf8.contains(0)
    }

    /// The properties of an outgoing PUBLISH for a request (MQTT 5), or nil for 3.1.1;
    /// what cannot be carried is reported to `dropped` under its envelope field name.
    ///
    /// - Returns: The properties, or a permanent `expired` failure when the message expired.
    static func properties(
        for request: PublishRequest,
        version: MQTTVersion,
        dropped: FieldsDropped?,
        now: NIODeadline = .now()
    ) -> PropertiesOutcome {
        let envelope = request.envelope
        if envelope.timestamp != nil { dropped?.record("timestamp") }
        guard version == .v5 else {
            if envelope.key != nil { dropped?.record("key") }
            if envelope.contentType != nil { dropped?.record("content_type") }
            if envelope.correlationID != nil { dropped?.record("correlation_id") }
            if envelope.messageID != nil { dropped?.record("message_id") }
            if envelope.replyTo != nil { dropped?.record("reply_to") }
            if envelope.expiresAt != nil { dropped?.record("expiry") }
            for field in envelope.headers where !OutgoingHeaders.isBridgeOwned(field.name) {
                dropped?.record("header:\(field.name)")
            }
            return .built([])
        }
        var properties = MQTTProperties()
        if let seconds = envelope.remainingExpiry(roundedUpTo: .seconds(1), at: now) {
            guard seconds > 0 else { return .failed(.permanent(FailureReason.expired, "the message expired in the bridge")) }
            properties.append(.messageExpiryInterval(UInt32(clamping: seconds)))
        }
        if let contentType = envelope.contentType {
            if isCarriable(contentType) { properties.append(.contentType(contentType)) } else { dropped?.record("content_type") }
        }
        if let replyTo = envelope.replyTo {
            if isCarriable(replyTo) && !replyTo.isEmpty && !replyTo.contains("+") && !replyTo.contains("#") {
                properties.append(.responseTopic(replyTo))
            } else {
                dropped?.record("reply_to")
            }
        }
        if let correlation = envelope.correlationID {
            properties.append(.correlationData(ByteBuffer(bytes: correlation)))
        }
        let headers = OutgoingHeaders.build(for: request, carriesBytes: false, dropped: dropped) { name in
            name == BridgeHeader.key || name == BridgeHeader.messageID
        }
        for header in headers {
            guard case .text(let value) = header.value, isCarriable(header.name), isCarriable(value) else {
                dropped?.record("header:\(header.name)")
                continue
            }
            properties.append(.userProperty(name: header.name, value: value))
        }
        if let key = envelope.key {
            if let text = envelope.keyText, isCarriable(text) {
                properties.append(.userProperty(name: BridgeHeader.key, value: text))
            } else {
                _ = key
                dropped?.record("key")
            }
        }
        if let messageID = envelope.messageID {
            if isCarriable(messageID) {
                properties.append(.userProperty(name: BridgeHeader.messageID, value: messageID))
            } else {
                dropped?.record("message_id")
            }
        }
        return .built(properties)
    }
}
