public import NIOCore

/// Timers on a NIO event loop.
public struct EventLoopDeliveryClock: DeliveryClock {
    public let eventLoop: any EventLoop

    public init(eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    public func now() -> NIODeadline { .now() }

    public func schedule(after delay: TimeAmount, _ body: @escaping @Sendable () -> Void) {
        eventLoop.scheduleTask(in: delay, body)
    }
}
