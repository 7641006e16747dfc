/// The identifier of an MQTT 5 property (MQTT 5 section 2.2.2.2, table 2-4).
public enum MQTTPropertyIdentifier: UInt8, Sendable, Hashable, CaseIterable {
    case payloadFormatIndicator = 0x01
    case messageExpiryInterval = 0x02
    case contentType = 0x03
    case responseTopic = 0x08
    case correlationData = 0x09
    case subscriptionIdentifier = 0x0B
    case sessionExpiryInterval = 0x11
    case assignedClientIdentifier = 0x12
    case serverKeepAlive = 0x13
    case authenticationMethod = 0x15
    case authenticationData = 0x16
    case requestProblemInformation = 0x17
    case willDelayInterval = 0x18
    case requestResponseInformation = 0x19
    case responseInformation = 0x1A
    case serverReference = 0x1C
    case reasonString = 0x1F
    case receiveMaximum = 0x21
    case topicAliasMaximum = 0x22
    case topicAlias = 0x23
    case maximumQoS = 0x24
    case retainAvailable = 0x25
    case userProperty = 0x26
    case maximumPacketSize = 0x27
    case wildcardSubscriptionAvailable = 0x28
    case subscriptionIdentifiersAvailable = 0x29
    case sharedSubscriptionAvailable = 0x2A

    /// How the value is encoded on the wire.
    public enum DataType: Sendable, Hashable {
        case byte, twoByteInteger, fourByteInteger, variableByteInteger, utf8String, binaryData, utf8StringPair
    }

    /// The wire type of the property's value.
    public var dataType: DataType {
        switch self {
        case .payloadFormatIndicator, .requestProblemInformation, .requestResponseInformation, .maximumQoS,
            .retainAvailable, .wildcardSubscriptionAvailable, .subscriptionIdentifiersAvailable,
            .sharedSubscriptionAvailable:
            .byte
        case .serverKeepAlive, .receiveMaximum, .topicAliasMaximum, .topicAlias:
            .twoByteInteger
        case .messageExpiryInterval, .sessionExpiryInterval, .willDelayInterval, .maximumPacketSize:
            .fourByteInteger
        case .subscriptionIdentifier:
            .variableByteInteger
        case .contentType, .responseTopic, .assignedClientIdentifier, .authenticationMethod,
            .responseInformation, .serverReference, .reasonString:
            .utf8String
        case .correlationData, .authenticationData:
            .binaryData
        case .userProperty:
            .utf8StringPair
        }
    }

    /// Whether the property may appear in the packet (or will) at all.
    public func isAllowed(in scope: MQTTPropertyScope) -> Bool {
        allowedScopes & scope.bit != 0
    }

    private static let scopeBits: (UInt16, UInt16, UInt16, UInt16, UInt16, UInt16) = (
        MQTTPropertyScope.will.bit, MQTTPropertyScope.packet(.publish).bit, MQTTPropertyScope.packet(.connect).bit,
        MQTTPropertyScope.packet(.connack).bit, MQTTPropertyScope.packet(.disconnect).bit, MQTTPropertyScope.packet(.auth).bit
    )

    /// Whether the property may appear more than once there: user properties anywhere,
    /// subscription identifiers in PUBLISH (one per matching subscription).
    public func isRepeatable(in scope: MQTTPropertyScope) -> Bool {
        switch self {
        case .userProperty: true
        case .subscriptionIdentifier: scope == .packet(.publish)
        default: false
        }
    }

    private var allowedScopes: UInt16 {
        typealias S = MQTTPropertyScope
        // Computed once: this runs for every property of every packet encoded or decoded.
        let (will, publish, connect, connack, disconnect, auth) = Self.scopeBits
        switch self {
        case .payloadFormatIndicator, .messageExpiryInterval, .contentType, .responseTopic, .correlationData:
            return publish | will
        case .subscriptionIdentifier:
            return publish | S.packet(.subscribe).bit
        case .sessionExpiryInterval:
            return connect | connack | disconnect
        case .assignedClientIdentifier, .serverKeepAlive, .responseInformation, .maximumQoS, .retainAvailable,
            .wildcardSubscriptionAvailable, .subscriptionIdentifiersAvailable, .sharedSubscriptionAvailable:
            return connack
        case .authenticationMethod, .authenticationData:
            return connect | connack | auth
        case .requestProblemInformation, .requestResponseInformation:
            return connect
        case .willDelayInterval:
            return will
        case .serverReference:
            return connack | disconnect
        case .reasonString:
            return Self.reasonStringScopes
        case .receiveMaximum, .topicAliasMaximum, .maximumPacketSize:
            return connect | connack
        case .topicAlias:
            return publish
        case .userProperty:
            return Self.userPropertyScopes
        }
    }

    // Computed once: the array filtering and reducing behind them ran for every user
    // property of every PUBLISH (a profile showed it among the bridge's top functions).
    private static let reasonStringScopes: UInt16 =
        scopeBits.3 | scopeBits.4 | scopeBits.5
        | [MQTTPacketType.puback, .pubrec, .pubrel, .pubcomp, .suback, .unsuback]
        .reduce(0) { $0 | MQTTPropertyScope.packet($1).bit }
    private static let userPropertyScopes: UInt16 = MQTTPacketType.allCases
        .filter { $0 != .pingreq && $0 != .pingresp }
        .reduce(MQTTPropertyScope.will.bit) { $0 | MQTTPropertyScope.packet($1).bit }
}

/// Where a property list sits: in a packet's variable header, or in CONNECT's will.
public enum MQTTPropertyScope: Sendable, Hashable {
    case packet(MQTTPacketType)
    case will

    var bit: UInt16 {
        switch self {
        case .will: 1
        case .packet(let type): 1 << UInt16(type.rawValue)
        }
    }
}
