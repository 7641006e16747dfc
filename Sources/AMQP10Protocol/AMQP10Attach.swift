import NIOCore

/// `attach` (transport 2.7.3): attaches a link to a session.
public struct AMQP10Attach: AMQP10Composite {
    public static let descriptorCode: UInt64 = 0x12
    public static let descriptorName = "amqp:attach:list"

    public var name: String
    public var handle: UInt32
    public var role: AMQP10Role
    public var sndSettleMode: AMQP10SenderSettleMode
    public var rcvSettleMode: AMQP10ReceiverSettleMode
    /// Nil on a refused attach (the peer then detaches).
    public var source: AMQP10Source?
    public var target: AMQP10Target?
    /// Unsettled deliveries by tag, for resuming a link.
    public var unsettled: AMQP10Map?
    public var incompleteUnsettled: Bool
    /// The sender's delivery-count; set by the sender, nil from a receiver.
    public var initialDeliveryCount: UInt32?
    /// The largest message this end accepts; nil or 0 for no limit.
    public var maxMessageSize: UInt64?
    public var offeredCapabilities: [String]
    public var desiredCapabilities: [String]
    public var properties: AMQP10Map?

    public init(
        name: String,
        handle: UInt32,
        role: AMQP10Role,
        sndSettleMode: AMQP10SenderSettleMode = .mixed,
        rcvSettleMode: AMQP10ReceiverSettleMode = .first,
        source: AMQP10Source? = nil,
        target: AMQP10Target? = nil,
        unsettled: AMQP10Map? = nil,
        incompleteUnsettled: Bool = false,
        initialDeliveryCount: UInt32? = nil,
        maxMessageSize: UInt64? = nil,
        offeredCapabilities: [String] = [],
        desiredCapabilities: [String] = [],
        properties: AMQP10Map? = nil
    ) {
        self.name = name
        self.handle = handle
        self.role = role
        self.sndSettleMode = sndSettleMode
        self.rcvSettleMode = rcvSettleMode
        self.source = source
        self.target = target
        self.unsettled = unsettled
        self.incompleteUnsettled = incompleteUnsettled
        self.initialDeliveryCount = initialDeliveryCount
        self.maxMessageSize = maxMessageSize
        self.offeredCapabilities = offeredCapabilities
        self.desiredCapabilities = desiredCapabilities
        self.properties = properties
    }

    public var fields: [AMQP10Value] {
        [
            .string(self.name),
            .uint(self.handle),
            self.role.value,
            .defaulted(self.sndSettleMode, .mixed) { .ubyte($0.rawValue) },
            .defaulted(self.rcvSettleMode, .first) { .ubyte($0.rawValue) },
            .optional(self.source) { $0.value },
            .optional(self.target) { $0.value },
            .optional(self.unsettled, AMQP10Value.map),
            .defaulted(self.incompleteUnsettled, false, AMQP10Value.boolean),
            .optional(self.initialDeliveryCount, AMQP10Value.uint),
            .optional(self.maxMessageSize, AMQP10Value.ulong),
            .symbols(self.offeredCapabilities),
            .symbols(self.desiredCapabilities),
            .optional(self.properties, AMQP10Value.map),
        ]
    }

    public init(fields: inout AMQP10FieldReader) throws(AMQP10ProtocolError) {
        self.name = try fields.mandatory("name", AMQP10Value.asString)
        self.handle = try fields.mandatory("handle", AMQP10Value.asUInt)
        self.role = try fields.mandatory("role", AMQP10Role.from)
        self.sndSettleMode = try fields.restricted("snd-settle-mode", AMQP10Value.asUByte) ?? .mixed
        self.rcvSettleMode = try fields.restricted("rcv-settle-mode", AMQP10Value.asUByte) ?? .first
        self.source = try fields.composite("source", AMQP10Source.self)
        self.target = try fields.composite("target", AMQP10Target.self)
        self.unsettled = try fields.optional("unsettled", AMQP10Value.asMap)
        self.incompleteUnsettled = try fields.optional("incomplete-unsettled", AMQP10Value.asBool) ?? false
        self.initialDeliveryCount = try fields.optional("initial-delivery-count", AMQP10Value.asUInt)
        self.maxMessageSize = try fields.optional("max-message-size", AMQP10Value.asULong)
        self.offeredCapabilities = try fields.optional("offered-capabilities", AMQP10Value.asSymbols) ?? []
        self.desiredCapabilities = try fields.optional("desired-capabilities", AMQP10Value.asSymbols) ?? []
        self.properties = try fields.optional("properties", AMQP10Value.asMap)
    }
}

/// `detach` (transport 2.7.7): detaches a link; `closed` also ends it.
public struct AMQP10Detach: AMQP10Composite {
    public static let descriptorCode: UInt64 = 0x16
    public static let descriptorName = "amqp:detach:list"

    public var handle: UInt32
    public var closed: Bool
    public var error: AMQP10Error?

    public init(handle: UInt32, closed: Bool = false, error: AMQP10Error? = nil) {
        self.handle = handle
        self.closed = closed
        self.error = error
    }

    public var fields: [AMQP10Value] {
        [.uint(self.handle), .defaulted(self.closed, false, AMQP10Value.boolean), .optional(self.error) { $0.value }]
    }

    public init(fields: inout AMQP10FieldReader) throws(AMQP10ProtocolError) {
        self.handle = try fields.mandatory("handle", AMQP10Value.asUInt)
        self.closed = try fields.optional("closed", AMQP10Value.asBool) ?? false
        self.error = try fields.composite("error", AMQP10Error.self)
    }
}

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

