/// `open` (transport 2.7.1): the first frame of a connection, each way.
public struct AMQP10Open: AMQP10Composite {
    public static let descriptorCode: UInt64 = 0x10
    public static let descriptorName = "amqp:open:list"

    public var containerID: String
    public var hostname: String?
    /// The largest frame this peer accepts (default: no limit beyond 4 GiB).
    public var maxFrameSize: UInt32
    /// The highest channel number this peer accepts.
    public var channelMax: UInt16
    /// Milliseconds of silence after which this peer closes the connection; nil for none.
    public var idleTimeOut: UInt32?
    public var outgoingLocales: [String]
    public var incomingLocales: [String]
    public var offeredCapabilities: [String]
    public var desiredCapabilities: [String]
    public var properties: AMQP10Map?

    public init(
        containerID: String,
        hostname: String? = nil,
        maxFrameSize: UInt32 = .max,
        channelMax: UInt16 = .max,
        idleTimeOut: UInt32? = nil,
        outgoingLocales: [String] = [],
        incomingLocales: [String] = [],
        offeredCapabilities: [String] = [],
        desiredCapabilities: [String] = [],
        properties: AMQP10Map? = nil
    ) {
        self.containerID = containerID
        self.hostname = hostname
        self.maxFrameSize = maxFrameSize
        self.channelMax = channelMax
        self.idleTimeOut = idleTimeOut
        self.outgoingLocales = outgoingLocales
        self.incomingLocales = incomingLocales
        self.offeredCapabilities = offeredCapabilities
        self.desiredCapabilities = desiredCapabilities
        self.properties = properties
    }

    public var fields: [AMQP10Value] {
        [
            .string(self.containerID),
            .optional(self.hostname, AMQP10Value.string),
            .defaulted(self.maxFrameSize, .max, AMQP10Value.uint),
            .defaulted(self.channelMax, .max, AMQP10Value.ushort),
            .optional(self.idleTimeOut, AMQP10Value.uint),
            .symbols(self.outgoingLocales),
            .symbols(self.incomingLocales),
            .symbols(self.offeredCapabilities),
            .symbols(self.desiredCapabilities),
            .optional(self.properties, AMQP10Value.map),
        ]
    }

    public init(fields: inout AMQP10FieldReader) throws(AMQP10ProtocolError) {
        self.containerID = try fields.mandatory("container-id", AMQP10Value.asString)
        self.hostname = try fields.optional("hostname", AMQP10Value.asString)
        self.maxFrameSize = try fields.optional("max-frame-size", AMQP10Value.asUInt) ?? .max
        self.channelMax = try fields.optional("channel-max", AMQP10Value.asUShort) ?? .max
        self.idleTimeOut = try fields.optional("idle-time-out", AMQP10Value.asUInt)
        self.outgoingLocales = try fields.optional("outgoing-locales", AMQP10Value.asSymbols) ?? []
        self.incomingLocales = try fields.optional("incoming-locales", AMQP10Value.asSymbols) ?? []
        self.offeredCapabilities = try fields.optional("offered-capabilities", AMQP10Value.asSymbols) ?? []
        self.desiredCapabilities = try fields.optional("desired-capabilities", AMQP10Value.asSymbols) ?? []
        self.properties = try fields.optional("properties", AMQP10Value.asMap)
    }
}
