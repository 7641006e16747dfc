/// Names one publish attempt: which message, which destination, which attempt.
///
/// A sink hands it back unchanged with its confirm or failure. A tag of a message the
/// core no longer tracks (abandoned, already settled, a superseded attempt) is ignored.
public struct DeliveryTag: Sendable, Hashable, CustomStringConvertible {
    /// Slot of the message in the route's table.
    @usableFromInline var slot: UInt32
    /// The destination index in ``DeliveryPolicy/destinations``.
    public var destination: Int { Int(destinationIndex) }
    @usableFromInline var destinationIndex: UInt16
    /// True when this publish goes to the dead letter on behalf of `destination`.
    public var isDeadLetter: Bool
    /// The attempt number, from 1.
    public var attempt: UInt32
    /// Sequence number of the message within the route, unique for the route's lifetime.
    public var sequence: UInt64

    public var description: String {
        "#\(sequence)/\(isDeadLetter ? "dead-letter:" : "")\(destinationIndex)/\(attempt)"
    }
}

/// A source's handle for acknowledging a message: the MQTT packet id, the Kafka offset,
/// the AMQP delivery tag.
public typealias SourceToken = UInt64

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

/// What the core asks a sink to publish.
public struct PublishRequest: Sendable {
    /// Hand back with the confirm or failure.
    public let tag: DeliveryTag
    let message: MessageBox
    let deadLetterBox: DeadLetterBox?

    /// The message as received.
    public var envelope: Envelope { message.envelope }
    /// Set when this publish goes to the dead letter: the headers to add.
    public var deadLetter: DeadLetterInfo? { deadLetterBox?.info }
    /// The destination index (for a dead letter: the destination that failed).
    public var destination: Int { tag.destination }
    /// The attempt number, from 1.
    public var attempt: Int { Int(tag.attempt) }
    /// `bridge-hops` to write: one more than received.
    public var hopsToWrite: Int { message.envelope.hops + 1 }
}

/// A received message, boxed once per message: actions and requests then carry one
/// reference instead of copying the envelope's dozen fields.
final class MessageBox: Sendable {
    let envelope: Envelope

    init(_ envelope: consuming Envelope) {
        self.envelope = envelope
    }
}

/// The dead-letter headers of a request, boxed to keep ``DeliveryAction`` small.
final class DeadLetterBox: Sendable {
    let info: DeadLetterInfo

    init(_ info: DeadLetterInfo) {
        self.info = info
    }
}

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

/// The reason words of CONTRACT section 5 (`reason` label).
public enum FailureReason {
    public static let tooLarge = "too_large"
    public static let template = "template"
    public static let notAllowed = "not_allowed"
    public static let unroutable = "unroutable"
    public static let expired = "expired"
    public static let loop = "loop"
    public static let rejected = "rejected"
    // Transient reasons adapters commonly use.
    /// The connection to the destination was lost before the broker confirmed: retried
    /// until it is back, without using up `retry.attempts` (CONTRACT 5.8).
    public static let connectionLost = "connection_lost"
    public static let nack = "nack"
    public static let timeout = "timeout"

    /// The reasons that are permanent by definition: they skip retries.
    public static let permanent: Set<String> = [tooLarge, template, notAllowed, unroutable, expired, loop, rejected]
}
