public import NIOCore

/// Time and timers for the delivery core: a NIO event loop in production, a manual clock
/// in tests.
public protocol DeliveryClock: Sendable {
    /// The current time on the monotonic clock.
    func now() -> NIODeadline
    /// Runs `body` once, after `delay`. Used only for retries, not per message.
    func schedule(after delay: TimeAmount, _ body: @escaping @Sendable () -> Void)
}
