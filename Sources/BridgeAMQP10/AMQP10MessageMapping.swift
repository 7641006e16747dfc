import AMQP10Protocol
import BridgeCore
import NIOCore

/// An AMQP 1.0 message ↔ the envelope (CONTRACT section 4, AMQP 1.0 column). No I/O.
///
/// | envelope | AMQP 1.0 |
/// | --- | --- |
/// | payload | the data section(s), joined (an amqp-value of binary or string: its bytes) |
/// | key | message-annotation `x-opt-partition-key` |
/// | headers | application-properties, typed (long, ulong, boolean, double, timestamp, binary, string) |
/// | content_type | properties.content-type |
/// | correlation_id | properties.correlation-id |
/// | message_id | properties.message-id |
/// | reply_to | properties.reply-to |
/// | timestamp | properties.creation-time |
/// | expiry | header.ttl (ms; absolute-expiry-time when there is no ttl) |
public enum AMQP10MessageMapping {
    /// The message-annotation that carries the key.
    public static let partitionKey = "x-opt-partition-key"

    /// Where a delivery came from.
    public struct Delivery: Sendable {
        public var connection: String
        public var address: String

        public init(connection: String, address: String) {
            self.connection = connection
            self.address = address
        }
    }

    /// The envelope of a received message.
    ///
    /// - Parameters:
    ///   - message: The decoded message.
    ///   - delivery: Connection and source address.
    ///   - receivedAt: Now, on the monotonic clock (expiry counts from here).
    ///   - nowMilliseconds: Wall clock now, for `absolute-expiry-time`.
    ///   - dropped: Called with the field name of each field not carried on.
    public static func envelope(
        _ message: AMQP10Message,
        delivery: Delivery,
        receivedAt: NIODeadline,
        nowMilliseconds: Int64,
        dropped: (String) -> Void
    ) -> Envelope {
        let payload: ByteBuffer
        switch message.body {
        case .data:
            payload = message.data ?? ByteBuffer()
        case .value(.binary(let bytes)):
            payload = bytes
        case .value(.string(let text)):
            payload = ByteBuffer(string: text)
        case .value(.null):
            payload = ByteBuffer()
        case .value(let value):
            // Any other value: its AMQP encoding, untouched.
            payload = (try? value.encoded()) ?? ByteBuffer()
        case .sequence(let lists):
            var bytes = ByteBuffer()
            for list in lists { try? AMQP10Value.list(list).encode(into: &bytes) }
            payload = bytes
        }

        var key: ByteBuffer?
        if let annotation = message.messageAnnotations?[symbol: partitionKey] {
            switch annotation {
            case .binary(let bytes): key = bytes
            case .string(let text), .symbol(let text): key = ByteBuffer(string: text)
            default: key = headerValue(annotation).text.map { ByteBuffer(string: $0) }
            }
        }

        var headers = Headers()
        var hops = 0
        for entry in message.applicationProperties?.entries ?? [] {
            let name: String
            switch entry.key {
            case .string(let s), .symbol(let s): name = s
            default: continue
            }
            if name == BridgeHeader.hops {
                hops = integer(entry.value) ?? 0
                continue
            }
            headers.append(name, headerValue(entry.value))
        }

        let properties = message.properties
        let messageID = properties?.messageID.map(text)
        var expiresAt: NIODeadline?
        if let ttl = message.header?.ttl {
            expiresAt = receivedAt + .milliseconds(Int64(ttl))
        } else if let absolute = properties?.absoluteExpiryTime, absolute > 0 {
            expiresAt = receivedAt + .milliseconds(absolute - nowMilliseconds)
        }
        let topic = properties?.subject ?? delivery.address
        let redelivered = (message.header?.deliveryCount ?? 0) > 0
        let stableID = messageID.flatMap { $0.isEmpty ? nil : $0 }
        return Envelope(
            payload: payload,
            source: SourceRef(protocol: .amqp10, connection: delivery.connection, topic: topic, name: delivery.address),
            bridgeID: BridgeID.amqp10(connection: delivery.connection, messageID: stableID),
            receivedAt: receivedAt,
            key: key,
            headers: headers,
            contentType: properties?.contentType,
            correlationID: properties?.correlationID.map(bytes),
            messageID: messageID,
            replyTo: properties?.replyTo,
            timestamp: properties?.creationTime,
            expiresAt: expiresAt,
            // Only a message without a stable id needs the flag (CONTRACT section 4).
            redelivered: stableID == nil && redelivered,
            hops: hops
        )
    }