/// `transfer` (transport 2.7.5): one frame of a delivery. `payload` is the frame's bytes
/// after the performative: the message payload, or a piece of it when `more` is set.
public struct AMQP10Transfer: AMQP10Composite {
    public static let descriptorCode: UInt64 = 0x14
    public static let descriptorName = "amqp:transfer:list"

    public var handle: UInt32
    /// Set on the first transfer of a delivery; may be left off on continuations.
    public var deliveryID: UInt32?
    /// Set on the first transfer of a delivery; may be left off on continuations.
    public var deliveryTag: ByteBuffer?
    /// 0 for the standard AMQP message format.
    public var messageFormat: UInt32?
    public var settled: Bool?
    /// More transfers of this delivery follow.
    public var more: Bool
    public var rcvSettleMode: AMQP10ReceiverSettleMode?
    public var state: AMQP10DeliveryState?
    public var resume: Bool
    /// The sender gave up on this delivery: discard what arrived of it.
    public var aborted: Bool
    public var batchable: Bool
    /// The frame's payload (not part of the performative's list).
    public var payload: ByteBuffer

    public init(
        handle: UInt32,
        deliveryID: UInt32? = nil,
        deliveryTag: ByteBuffer? = nil,
        messageFormat: UInt32? = nil,
        settled: Bool? = nil,
        more: Bool = false,
        rcvSettleMode: AMQP10ReceiverSettleMode? = nil,
        state: AMQP10DeliveryState? = nil,
        resume: Bool = false,
        aborted: Bool = false,
        batchable: Bool = false,
        payload: ByteBuffer = ByteBuffer()
    ) {
        self.handle = handle
        self.deliveryID = deliveryID
        self.deliveryTag = deliveryTag
        self.messageFormat = messageFormat
        self.settled = settled
        self.more = more
        self.rcvSettleMode = rcvSettleMode
        self.state = state
        self.resume = resume
        self.aborted = aborted
        self.batchable = batchable
        self.payload = payload
    }

    public var fields: [AMQP10Value] {
        [
            .uint(self.handle),
            .optional(self.deliveryID, AMQP10Value.uint),
            .optional(self.deliveryTag, AMQP10Value.binary),
            .optional(self.messageFormat, AMQP10Value.uint),
            .optional(self.settled, AMQP10Value.boolean),
            .defaulted(self.more, false, AMQP10Value.boolean),
            .optional(self.rcvSettleMode) { .ubyte($0.rawValue) },
            .optional(self.state) { $0.value },
            .defaulted(self.resume, false, AMQP10Value.boolean),
            .defaulted(self.aborted, false, AMQP10Value.boolean),
            .defaulted(self.batchable, false, AMQP10Value.boolean),
        ]
    }

    public init(fields: inout AMQP10FieldReader) throws(AMQP10ProtocolError) {
        self.handle = try fields.mandatory("handle", AMQP10Value.asUInt)
        self.deliveryID = try fields.optional("delivery-id", AMQP10Value.asUInt)
        self.deliveryTag = try fields.optional("delivery-tag", AMQP10Value.asBinary)
        self.messageFormat = try fields.optional("message-format", AMQP10Value.asUInt)
        self.settled = try fields.optional("settled", AMQP10Value.asBool)
        self.more = try fields.optional("more", AMQP10Value.asBool) ?? false
        self.rcvSettleMode = try fields.restricted("rcv-settle-mode", AMQP10Value.asUByte)
        self.state = try fields.deliveryState("state")
        self.resume = try fields.optional("resume", AMQP10Value.asBool) ?? false
        self.aborted = try fields.optional("aborted", AMQP10Value.asBool) ?? false
        self.batchable = try fields.optional("batchable", AMQP10Value.asBool) ?? false
        self.payload = ByteBuffer()
    }
}

/// `disposition` (transport 2.7.6): the state or settlement of a range of deliveries.
public struct AMQP10Disposition: AMQP10Composite {
    public static let descriptorCode: UInt64 = 0x15
    public static let descriptorName = "amqp:disposition:list"

    /// The role of the peer sending this disposition.
    public var role: AMQP10Role
    public var first: UInt32
    /// The last delivery-id of the range; nil means `first` alone.
    public var last: UInt32?
    public var settled: Bool
    public var state: AMQP10DeliveryState?
    public var batchable: Bool

    public init(
        role: AMQP10Role,
        first: UInt32,
        last: UInt32? = nil,
        settled: Bool = false,
        state: AMQP10DeliveryState? = nil,
        batchable: Bool = false
    ) {
        self.role = role
        self.first = first
        self.last = last
        self.settled = settled
        self.state = state
        self.batchable = batchable
    }

    public var fields: [AMQP10Value] {
        [
            self.role.value,
            .uint(self.first),
            .optional(self.last, AMQP10Value.uint),
            .defaulted(self.settled, false, AMQP10Value.boolean),
            .optional(self.state) { $0.value },
            .defaulted(self.batchable, false, AMQP10Value.boolean),
        ]
    }

    public init(fields: inout AMQP10FieldReader) throws(AMQP10ProtocolError) {
        self.role = try fields.mandatory("role", AMQP10Role.from)
        self.first = try fields.mandatory("first", AMQP10Value.asUInt)
        self.last = try fields.optional("last", AMQP10Value.asUInt)
        self.settled = try fields.optional("settled", AMQP10Value.asBool) ?? false
        self.state = try fields.deliveryState("state")
        self.batchable = try fields.optional("batchable", AMQP10Value.asBool) ?? false
    }
}
