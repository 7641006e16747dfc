import NIOCore

/// The protocols the bridge speaks.
public enum BridgeProtocol: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case mqtt
    case kafka
    case amqp
    case amqp10

    public var description: String { rawValue }
}

/// Where a message came from: enough to fill templates, `bridge-source` and metrics.
public struct SourceRef: Sendable, Hashable {
    public var `protocol`: BridgeProtocol
    /// The connection name from the route file.
    public var connection: String
    /// The value of `{topic}`: the MQTT topic, the Kafka topic, or the AMQP routing key the
    /// message arrived with (AMQP 1.0: the address or subject).
    public var topic: String
    /// The topic or queue named in `bridge-source` (for AMQP the queue, else the topic).
    public var name: String
    /// Kafka partition and offset; nil elsewhere.
    public var partition: Int32?
    public var offset: Int64?

    public init(
        protocol: BridgeProtocol,
        connection: String,
        topic: String,
        name: String? = nil,
        partition: Int32? = nil,
        offset: Int64? = nil
    ) {
        self.protocol = `protocol`
        self.connection = connection
        self.topic = topic
        self.name = name ?? topic
        self.partition = partition
        self.offset = offset
    }

    /// `bridge-source`: `<protocol>://<connection>/<topic or queue>` plus `#<partition>:<offset>` for Kafka.
    public var bridgeSource: String {
        var s = "\(`protocol`.rawValue)://\(connection)/\(name)"
        if let partition, let offset { s += "#\(partition):\(offset)" }
        return s
    }
}

/// One message inside the bridge, whatever protocol it came from (CONTRACT section 4).
///
/// A value type: fan-out copies share the payload's storage (`ByteBuffer` is copy-on-write),
/// so no payload bytes are copied between ingress and egress.
public struct Envelope: Sendable {
    /// The payload bytes, untouched.
    public var payload: ByteBuffer
    /// The message key (Kafka key, MQTT 5 user property `bridge-key`, AMQP header `bridge-key`).
    public var key: ByteBuffer?
    /// Ordered headers (MQTT 5 user properties, Kafka headers, AMQP headers table).
    /// The `bridge-*` headers the bridge adds are not kept here but in the fields below.
    public var headers: Headers
    public var contentType: String?
    public var correlationID: [UInt8]?
    public var messageID: String?
    public var replyTo: String?
    /// Milliseconds since the Unix epoch.
    public var timestamp: Int64?
    /// When the message expires, on the monotonic clock (receive time + the remaining
    /// expiry the source announced). Nil when it does not expire.
    public var expiresAt: NIODeadline?
    /// When the bridge received the message, on the monotonic clock.
    public var receivedAt: NIODeadline

    public var source: SourceRef
    /// `bridge-id`: stable across redeliveries of the same source message.
    public var bridgeID: String
    /// True when `bridgeID` could not be derived stably and the broker flagged a redelivery.
    public var redelivered: Bool
    /// `bridge-hops` as received (0 when absent); the bridge adds one when it publishes.
    public var hops: Int

    public init(
        payload: ByteBuffer,
        source: SourceRef,
        bridgeID: String,
        receivedAt: NIODeadline = .now(),
        key: ByteBuffer? = nil,
        headers: Headers = [],
        contentType: String? = nil,
        correlationID: [UInt8]? = nil,
        messageID: String? = nil,
        replyTo: String? = nil,
        timestamp: Int64? = nil,
        expiresAt: NIODeadline? = nil,
        redelivered: Bool = false,
        hops: Int = 0
    ) {
        self.payload = payload
        self.key = key
        self.headers = headers
        self.contentType = contentType
        self.correlationID = correlationID
        self.messageID = messageID
        self.replyTo = replyTo
        self.timestamp = timestamp
        self.expiresAt = expiresAt
        self.receivedAt = receivedAt
        self.source = source
        self.bridgeID = bridgeID
        self.redelivered = redelivered
        self.hops = hops
    }

    /// The key as text, for `{key}` templates (nil when absent or not UTF-8).
    public var keyText: String? {
        guard let key else { return nil }
        return key.withUnsafeReadableBytes { String(validating: $0, as: UTF8.self) }
    }

    /// The time left before expiry at `now`, or nil when the message does not expire.
    /// Zero or negative means it expired in the bridge.
    public func remainingExpiry(at now: NIODeadline = .now()) -> TimeAmount? {
        expiresAt.map { $0 - now }
    }

    /// Remaining expiry rounded up to whole units of `unit` (CONTRACT: "rounded up"),
    /// or nil when the message does not expire. Returns 0 when it has expired.
    public func remainingExpiry(roundedUpTo unit: TimeAmount, at now: NIODeadline = .now()) -> Int64? {
        guard let left = remainingExpiry(at: now) else { return nil }
        guard left.nanoseconds > 0 else { return 0 }
        return (left.nanoseconds + unit.nanoseconds - 1) / unit.nanoseconds
    }
}

/// Header names the bridge reads and writes.
public enum BridgeHeader {
    public static let id = "bridge-id"
    public static let hops = "bridge-hops"
    public static let redelivered = "bridge-redelivered"
    public static let key = "bridge-key"
    public static let messageID = "message-id"
    public static let error = "bridge-error"
    public static let route = "bridge-route"
    public static let destination = "bridge-destination"
    public static let attempts = "bridge-attempts"
    public static let source = "bridge-source"
    public static let traceparent = "traceparent"
    public static let tracestate = "tracestate"

    /// AMQP headers owned by the broker, never forwarded (CC/BCC would re-route a message).
    public static func isBrokerOwnedAMQP(_ name: String) -> Bool {
        switch name {
        case "x-death", "x-delivery-count", "x-received-from", "CC", "BCC": return true
        default: return name.hasPrefix("x-first-death-") || name.hasPrefix("x-last-death-")
        }
    }
}
