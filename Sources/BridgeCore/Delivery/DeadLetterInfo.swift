/// The headers a dead letter carries besides the message's own (CONTRACT section 5.5).
public struct DeadLetterInfo: Sendable, Hashable {
    /// `bridge-error`: `<reason>:<message>`.
    public var error: String
    /// `bridge-route`.
    public var route: String
    /// `bridge-destination`: the destination that failed.
    public var destination: String
    /// `bridge-attempts`: publish attempts made to the failing destination.
    public var attempts: Int
    /// `bridge-source`.
    public var source: String

    /// The five headers, in this order: error, route, destination, attempts, source.
    public var headers: Headers {
        [
            (BridgeHeader.error, .string(error)),
            (BridgeHeader.route, .string(route)),
            (BridgeHeader.destination, .string(destination)),
            (BridgeHeader.attempts, .string(String(attempts))),
            (BridgeHeader.source, .string(source)),
        ]
    }
}
