public import NIOCore
import Synchronization

/// A clock that moves only when told to: timers run in `advance(by:)`, in deadline order.
public final class ManualDeliveryClock: DeliveryClock {
    private struct Timer {
        var deadline: NIODeadline
        var order: Int
        var body: @Sendable () -> Void
    }

    private struct State {
        var now: NIODeadline
        var timers: [Timer] = []
        var order = 0
    }

    private let state: Mutex<State>

    /// - Parameter start: The time the clock shows at first.
    public init(start: NIODeadline = .uptimeNanoseconds(1_000_000_000)) {
        self.state = Mutex(State(now: start))
    }

    public func now() -> NIODeadline { state.withLock { $0.now } }

    /// Timers not yet run.
    public var pendingTimers: Int { state.withLock { $0.timers.count } }

    public func schedule(after delay: TimeAmount, _ body: @escaping @Sendable () -> Void) {
        state.withLock { state in
            state.order += 1
            state.timers.append(Timer(deadline: state.now + delay, order: state.order, body: body))
        }
    }

    /// Moves the clock forward, running each timer that falls due at its deadline
    /// (including timers those timers schedule).
    public func advance(by amount: TimeAmount) {
        let end = state.withLock { $0.now + amount }
        while true {
            let next: Timer? = state.withLock { state in
                guard let index = state.timers.indices.min(by: { Self.before(state.timers[$0], state.timers[$1]) }),
                    state.timers[index].deadline <= end
                else {
                    state.now = end
                    return nil
                }
                let timer = state.timers.remove(at: index)
                state.now = max(state.now, timer.deadline)
                return timer
            }
            guard let next else { return }
            next.body()
        }
    }

    private static func before(_ a: Timer, _ b: Timer) -> Bool {
        a.deadline < b.deadline || (a.deadline == b.deadline && a.order < b.order)
    }
}