    /// The message of a publish, or why it must not be sent.
    public enum Outgoing: Sendable {
        case message(AMQP10Message, size: Int)
        case failed(PublishFailure)
    }

    /// The message for a publish: a durable header with the time left as ttl, the key as
    /// `x-opt-partition-key`, the properties, the headers typed in application-properties
    /// followed by the bridge's (`bridge-id`, `bridge-hops`, `bridge-redelivered`, a dead
    /// letter's), and the payload as one data section.
    ///
    /// - Parameters:
    ///   - request: What the core asks to publish.
    ///   - now: For the time left before expiry.
    ///   - dropped: Called with each field the message cannot carry (a content type that
    ///     is not ASCII).
    /// - Returns: The message and the bytes that count against `max_message_size` (payload,
    ///   key and headers), or the permanent failure `expired`.
    public static func message(for request: PublishRequest, now: NIODeadline, dropped: (String) -> Void) -> Outgoing {
        message(envelope: request.envelope, hops: request.hopsToWrite, deadLetter: request.deadLetter, now: now, dropped: dropped)
    }

    /// As ``message(for:now:dropped:)``, from the parts of a request.
    public static func message(
        envelope: Envelope,
        hops: Int,
        deadLetter: DeadLetterInfo?,
        now: NIODeadline,
        dropped: (String) -> Void
    ) -> Outgoing {
        var header = AMQP10Header(durable: true)
        if let left = envelope.remainingExpiry(roundedUpTo: .milliseconds(1), at: now) {
            guard left > 0 else { return .failed(.permanent(FailureReason.expired, "the message expired in the bridge")) }
            header.ttl = UInt32(clamping: left)
        }
        var size = envelope.payload.readableBytes

        var annotations: AMQP10Map?
        if let key = envelope.key {
            size += key.readableBytes
            let value: AMQP10Value =
                key.withUnsafeReadableBytes { String(validating: $0, as: UTF8.self) }.map { .string($0) } ?? .binary(key)
            annotations = [.symbol(partitionKey): value]
        }

        var properties = AMQP10Properties()
        if let messageID = envelope.messageID { properties.messageID = .string(messageID) }
        if let correlation = envelope.correlationID {
            if let text = String(validating: correlation, as: UTF8.self) {
                properties.correlationID = .string(text)
            } else {
                properties.correlationID = .binary(ByteBuffer(bytes: correlation))
            }
        }
        if let contentType = envelope.contentType {
            // A symbol: ASCII only.
            if contentType.utf8.allSatisfy({ $0 < 0x80 }) { properties.contentType = contentType } else { dropped("content_type") }
        }
        properties.replyTo = envelope.replyTo
        properties.creationTime = envelope.timestamp

        var application = AMQP10Map()
        application.entries.reserveCapacity(envelope.headers.count + 6)
        for field in envelope.headers {
            if OutgoingHeaders.isBridgeOwned(field.name) { continue }
            let value = amqpValue(field.value)
            size += field.name.utf8.count + byteCount(value)
            application.entries.append(.init(key: .string(field.name), value: value))
        }
        func bridge(_ name: String, _ value: AMQP10Value) {
            size += name.utf8.count + byteCount(value)
            application.entries.append(.init(key: .string(name), value: value))
        }
        bridge(BridgeHeader.id, .string(envelope.bridgeID))
        bridge(BridgeHeader.hops, .long(Int64(hops)))
        if envelope.redelivered { bridge(BridgeHeader.redelivered, .boolean(true)) }
        if let deadLetter {
            for field in deadLetter.headers { bridge(field.name, amqpValue(field.value)) }
        }
        let message = AMQP10Message(
            header: header,
            messageAnnotations: annotations,
            properties: properties,
            applicationProperties: application,
            body: .data([envelope.payload])
        )
        return .message(message, size: size)
    }

