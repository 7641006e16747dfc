/// Which end of a link a peer is (attach and disposition `role`).
public enum AMQP10Role: Sendable, Hashable {
    case sender
    case receiver

    var value: AMQP10Value { .boolean(self == .receiver) }

    static func from(_ value: AMQP10Value) -> AMQP10Role? {
        AMQP10Value.asBool(value).map { $0 ? .receiver : .sender }
    }
}

/// How the sender settles (attach `snd-settle-mode`).
public enum AMQP10SenderSettleMode: UInt8, Sendable, Hashable, CaseIterable {
    /// The sender sends every delivery unsettled and waits for the receiver's outcome.
    case unsettled = 0
    /// The sender sends every delivery settled ("fire and forget").
    case settled = 1
    /// Either, per delivery.
    case mixed = 2
}

/// When the receiver settles (attach and transfer `rcv-settle-mode`).
public enum AMQP10ReceiverSettleMode: UInt8, Sendable, Hashable, CaseIterable {
    /// The receiver settles as soon as it sends its outcome.
    case first = 0
    /// The receiver settles only after the sender settled.
    case second = 1
}

/// What of a terminus survives (source/target `durable`).
public enum AMQP10TerminusDurability: UInt32, Sendable, Hashable, CaseIterable {
    case none = 0
    case configuration = 1
    case unsettledState = 2
}

/// When the expiry timer of a terminus starts (source/target `expiry-policy`).
public enum AMQP10TerminusExpiryPolicy: String, Sendable, Hashable, CaseIterable {
    case linkDetach = "link-detach"
    case sessionEnd = "session-end"
    case connectionClose = "connection-close"
    case never = "never"
}

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
