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