    // MARK: Values

    /// An application-property value as a header value. Timestamps keep their milliseconds
    /// as an ISO 8601 text would lose them: they become the millisecond count.
    public static func headerValue(_ value: AMQP10Value) -> HeaderValue {
        switch value {
        case .null: return .null
        case .boolean(let b): return .bool(b)
        case .ubyte(let u): return .uint(UInt64(u))
        case .ushort(let u): return .uint(UInt64(u))
        case .uint(let u): return .uint(UInt64(u))
        case .ulong(let u): return .uint(u)
        case .byte(let i): return .int(Int64(i))
        case .short(let i): return .int(Int64(i))
        case .int(let i): return .int(Int64(i))
        case .long(let i): return .int(i)
        case .float(let f): return .double(Double(f))
        case .double(let d): return .double(d)
        case .timestamp(let ms):
            return ms % 1000 == 0 ? .timestamp(ms / 1000) : .int(ms)
        case .uuid(let uuid): return .string(uuid.description)
        case .binary(let bytes): return .bytes(Array(bytes.readableBytesView))
        case .string(let s), .symbol(let s): return .string(s)
        case .char(let c): return .string(String(Character(c)))
        case .list(let values), .array(let values): return .array(values.map(headerValue))
        case .map(let map):
            var headers = Headers()
            for entry in map.entries {
                headers.append(headerValue(entry.key).text ?? "", headerValue(entry.value))
            }
            return .table(headers)
        case .described(_, let inner): return headerValue(inner)
        case .decimal32, .decimal64, .decimal128: return .string("\(value)")
        }
    }

    /// A header value as an application-property value: application-properties hold simple
    /// values only, so nested tables and arrays travel as compact JSON text and AMQP
    /// decimals as their decimal text.
    public static func amqpValue(_ value: HeaderValue) -> AMQP10Value {
        switch value {
        case .string(let s): return .string(s)
        case .bytes(let b): return .binary(ByteBuffer(bytes: b))
        case .bool(let b): return .boolean(b)
        case .int(let i): return .long(i)
        case .uint(let u): return .ulong(u)
        case .double(let d): return .double(d)
        case .timestamp(let seconds): return .timestamp(seconds &* 1000)
        case .null: return .null
        case .decimal, .table, .array: return .string(value.text ?? "")
        }
    }

    /// Text of a message id or correlation id: strings as they are, numbers in decimal,
    /// UUIDs canonical, binary as UTF-8 when it is, else lower-case hex.
    static func text(_ id: AMQP10MessageID) -> String {
        switch id {
        case .string(let s): return s
        case .ulong(let u): return String(u)
        case .uuid(let uuid): return uuid.description
        case .binary(let bytes):
            let array = Array(bytes.readableBytesView)
            if let s = String(validating: array, as: UTF8.self) { return s }
            return array.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
        }
    }

    static func bytes(_ id: AMQP10MessageID) -> [UInt8] {
        if case .binary(let bytes) = id { return Array(bytes.readableBytesView) }
        return Array(text(id).utf8)
    }

    static func integer(_ value: AMQP10Value) -> Int? {
        switch value {
        case .byte(let i): Int(i)
        case .short(let i): Int(i)
        case .int(let i): Int(i)
        case .long(let i): Int(exactly: i)
        case .ubyte(let u): Int(u)
        case .ushort(let u): Int(u)
        case .uint(let u): Int(u)
        case .ulong(let u): Int(exactly: u)
        case .string(let s): Int(s)
        default: nil
        }
    }

    static func byteCount(_ value: AMQP10Value) -> Int {
        switch value {
        case .string(let s), .symbol(let s): return s.utf8.count
        case .binary(let b): return b.readableBytes
        default: return 8
        }
    }
}
