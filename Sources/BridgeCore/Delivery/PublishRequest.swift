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
