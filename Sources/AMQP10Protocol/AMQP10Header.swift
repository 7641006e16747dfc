/// The `header` section: transport headers.
public struct AMQP10Header: AMQP10Composite {
    public static let descriptorCode: UInt64 = 0x70
    public static let descriptorName = "amqp:header:list"

    public var durable: Bool
    /// 0 to 255, default 4.
    public var priority: UInt8
    /// Milliseconds the message may live.
    public var ttl: UInt32?
    public var firstAcquirer: Bool
    /// Failed earlier delivery attempts.
    public var deliveryCount: UInt32

    public init(durable: Bool = false, priority: UInt8 = 4, ttl: UInt32? = nil, firstAcquirer: Bool = false, deliveryCount: UInt32 = 0) {
        self.durable = durable
        self.priority = priority
        self.ttl = ttl
        self.firstAcquirer = firstAcquirer
        self.deliveryCount = deliveryCount
    }

    public var fields: [AMQP10Value] {
        [
            .defaulted(self.durable, false, AMQP10Value.boolean),
            .defaulted(self.priority, 4, AMQP10Value.ubyte),
            .optional(self.ttl, AMQP10Value.uint),
            .defaulted(self.firstAcquirer, false, AMQP10Value.boolean),
            .defaulted(self.deliveryCount, 0, AMQP10Value.uint),
        ]
    }

    public init(fields: inout AMQP10FieldReader) throws(AMQP10ProtocolError) {
        self.durable = try fields.optional("durable", AMQP10Value.asBool) ?? false
        self.priority = try fields.optional("priority", AMQP10Value.asUByte) ?? 4
        self.ttl = try fields.optional("ttl", AMQP10Value.asUInt)
        self.firstAcquirer = try fields.optional("first-acquirer", AMQP10Value.asBool) ?? false
        self.deliveryCount = try fields.optional("delivery-count", AMQP10Value.asUInt) ?? 0
    }
}
