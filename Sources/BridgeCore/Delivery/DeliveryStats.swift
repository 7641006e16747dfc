/// Running totals of one route, for invariant checks and /readyz (the metrics carry the same).
///
/// At rest: `received == acked + inFlight + abandoned` and
/// `acked == ackedConfirmed + deadLettered + dropped` (a rejected message counts as acked
/// and as dropped).
public struct DeliveryStats: Sendable, Hashable {
    public var received = 0
    public var acked = 0
    /// Acked after every destination confirmed.
    public var ackedConfirmed = 0
    /// Acked after at least one destination's failure was settled by a dead letter.
    public var deadLettered = 0
    /// Acked (or rejected) after a failure was settled by drop, reject or expiry.
    public var dropped = 0
    public var rejected = 0
    public var abandoned = 0
    /// Received, not yet acked, rejected or abandoned: the window's fill.
    public var inFlight = 0
    public var published = 0
    public var confirmed = 0
    public var retried = 0
    public var failed = 0
    /// Dead-letter publishes confirmed (one per failed destination).
    public var deadLettersConfirmed = 0

    public init() {}
}
