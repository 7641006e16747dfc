import NIOCore

/// The `properties` section: the immutable, standard properties of a message.
public struct AMQP10Properties: AMQP10Composite {
    public static let descriptorCode: UInt64 = 0x73
    public static let descriptorName = "amqp:properties:list"

    public var messageID: AMQP10MessageID?
    public var userID: ByteBuffer?
    public var to: String?
    public var subject: String?
    public var replyTo: String?
    public var correlationID: AMQP10MessageID?
    /// A MIME type (a symbol on the wire).
    public var contentType: String?
    /// A symbol on the wire.
    public var contentEncoding: String?
    /// Milliseconds since the Unix epoch.
    public var absoluteExpiryTime: Int64?
    /// Milliseconds since the Unix epoch.
    public var creationTime: Int64?
    public var groupID: String?
    public var groupSequence: UInt32?
    public var replyToGroupID: String?

    public init(
        messageID: AMQP10MessageID? = nil,
        userID: ByteBuffer? = nil,
        to: String? = nil,
        subject: String? = nil,
        replyTo: String? = nil,
        correlationID: AMQP10MessageID? = nil,
        contentType: String? = nil,
        contentEncoding: String? = nil,
        absoluteExpiryTime: Int64? = nil,
        creationTime: Int64? = nil,
        groupID: String? = nil,
        groupSequence: UInt32? = nil,
        replyToGroupID: String? = nil
    ) {
        self.messageID = messageID
        self.userID = userID
        self.to = to
        self.subject = subject
        self.replyTo = replyTo
        self.correlationID = correlationID
        self.contentType = contentType
        self.contentEncoding = contentEncoding
        self.absoluteExpiryTime = absoluteExpiryTime
        self.creationTime = creationTime
        self.groupID = groupID
        self.groupSequence = groupSequence
        self.replyToGroupID = replyToGroupID
    }

    public var fields: [AMQP10Value] {
        [
            .optional(self.messageID) { $0.value },
            .optional(self.userID, AMQP10Value.binary),
            .optional(self.to, AMQP10Value.string),
            .optional(self.subject, AMQP10Value.string),
            .optional(self.replyTo, AMQP10Value.string),
            .optional(self.correlationID) { $0.value },
            .optional(self.contentType, AMQP10Value.symbol),
            .optional(self.contentEncoding, AMQP10Value.symbol),
            .optional(self.absoluteExpiryTime, AMQP10Value.timestamp),
            .optional(self.creationTime, AMQP10Value.timestamp),
            .optional(self.groupID, AMQP10Value.string),
            .optional(self.groupSequence, AMQP10Value.uint),
            .optional(self.replyToGroupID, AMQP10Value.string),
        ]
    }

    public init(fields: inout AMQP10FieldReader) throws(AMQP10ProtocolError) {
        self.messageID = try fields.optional("message-id", AMQP10MessageID.from)
        self.userID = try fields.optional("user-id", AMQP10Value.asBinary)
        self.to = try fields.optional("to", AMQP10Value.asAddress)
        self.subject = try fields.optional("subject", AMQP10Value.asString)
        self.replyTo = try fields.optional("reply-to", AMQP10Value.asAddress)
        self.correlationID = try fields.optional("correlation-id", AMQP10MessageID.from)
        self.contentType = try fields.optional("content-type", AMQP10Value.asSymbol)
        self.contentEncoding = try fields.optional("content-encoding", AMQP10Value.asSymbol)
        self.absoluteExpiryTime = try fields.optional("absolute-expiry-time", AMQP10Value.asTimestamp)
        self.creationTime = try fields.optional("creation-time", AMQP10Value.asTimestamp)
        self.groupID = try fields.optional("group-id", AMQP10Value.asString)
        self.groupSequence = try fields.optional("group-sequence", AMQP10Value.asUInt)
        self.replyToGroupID = try fields.optional("reply-to-group-id", AMQP10Value.asString)
    }
}
