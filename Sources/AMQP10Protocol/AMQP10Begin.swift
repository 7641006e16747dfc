/// `begin` (transport 2.7.2): starts a session on a channel.
public struct AMQP10Begin: AMQP10Composite {
    public static let descriptorCode: UInt64 = 0x11
    public static let descriptorName = "amqp:begin:list"

    /// The peer's channel this begin answers; nil when initiating.
    public var remoteChannel: UInt16?
    public var nextOutgoingID: UInt32
    public var incomingWindow: UInt32
    public var outgoingWindow: UInt32
    public var handleMax: UInt32
    public var offeredCapabilities: [String]
    public var desiredCapabilities: [String]
    public var properties: AMQP10Map?

    public init(
        remoteChannel: UInt16? = nil,
        nextOutgoingID: UInt32,
        incomingWindow: UInt32,
        outgoingWindow: UInt32,
        handleMax: UInt32 = .max,
        offeredCapabilities: [String] = [],
        desiredCapabilities: [String] = [],
        properties: AMQP10Map? = nil
    ) {
        self.remoteChannel = remoteChannel
        self.nextOutgoingID = nextOutgoingID
        self.incomingWindow = incomingWindow
        self.outgoingWindow = outgoingWindow
        self.handleMax = handleMax
        self.offeredCapabilities = offeredCapabilities
        self.desiredCapabilities = desiredCapabilities
        self.properties = properties
    }

    public var fields: [AMQP10Value] {
        [
            .optional(self.remoteChannel, AMQP10Value.ushort),
            .uint(self.nextOutgoingID),
            .uint(self.incomingWindow),
            .uint(self.outgoingWindow),
            .defaulted(self.handleMax, .max, AMQP10Value.uint),
            .symbols(self.offeredCapabilities),
            .symbols(self.desiredCapabilities),
            .optional(self.properties, AMQP10Value.map),
        ]
    }

    public init(fields: inout AMQP10FieldReader) throws(AMQP10ProtocolError) {
        self.remoteChannel = try fields.optional("remote-channel", AMQP10Value.asUShort)
        self.nextOutgoingID = try fields.mandatory("next-outgoing-id", AMQP10Value.asUInt)
        self.incomingWindow = try fields.mandatory("incoming-window", AMQP10Value.asUInt)
        self.outgoingWindow = try fields.mandatory("outgoing-window", AMQP10Value.asUInt)
        self.handleMax = try fields.optional("handle-max", AMQP10Value.asUInt) ?? .max
        self.offeredCapabilities = try fields.optional("offered-capabilities", AMQP10Value.asSymbols) ?? []
        self.desiredCapabilities = try fields.optional("desired-capabilities", AMQP10Value.asSymbols) ?? []
        self.properties = try fields.optional("properties", AMQP10Value.asMap)
    }
}
