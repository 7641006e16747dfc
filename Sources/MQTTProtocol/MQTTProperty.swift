import NIOCore

/// One MQTT 5 property with its typed value (MQTT 5 section 2.2.2.2).
///
/// Properties whose byte may only be 0 or 1 are `Bool`; maximum QoS is a `QoS` (0 or 1);
/// binary data is a `ByteBuffer` slice of the packet, not a copy.
public enum MQTTProperty: Sendable, Hashable {
    case payloadFormatIndicator(PayloadFormat)
    case messageExpiryInterval(UInt32)
    case contentType(String)
    case responseTopic(String)
    case correlationData(ByteBuffer)
    /// 1 to 268,435,455.
    case subscriptionIdentifier(UInt32)
    case sessionExpiryInterval(UInt32)
    case assignedClientIdentifier(String)
    case serverKeepAlive(UInt16)
    case authenticationMethod(String)
    case authenticationData(ByteBuffer)
    case requestProblemInformation(Bool)
    case willDelayInterval(UInt32)
    case requestResponseInformation(Bool)
    case responseInformation(String)
    case serverReference(String)
    case reasonString(String)
    /// Not 0.
    case receiveMaximum(UInt16)
    case topicAliasMaximum(UInt16)
    /// Not 0.
    case topicAlias(UInt16)
    /// `.atMostOnce` or `.atLeastOnce` (a broker omits the property for QoS 2).
    case maximumQoS(QoS)
    case retainAvailable(Bool)
    /// Ordered and repeatable.
    case userProperty(name: String, value: String)
    /// Not 0.
    case maximumPacketSize(UInt32)
    case wildcardSubscriptionAvailable(Bool)
    case subscriptionIdentifiersAvailable(Bool)
    case sharedSubscriptionAvailable(Bool)

    /// The payload format indicator's values.
    public enum PayloadFormat: UInt8, Sendable, Hashable {
        case unspecified = 0
        case utf8 = 1
    }

    /// The property's identifier byte.
    public var identifier: MQTTPropertyIdentifier {
        switch self {
        case .payloadFormatIndicator: .payloadFormatIndicator
        case .messageExpiryInterval: .messageExpiryInterval
        case .contentType: .contentType
        case .responseTopic: .responseTopic
        case .correlationData: .correlationData
        case .subscriptionIdentifier: .subscriptionIdentifier
        case .sessionExpiryInterval: .sessionExpiryInterval
        case .assignedClientIdentifier: .assignedClientIdentifier
        case .serverKeepAlive: .serverKeepAlive
        case .authenticationMethod: .authenticationMethod
        case .authenticationData: .authenticationData
        case .requestProblemInformation: .requestProblemInformation
        case .willDelayInterval: .willDelayInterval
        case .requestResponseInformation: .requestResponseInformation
        case .responseInformation: .responseInformation
        case .serverReference: .serverReference
        case .reasonString: .reasonString
        case .receiveMaximum: .receiveMaximum
        case .topicAliasMaximum: .topicAliasMaximum
        case .topicAlias: .topicAlias
        case .maximumQoS: .maximumQoS
        case .retainAvailable: .retainAvailable
        case .userProperty: .userProperty
        case .maximumPacketSize: .maximumPacketSize
        case .wildcardSubscriptionAvailable: .wildcardSubscriptionAvailable
        case .subscriptionIdentifiersAvailable: .subscriptionIdentifiersAvailable
        case .sharedSubscriptionAvailable: .sharedSubscriptionAvailable
        }
    }
}
