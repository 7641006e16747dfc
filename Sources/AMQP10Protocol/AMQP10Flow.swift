/// `flow` (transport 2.7.4): session windows and, with a handle, link credit.
public struct AMQP10Flow: AMQP10Composite {
    public static let descriptorCode: UInt64 = 0x13
    public static let descriptorName = "amqp:flow:list"

    public var nextIncomingID: UInt32?
    public var incomingWindow: UInt32
    public var nextOutgoingID: UInt32
    public var outgoingWindow: UInt32
    /// The link this flow is about; nil for a session-only flow.
    public var handle: UInt32?
    public var deliveryCount: UInt32?
    public var linkCredit: UInt32?
    public var available: UInt32?
    public var drain: Bool
    public var echo: Bool
    public var properties: AMQP10Map?

    public init(
        nextIncomingID: UInt32? = nil,
        incomingWindow: UInt32,
        nextOutgoingID: UInt32,
        outgoingWindow: UInt32,
        handle: UInt32? = nil,
        deliveryCount: UInt32? = nil,
        linkCredit: UInt32? = nil,
        available: UInt32? = nil,
        drain: Bool = false,
        echo: Bool = false,
        properties: AMQP10Map? = nil
    ) {
        self.nextIncomingID = nextIncomingID
        self.incomingWindow = incomingWindow
        self.nextOutgoingID = nextOutgoingID
        self.outgoingWindow = outgoingWindow
        self.handle = handle
        self.deliveryCount = deliveryCount
        self.linkCredit = linkCredit
        self.available = available
        self.drain = drain
        self.echo = echo
        self.properties = properties
    }

    public var fields: [AMQP10Value] {
        [
            .optional(self.nextIncomingID, AMQP10Value.uint),
            .uint(self.incomingWindow),
            .uint(self.nextOutgoingID),
            .uint(self.outgoingWindow),
            .optional(self.handle, AMQP10Value.uint),
            .optional(self.deliveryCount, AMQP10Value.uint),
            .optional(self.linkCredit, AMQP10Value.uint),
            .optional(self.available, AMQP10Value.uint),
            .defaulted(self.drain, false, AMQP10Value.boolean),
            .defaulted(self.echo, false, AMQP10Value.boolean),
            .optional(self.properties, AMQP10Value.map),
        ]
    }

    public init(fields: inout AMQP10FieldReader) throws(AMQP10ProtocolError) {
        self.nextIncomingID = try fields.optional("next-incoming-id", AMQP10Value.asUInt)
        self.incomingWindow = try fields.mandatory("incoming-window", AMQP10Value.asUInt)
        self.nextOutgoingID = try fields.mandatory("next-outgoing-id", AMQP10Value.asUInt)
        self.outgoingWindow = try fields.mandatory("outgoing-window", AMQP10Value.asUInt)
        self.handle = try fields.optional("handle", AMQP10Value.asUInt)
        self.deliveryCount = try fields.optional("delivery-count", AMQP10Value.asUInt)
        self.linkCredit = try fields.optional("link-credit", AMQP10Value.asUInt)
        self.available = try fields.optional("available", AMQP10Value.asUInt)
        self.drain = try fields.optional("drain", AMQP10Value.asBool) ?? false
        self.echo = try fields.optional("echo", AMQP10Value.asBool) ?? false
        self.properties = try fields.optional("properties", AMQP10Value.asMap)
    }
}
