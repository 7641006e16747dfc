import AMQP10Protocol

/// Why an AMQP 1.0 connection or link ended or could not be used.
public enum AMQP10ConnectionError: Error, Sendable, Hashable, CustomStringConvertible {
    /// SASL or open failed: credentials, mechanisms, a peer that does not answer.
    case handshake(String)
    /// The peer closed the connection (`close`), with its error.
    case closedByPeer(condition: String?, description: String?)
    /// The peer ended the session (`end`).
    case sessionEnded(condition: String?, description: String?)
    /// The peer detached a link, with its error (e.g. `amqp:not-found`).
    case linkDetached(condition: String?, description: String?)
    /// The socket closed or failed.
    case connectionLost(String)
    /// Nothing from the peer within twice our idle timeout.
    case idleTimeout
    /// We closed it.
    case closedByClient
    /// The peer broke the protocol.
    case protocolError(String)

    public var description: String {
        func text(_ condition: String?, _ description: String?) -> String {
            [condition, description].compactMap { $0 }.joined(separator: " ")
        }
        switch self {
        case .handshake(let text): return "handshake failed: \(text)"
        case .closedByPeer(let condition, let description): return "connection closed by the peer: \(text(condition, description))"
        case .sessionEnded(let condition, let description): return "session ended by the peer: \(text(condition, description))"
        case .linkDetached(let condition, let description): return "link detached by the peer: \(text(condition, description))"
        case .connectionLost(let text): return "connection lost: \(text)"
        case .idleTimeout: return "connection lost: nothing from the peer within twice the idle timeout"
        case .closedByClient: return "closed by the bridge"
        case .protocolError(let text): return "protocol error: \(text)"
        }
    }
}

/// The codec's source terminus; `AMQP10Source` in this module is the route source.
typealias AMQP10SourceTerminus = AMQP10Protocol.AMQP10Source
