import NIOCore

/// The ordered property list of an MQTT 5 packet or will.
///
/// Order is kept exactly as received or given, so user properties keep their order and
/// repeats. Which identifiers a packet may carry, and how often, is checked by the codec
/// in both directions (`MQTTProtocolError.propertyNotAllowed`, `.duplicateProperty`).
public struct MQTTProperties: Sendable, Hashable, RandomAccessCollection, ExpressibleByArrayLiteral {
    public private(set) var elements: [MQTTProperty]

    public init(_ elements: [MQTTProperty] = []) { self.elements = elements }
    public init(arrayLiteral elements: MQTTProperty...) { self.elements = elements }

    public var startIndex: Int { elements.startIndex }
    public var endIndex: Int { elements.endIndex }
    public subscript(position: Int) -> MQTTProperty { elements[position] }

    /// Appends a property at the end.
    public mutating func append(_ property: MQTTProperty) { elements.append(property) }

    /// User properties in order, repeats included.
    public var userProperties: [(name: String, value: String)] {
        elements.compactMap {
            if case .userProperty(let name, let value) = $0 { (name, value) } else { nil }
        }
    }

    /// Every subscription identifier of a PUBLISH, in order.
    public var subscriptionIdentifiers: [UInt32] {
        elements.compactMap { if case .subscriptionIdentifier(let v) = $0 { v } else { nil } }
    }

    public var payloadFormatIndicator: MQTTProperty.PayloadFormat? {
        first { if case .payloadFormatIndicator(let v) = $0 { v } else { nil } }
    }
    public var messageExpiryInterval: UInt32? {
        first { if case .messageExpiryInterval(let v) = $0 { v } else { nil } }
    }
    public var contentType: String? { first { if case .contentType(let v) = $0 { v } else { nil } } }
    public var responseTopic: String? { first { if case .responseTopic(let v) = $0 { v } else { nil } } }
    public var correlationData: ByteBuffer? { first { if case .correlationData(let v) = $0 { v } else { nil } } }
    public var sessionExpiryInterval: UInt32? {
        first { if case .sessionExpiryInterval(let v) = $0 { v } else { nil } }
    }
    public var assignedClientIdentifier: String? {
        first { if case .assignedClientIdentifier(let v) = $0 { v } else { nil } }
    }
    public var serverKeepAlive: UInt16? { first { if case .serverKeepAlive(let v) = $0 { v } else { nil } } }
    public var authenticationMethod: String? {
        first { if case .authenticationMethod(let v) = $0 { v } else { nil } }
    }
    public var authenticationData: ByteBuffer? {
        first { if case .authenticationData(let v) = $0 { v } else { nil } }
    }
    public var serverReference: String? { first { if case .serverReference(let v) = $0 { v } else { nil } } }
    public var reasonString: String? { first { if case .reasonString(let v) = $0 { v } else { nil } } }
    public var receiveMaximum: UInt16? { first { if case .receiveMaximum(let v) = $0 { v } else { nil } } }
    public var topicAliasMaximum: UInt16? { first { if case .topicAliasMaximum(let v) = $0 { v } else { nil } } }
    public var topicAlias: UInt16? { first { if case .topicAlias(let v) = $0 { v } else { nil } } }
    public var maximumQoS: QoS? { first { if case .maximumQoS(let v) = $0 { v } else { nil } } }
    public var retainAvailable: Bool? { first { if case .retainAvailable(let v) = $0 { v } else { nil } } }
    public var maximumPacketSize: UInt32? { first { if case .maximumPacketSize(let v) = $0 { v } else { nil } } }
    public var wildcardSubscriptionAvailable: Bool? {
        first { if case .wildcardSubscriptionAvailable(let v) = $0 { v } else { nil } }
    }
    public var subscriptionIdentifiersAvailable: Bool? {
        first { if case .subscriptionIdentifiersAvailable(let v) = $0 { v } else { nil } }
    }
    public var sharedSubscriptionAvailable: Bool? {
        first { if case .sharedSubscriptionAvailable(let v) = $0 { v } else { nil } }
    }

    private func first<T>(_ match: (MQTTProperty) -> T?) -> T? {
        for element in elements {
            if let value = match(element) { return value }
        }
        return nil
    }
}
