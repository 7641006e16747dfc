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
