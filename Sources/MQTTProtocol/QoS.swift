/// The quality of service of a message or a subscription.
public enum QoS: UInt8, Sendable, Hashable, CaseIterable, Comparable {
    /// QoS 0: fire and forget.
    case atMostOnce = 0
    /// QoS 1: PUBLISH, PUBACK.
    case atLeastOnce = 1
    /// QoS 2: PUBLISH, PUBREC, PUBREL, PUBCOMP.
    case exactlyOnce = 2

    public static func < (lhs: QoS, rhs: QoS) -> Bool { lhs.rawValue < rhs.rawValue }
}
