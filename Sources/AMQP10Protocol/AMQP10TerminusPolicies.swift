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
