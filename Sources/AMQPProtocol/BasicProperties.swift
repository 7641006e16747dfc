import NIOCore

/// The 14 properties of class basic, carried in a content header. nil means absent
/// (its flag bit clear); an empty string is present and empty.
public struct BasicProperties: Sendable, Hashable {
    public var contentType: String?
    public var contentEncoding: String?
    public var headers: FieldTable?
    /// 1 transient, 2 persistent.
    public var deliveryMode: UInt8?
    public var priority: UInt8?
    public var correlationID: String?
    public var replyTo: String?
    /// Milliseconds, as text (RabbitMQ's per-message TTL).
    public var expiration: String?
    public var messageID: String?
    /// Seconds since the Unix epoch.
    public var timestamp: UInt64?
    public var type: String?
    public var userID: String?
    public var appID: String?
    /// Deprecated by the spec; kept so nothing the peer sent is lost.
    public var clusterID: String?

    public init(
        contentType: String? = nil,
        contentEncoding: String? = nil,
        headers: FieldTable? = nil,
        deliveryMode: UInt8? = nil,
        priority: UInt8? = nil,
        correlationID: String? = nil,
        replyTo: String? = nil,
        expiration: String? = nil,
        messageID: String? = nil,
        timestamp: UInt64? = nil,
        type: String? = nil,
        userID: String? = nil,
        appID: String? = nil,
        clusterID: String? = nil
    ) {
        self.contentType = contentType
        self.contentEncoding = contentEncoding
        self.headers = headers
        self.deliveryMode = deliveryMode
        self.priority = priority
        self.correlationID = correlationID
        self.replyTo = replyTo
        self.expiration = expiration
        self.messageID = messageID
        self.timestamp = timestamp
        self.type = type
        self.userID = userID
        self.appID = appID
        self.clusterID = clusterID
    }

    /// Flag bits, highest first: content-type is bit 15, cluster-id bit 2. Bit 0 says
    /// another flags word follows.
    enum Flag {
        static let contentType: UInt16 = 1 << 15
        static let contentEncoding: UInt16 = 1 << 14
        static let headers: UInt16 = 1 << 13
        static let deliveryMode: UInt16 = 1 << 12
        static let priority: UInt16 = 1 << 11
        static let correlationID: UInt16 = 1 << 10
        static let replyTo: UInt16 = 1 << 9
        static let expiration: UInt16 = 1 << 8
        static let messageID: UInt16 = 1 << 7
        static let timestamp: UInt16 = 1 << 6
        static let type: UInt16 = 1 << 5
        static let userID: UInt16 = 1 << 4
        static let appID: UInt16 = 1 << 3
        static let clusterID: UInt16 = 1 << 2
        static let continuation: UInt16 = 1 << 0
    }

    var flags: UInt16 {
        var flags: UInt16 = 0
        if self.contentType != nil { flags |= Flag.contentType }
        if self.contentEncoding != nil { flags |= Flag.contentEncoding }
        if self.headers != nil { flags |= Flag.headers }
        if self.deliveryMode != nil { flags |= Flag.deliveryMode }
        if self.priority != nil { flags |= Flag.priority }
        if self.correlationID != nil { flags |= Flag.correlationID }
        if self.replyTo != nil { flags |= Flag.replyTo }
        if self.expiration != nil { flags |= Flag.expiration }
        if self.messageID != nil { flags |= Flag.messageID }
        if self.timestamp != nil { flags |= Flag.timestamp }
        if self.type != nil { flags |= Flag.type }
        if self.userID != nil { flags |= Flag.userID }
        if self.appID != nil { flags |= Flag.appID }
        if self.clusterID != nil { flags |= Flag.clusterID }
        return flags
    }

    /// Decodes the property flags and the properties they name.
    ///
    /// - Throws: `AMQPProtocolError.unknownProperties` when a continuation word names
    ///   properties this class does not have; `.truncated`; field table errors.
    init(from buffer: inout ByteBuffer) throws(AMQPProtocolError) {
        let flags = try buffer.readAMQPInteger(as: UInt16.self)
        var more = flags & Flag.continuation != 0
        while more {
            let next = try buffer.readAMQPInteger(as: UInt16.self)
            guard next & ~Flag.continuation == 0 else { throw .unknownProperties(flags: next) }
            more = next & Flag.continuation != 0
        }
        func has(_ flag: UInt16) -> Bool { flags & flag != 0 }
        self.init()
        if has(Flag.contentType) { self.contentType = try buffer.readShortString() }
        if has(Flag.contentEncoding) { self.contentEncoding = try buffer.readShortString() }
        if has(Flag.headers) { self.headers = try FieldTable(from: &buffer) }
        if has(Flag.deliveryMode) { self.deliveryMode = try buffer.readAMQPInteger() }
        if has(Flag.priority) { self.priority = try buffer.readAMQPInteger() }
        if has(Flag.correlationID) { self.correlationID = try buffer.readShortString() }
        if has(Flag.replyTo) { self.replyTo = try buffer.readShortString() }
        if has(Flag.expiration) { self.expiration = try buffer.readShortString() }
        if has(Flag.messageID) { self.messageID = try buffer.readShortString() }
        if has(Flag.timestamp) { self.timestamp = try buffer.readAMQPInteger() }
        if has(Flag.type) { self.type = try buffer.readShortString() }
        if has(Flag.userID) { self.userID = try buffer.readShortString() }
        if has(Flag.appID) { self.appID = try buffer.readShortString() }
        if has(Flag.clusterID) { self.clusterID = try buffer.readShortString() }
    }

    /// Encodes the property flags and the present properties.
    ///
    /// - Throws: `AMQPProtocolError.shortStringTooLong`.
    func encode(into buffer: inout ByteBuffer) throws(AMQPProtocolError) {
        buffer.writeInteger(self.flags)
        if let contentType { try buffer.writeShortString(contentType) }
        if let contentEncoding { try buffer.writeShortString(contentEncoding) }
        if let headers { try headers.encode(into: &buffer) }
        if let deliveryMode { buffer.writeInteger(deliveryMode) }
        if let priority { buffer.writeInteger(priority) }
        if let correlationID { try buffer.writeShortString(correlationID) }
        if let replyTo { try buffer.writeShortString(replyTo) }
        if let expiration { try buffer.writeShortString(expiration) }
        if let messageID { try buffer.writeShortString(messageID) }
        if let timestamp { buffer.writeInteger(timestamp) }
        if let type { try buffer.writeShortString(type) }
        if let userID { try buffer.writeShortString(userID) }
        if let appID { try buffer.writeShortString(appID) }
        if let clusterID { try buffer.writeShortString(clusterID) }
    }
}
