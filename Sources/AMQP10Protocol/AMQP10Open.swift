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

/// `end` (transport 2.7.8): ends a session.
public struct AMQP10End: AMQP10Composite {
    public static let descriptorCode: UInt64 = 0x17
    public static let descriptorName = "amqp:end:list"

    public var error: AMQP10Error?

    public init(error: AMQP10Error? = nil) {
        self.error = error
    }

    public var fields: [AMQP10Value] { [.optional(self.error) { $0.value }] }

    public init(fields: inout AMQP10FieldReader) throws(AMQP10ProtocolError) {
        self.error = try fields.composite("error", AMQP10Error.self)
    }
}

/// `close` (transport 2.7.9): closes the connection.
public struct AMQP10Close: AMQP10Composite {
    public static let descriptorCode: UInt64 = 0x18
    public static let descriptorName = "amqp:close:list"

    public var error: AMQP10Error?

    public init(error: AMQP10Error? = nil) {
        self.error = error
    }

    public var fields: [AMQP10Value] { [.optional(self.error) { $0.value }] }

    public init(fields: inout AMQP10FieldReader) throws(AMQP10ProtocolError) {
        self.error = try fields.composite("error", AMQP10Error.self)
    }
}
