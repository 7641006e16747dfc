/// How the sender settles (attach `snd-settle-mode`).
public enum AMQP10SenderSettleMode: UInt8, Sendable, Hashable, CaseIterable {
    /// The sender sends every delivery unsettled and waits for the receiver's outcome.
    case unsettled = 0
    /// The sender sends every delivery settled ("fire and forget").
    case settled = 1
    /// Either, per delivery.
    case mixed = 2
}

/// When the receiver settles (attach and transfer `rcv-settle-mode`).
public enum AMQP10ReceiverSettleMode: UInt8, Sendable, Hashable, CaseIterable {
    /// The receiver settles as soon as it sends its outcome.
    case first = 0
    /// The receiver settles only after the sender settled.
    case second = 1
}
