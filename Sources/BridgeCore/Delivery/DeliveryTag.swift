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
