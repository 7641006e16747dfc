/// Why a publish failed, as a sink reports it.
public struct PublishFailure: Sendable, Hashable, CustomStringConvertible {
    public enum Kind: Sendable, Hashable {
        /// Worth retrying: connection lost, broker nack, timeout.
        case transient
        /// Retrying cannot help: handled by `exhausted` at once.
        case permanent
    }

    public var kind: Kind
    /// The reason word: the `reason` metric label and the first part of `bridge-error`.
    public var reason: String
    /// The broker's or the bridge's message.
    public var message: String

    public init(_ kind: Kind, reason: String, message: String) {
        self.kind = kind
        self.reason = reason
        self.message = message
    }

    /// A transient failure.
    public static func transient(_ reason: String, _ message: String) -> Self { .init(.transient, reason: reason, message: message) }
    /// A permanent failure.
    public static func permanent(_ reason: String, _ message: String) -> Self { .init(.permanent, reason: reason, message: message) }

    /// `bridge-error`: `<reason>:<message>`.
    public var description: String { "\(reason):\(message)" }
}
