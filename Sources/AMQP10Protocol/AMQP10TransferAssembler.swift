import NIOCore

/// Reassembles a delivery sent as several transfers (`more = true` on all but the last) on
/// one link. One assembler per link: a link carries one incomplete delivery at a time.
public struct AMQP10TransferAssembler: Sendable {
    /// What a received transfer completed.
    public enum Result: Sendable, Hashable {
        /// More transfers of this delivery are expected.
        case incomplete
        /// The whole delivery: the first transfer's fields, with `settled` and `state`
        /// updated from the later ones, and the joined payload. `more` is false.
        case complete(AMQP10Transfer)
        /// The sender aborted the delivery: what arrived of it is dropped. The first
        /// transfer's fields, with an empty payload.
        case aborted(AMQP10Transfer)
    }

    /// The largest payload accepted for one delivery, in bytes.
    public var maxMessageSize: Int
    private var first: AMQP10Transfer?
    private var payload = ByteBuffer()

    /// - Parameter maxMessageSize: the limit for a reassembled payload; the link's
    ///   max-message-size.
    public init(maxMessageSize: Int) {
        self.maxMessageSize = maxMessageSize
    }

    /// Whether a delivery is partly received.
    public var isInProgress: Bool { self.first != nil }

    /// Takes the next transfer of the link.
    ///
    /// - Throws: `AMQP10ProtocolError.messageTooLarge` when the payload passes
    ///   `maxMessageSize` (the partial delivery is dropped: detach the link with
    ///   `amqp:link:message-size-exceeded`); `.unexpectedTransfer` for a continuation of
    ///   another delivery, or a first transfer without delivery-id.
    public mutating func receive(_ transfer: AMQP10Transfer) throws(AMQP10ProtocolError) -> Result {
        guard var first = self.first else {
            if transfer.aborted { return .aborted(Self.emptied(transfer)) }
            guard transfer.deliveryID != nil else {
                throw .unexpectedTransfer("a first transfer without delivery-id on handle \(transfer.handle)")
            }
            guard transfer.payload.readableBytes <= self.maxMessageSize else {
                throw .messageTooLarge(size: transfer.payload.readableBytes, limit: self.maxMessageSize)
            }
            guard transfer.more else { return .complete(transfer) }
            self.first = transfer
            self.payload = transfer.payload
            return .incomplete
        }
        if let id = transfer.deliveryID, id != first.deliveryID {
            self.reset()
            throw .unexpectedTransfer("delivery-id \(id) while delivery \(first.deliveryID!) is incomplete")
        }
        if let tag = transfer.deliveryTag, let firstTag = first.deliveryTag, tag != firstTag {
            self.reset()
            throw .unexpectedTransfer("another delivery-tag while delivery \(first.deliveryID!) is incomplete")
        }
        if transfer.handle != first.handle {
            self.reset()
            throw .unexpectedTransfer("handle \(transfer.handle) in the assembler of handle \(first.handle)")
        }
        if transfer.aborted {
            self.reset()
            return .aborted(Self.emptied(first))
        }
        let size = self.payload.readableBytes + transfer.payload.readableBytes
        guard size <= self.maxMessageSize else {
            self.reset()
            throw .messageTooLarge(size: size, limit: self.maxMessageSize)
        }
        self.payload.writeImmutableBuffer(transfer.payload)
        if transfer.settled == true { first.settled = true }
        if let state = transfer.state { first.state = state }
        guard !transfer.more else {
            self.first = first
            return .incomplete
        }
        first.more = false
        first.payload = self.payload
        self.reset()
        return .complete(first)
    }

    /// Drops a partial delivery (on detach or link recovery).
    public mutating func reset() {
        self.first = nil
        self.payload = ByteBuffer()
    }

    private static func emptied(_ transfer: AMQP10Transfer) -> AMQP10Transfer {
        var transfer = transfer
        transfer.payload = ByteBuffer()
        transfer.more = false
        return transfer
    }
}
