/// The target terminus of a link (messaging 3.5.4).
public struct AMQP10Target: AMQP10Composite {
    public static let descriptorCode: UInt64 = 0x29
    public static let descriptorName = "amqp:target:list"

    public var address: String?
    public var durable: AMQP10TerminusDurability
    public var expiryPolicy: AMQP10TerminusExpiryPolicy
    public var timeout: UInt32
    public var dynamic: Bool
    public var dynamicNodeProperties: AMQP10Map?
    public var capabilities: [String]

    public init(
        address: String? = nil,
        durable: AMQP10TerminusDurability = .none,
        expiryPolicy: AMQP10TerminusExpiryPolicy = .sessionEnd,
        timeout: UInt32 = 0,
        dynamic: Bool = false,
        dynamicNodeProperties: AMQP10Map? = nil,
        capabilities: [String] = []
    ) {
        self.address = address
        self.durable = durable
        self.expiryPolicy = expiryPolicy
        self.timeout = timeout
        self.dynamic = dynamic
        self.dynamicNodeProperties = dynamicNodeProperties
        self.capabilities = capabilities
    }

    public var fields: [AMQP10Value] {
        [
            .optional(self.address, AMQP10Value.string),
            .defaulted(self.durable, .none) { .uint($0.rawValue) },
            .defaulted(self.expiryPolicy, .sessionEnd) { .symbol($0.rawValue) },
            .defaulted(self.timeout, 0, AMQP10Value.uint),
            .defaulted(self.dynamic, false, AMQP10Value.boolean),
            .optional(self.dynamicNodeProperties, AMQP10Value.map),
            .symbols(self.capabilities),
        ]
    }

    public init(fields: inout AMQP10FieldReader) throws(AMQP10ProtocolError) {
        self.address = try fields.optional("address", AMQP10Value.asAddress)
        self.durable = try fields.restricted("durable", AMQP10Value.asUInt) ?? .none
        self.expiryPolicy = try fields.restricted("expiry-policy", AMQP10Value.asSymbol) ?? .sessionEnd
        self.timeout = try fields.optional("timeout", AMQP10Value.asUInt) ?? 0
        self.dynamic = try fields.optional("dynamic", AMQP10Value.asBool) ?? false
        self.dynamicNodeProperties = try fields.optional("dynamic-node-properties", AMQP10Value.asMap)
        self.capabilities = try fields.optional("capabilities", AMQP10Value.asSymbols) ?? []
    }
}
