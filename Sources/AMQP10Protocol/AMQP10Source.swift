/// The source terminus of a link (messaging 3.5.3).
public struct AMQP10Source: AMQP10Composite {
    public static let descriptorCode: UInt64 = 0x28
    public static let descriptorName = "amqp:source:list"

    public var address: String?
    public var durable: AMQP10TerminusDurability
    public var expiryPolicy: AMQP10TerminusExpiryPolicy
    /// Seconds the terminus outlives its expiry trigger.
    public var timeout: UInt32
    public var dynamic: Bool
    public var dynamicNodeProperties: AMQP10Map?
    /// "move" or "copy".
    public var distributionMode: String?
    /// Filters by name; symbol keys, described filter values.
    public var filter: AMQP10Map?
    /// The outcome applied to deliveries settled without one.
    public var defaultOutcome: AMQP10DeliveryState?
    /// The outcomes the source supports (descriptor symbols, e.g. "amqp:accepted:list").
    public var outcomes: [String]
    public var capabilities: [String]

    public init(
        address: String? = nil,
        durable: AMQP10TerminusDurability = .none,
        expiryPolicy: AMQP10TerminusExpiryPolicy = .sessionEnd,
        timeout: UInt32 = 0,
        dynamic: Bool = false,
        dynamicNodeProperties: AMQP10Map? = nil,
        distributionMode: String? = nil,
        filter: AMQP10Map? = nil,
        defaultOutcome: AMQP10DeliveryState? = nil,
        outcomes: [String] = [],
        capabilities: [String] = []
    ) {
        self.address = address
        self.durable = durable
        self.expiryPolicy = expiryPolicy
        self.timeout = timeout
        self.dynamic = dynamic
        self.dynamicNodeProperties = dynamicNodeProperties
        self.distributionMode = distributionMode
        self.filter = filter
        self.defaultOutcome = defaultOutcome
        self.outcomes = outcomes
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
            .optional(self.distributionMode, AMQP10Value.symbol),
            .optional(self.filter, AMQP10Value.map),
            .optional(self.defaultOutcome) { $0.value },
            .symbols(self.outcomes),
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
        self.distributionMode = try fields.optional("distribution-mode", AMQP10Value.asSymbol)
        self.filter = try fields.optional("filter", AMQP10Value.asMap)
        self.defaultOutcome = try fields.deliveryState("default-outcome")
        self.outcomes = try fields.optional("outcomes", AMQP10Value.asSymbols) ?? []
        self.capabilities = try fields.optional("capabilities", AMQP10Value.asSymbols) ?? []
    }
}
