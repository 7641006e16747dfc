/// Whether the core took a message handed to ``DeliveryStateMachine/receive(_:partition:token:now:into:)``.
public enum ReceiveResult: Sendable, Hashable {
    /// Taken: the core will acknowledge, reject or abandon it.
    case accepted
    /// Not taken because the window is full; the source should not have sent it (it was
    /// told to pause). Leave it unacked.
    case windowFull
    /// Not taken because the route drains or the partition was revoked. Leave it unacked.
    case notTaking
}
