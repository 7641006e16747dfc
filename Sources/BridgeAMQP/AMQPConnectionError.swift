/// Why an AMQP connection or channel ended or could not be used.
public enum AMQPConnectionError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The broker refused the handshake (credentials, vhost) or broke it.
    case handshake(String)
    /// The broker closed the connection (`connection.close`).
    case connectionClosedByBroker(code: UInt16, text: String)
    /// The broker closed a channel (`channel.close`), e.g. 404 NOT_FOUND, 406 PRECONDITION_FAILED.
    case channelClosedByBroker(code: UInt16, text: String)
    /// The socket closed or failed.
    case connectionLost(String)
    /// No heartbeat or other frame from the broker for two heartbeat intervals.
    case missedHeartbeats
    /// We closed it.
    case closedByClient
    /// The broker broke the protocol.
    case protocolError(String)
    /// No channel id left under channel-max.
    case noFreeChannel

    public var description: String {
        switch self {
        case .handshake(let text): "handshake failed: \(text)"
        case .connectionClosedByBroker(let code, let text): "connection closed by the broker: \(code) \(text)"
        case .channelClosedByBroker(let code, let text): "channel closed by the broker: \(code) \(text)"
        case .connectionLost(let text): "connection lost: \(text)"
        case .missedHeartbeats: "connection lost: no heartbeat from the broker for two intervals"
        case .closedByClient: "closed by the bridge"
        case .protocolError(let text): "protocol error: \(text)"
        case .noFreeChannel: "no free channel under channel-max"
        }
    }
}
