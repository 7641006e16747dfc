public import CoreMetrics
public import NIOCore
import NIOConcurrencyHelpers

/// Runs one route's ``DeliveryStateMachine`` against its source and sinks: every event
/// goes through a lock, and the actions it returns run outside it.
///
/// Adapters call ``receive(_:partition:token:)``, ``confirmed(_:)`` and ``failed(_:_:)``
/// from any thread. Nothing is allocated per message: action buffers are reused.
public final class RouteDelivery: Sendable {
    private struct State: Sendable {
        var machine: DeliveryStateMachine
        /// Action buffers, reused (more than one when events nest or race).
        var spare: [DeliveryActions] = []
        var drainWaiters: [CheckedContinuation<Void, Never>] = []
        var drained = false
        /// Calls for the source (acks, rejects, pause, resume, partition releases) in the
        /// order the core made them. Events run on many threads and leave the lock in any
        /// order; the source must still see two acks in the order the core released them.
        /// One thread at a time delivers from here (`sourceDelivering`), outside the lock.
        var sourceCalls = DeliveryActions()
        var sourceCallsSpare = DeliveryActions()
        var sourceDelivering = false
    }

    public let policy: DeliveryPolicy
    private let state: NIOLockedValueBox<State>
    private let source: any DeliverySource
    /// Per destination index; the dead letter last when the route has one.
    private let sinks: [any DeliverySink]
    private let clock: any DeliveryClock

    /// - Parameters:
    ///   - policy: The route's policy.
    ///   - source: The source adapter.
    ///   - sinks: One per destination, in the order of `policy.destinations`.
    ///   - deadLetter: The dead letter's sink; required when the policy has a dead letter.
    ///   - clock: Time and retry timers.
    ///   - metricsFactory: Where the route's metrics go (`MetricsSystem.factory` in production).
    ///   - random: Retry jitter.
    public init(
        policy: DeliveryPolicy,
        source: any DeliverySource,
        sinks: [any DeliverySink],
        deadLetter: (any DeliverySink)? = nil,
        clock: any DeliveryClock,
        metricsFactory: any MetricsFactory = MetricsSystem.factory,
        random: some RandomNumberGenerator & Sendable = SystemRandomNumberGenerator()
    ) {
        precondition(sinks.count == policy.destinations.count, "one sink per destination")
        precondition(policy.hasDeadLetter == (deadLetter != nil), "a dead letter sink exactly when the policy has a dead letter")
        self.policy = policy
        self.source = source
        self.sinks = sinks + (deadLetter.map { [$0] } ?? [])
        self.clock = clock
        let machine = DeliveryStateMachine(policy: policy, metricsFactory: metricsFactory, random: random)
        self.state = NIOLockedValueBox(State(machine: machine))
    }

    /// What /readyz reports for the route.
    public var routeState: RouteState { state.withLockedValue { $0.machine.routeState } }

    /// Running totals.
    public var stats: DeliveryStats { state.withLockedValue { $0.machine.stats } }

    // MARK: Events

    /// A source hands in a message. See ``DeliveryStateMachine/receive(_:partition:token:now:into:)``.
    @discardableResult
    public func receive(_ envelope: Envelope, partition: Int = 0, token: SourceToken) -> ReceiveResult {
        let now = clock.now()
        var actions = DeliveryActions()
        var deliverSource = false
        let result = state.withLockedValue { state in
            actions = state.spare.popLast() ?? []
            let result = state.machine.receive(envelope, partition: partition, token: token, now: now, into: &actions)
            deliverSource = Self.queueSourceCalls(&actions, in: &state)
            return result
        }
        run(&actions, deliverSource: deliverSource)
        return result
    }

    /// A sink reports that the broker confirmed the publish of `tag`.
    public func confirmed(_ tag: DeliveryTag) {
        let now = clock.now()
        var actions = DeliveryActions()
        var deliverSource = false
        state.withLockedValue { state in
            actions = state.spare.popLast() ?? []
            state.machine.confirmed(tag, now: now, into: &actions)
            deliverSource = Self.queueSourceCalls(&actions, in: &state)
        }
        run(&actions, deliverSource: deliverSource)
    }

    /// A sink reports that the publish of `tag` failed.
    public func failed(_ tag: DeliveryTag, _ failure: PublishFailure) {
        let now = clock.now()
        var actions = DeliveryActions()
        var deliverSource = false
        state.withLockedValue { state in
            actions = state.spare.popLast() ?? []
            state.machine.failed(tag, failure, now: now, into: &actions)
            deliverSource = Self.queueSourceCalls(&actions, in: &state)
        }
        run(&actions, deliverSource: deliverSource)
    }

    /// A partition was assigned; returns its generation.
    public func assign(partition: Int) -> UInt32 {
        let now = clock.now()
        var actions = DeliveryActions()
        var deliverSource = false
        let generation = state.withLockedValue { state in
            let generation = state.machine.assign(partition: partition, now: now, into: &actions)
            deliverSource = Self.queueSourceCalls(&actions, in: &state)
            return generation
        }
        run(&actions, deliverSource: deliverSource)
        return generation
    }

    /// A partition is being revoked: the source gets `partitionReleased` when its in-flight
    /// messages are settled; call ``abandon(partition:)`` when the wait (5 s) is over.
    public func revoke(partition: Int) {
        event { $0.revoke(partition: partition, now: $1, into: &$2) }
    }

    /// Abandons what is still in flight from a revoked partition (counted).
    public func abandon(partition: Int) {
        event { $0.abandon(partition: partition, now: $1, into: &$2) }
    }

    /// Shutdown: stops taking messages and waits up to `timeout` for in-flight messages to
    /// be settled; what is left is abandoned, unacked, for the broker to redeliver.
    ///
    /// - Returns: True when everything was settled in time.
    @discardableResult
    public func drain(timeout: TimeAmount) async -> Bool {
        let before = stats.abandoned
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let done = state.withLockedValue { state in
                if state.drained { return true }
                state.drainWaiters.append(continuation)
                return false
            }
            if done {
                continuation.resume()
                return
            }
            clock.schedule(after: timeout) { [self] in
                self.event { $0.abandonAll(now: $1, into: &$2) }
            }
            event { $0.drain(now: $1, into: &$2) }
        }
        return stats.abandoned == before
    }

    /// Runs a retry that fell due.
    func retryDue(_ tag: DeliveryTag) {
        event { $0.retryDue(tag, now: $1, into: &$2) }
    }

    private func event(_ body: (inout DeliveryStateMachine, NIODeadline, inout DeliveryActions) -> Void) {
        let now = clock.now()
        var actions = DeliveryActions()
        var deliverSource = false
        state.withLockedValue { state in
            actions = state.spare.popLast() ?? []
            body(&state.machine, now, &actions)
            deliverSource = Self.queueSourceCalls(&actions, in: &state)
        }
        run(&actions, deliverSource: deliverSource)
    }

    /// Moves the source calls of `actions` to the ordered queue (under the lock). Returns
    /// true when this thread is to deliver the queue: nobody else is delivering.
    private static func queueSourceCalls(_ actions: inout DeliveryActions, in state: inout State) -> Bool {
        var other = state.spare.popLast() ?? []
        while let action = actions.popFirst() {
            switch action {
            case .acknowledge, .reject, .pause, .resume, .partitionReleased, .attemptFailed:
                state.sourceCalls.append(action)
            case .publish, .scheduleRetry, .drained:
                other.append(action)
            }
        }
        state.spare.append(actions)
        actions = other
        guard !state.sourceCalls.isEmpty, !state.sourceDelivering else { return false }
        state.sourceDelivering = true
        return true
    }

    /// Delivers the queued source calls in order until the queue is empty. A source call
    /// that re-enters the core (a resumed source handing in messages) only queues more.
    private func deliverSourceCalls() {
        while true {
            var batch = state.withLockedValue { state -> DeliveryActions in
                if state.sourceCalls.isEmpty {
                    state.sourceDelivering = false
                    return []
                }
                let batch = state.sourceCalls
                state.sourceCalls = state.sourceCallsSpare
                state.sourceCallsSpare = []
                return batch
            }
            if batch.isEmpty { return }
            while let call = batch.popFirst() { perform(call) }
            state.withLockedValue { state in
                if state.sourceCallsSpare.isEmpty { state.sourceCallsSpare = batch }
            }
        }
    }

    /// Runs one action (`.drained` is handled by ``run(_:deliverSource:)``).
    private func perform(_ action: DeliveryAction) {
        switch action {
        case .publish(let request):
            sinks[request.tag.isDeadLetter ? sinks.count - 1 : request.tag.destination].publish(request, for: self)
        case .acknowledge(let token, let partition, let generation):
            source.acknowledge(token, partition: partition, generation: generation)
        case .reject(let token, let partition, let generation):
            source.reject(token, partition: partition, generation: generation)
        case .pause:
            source.pause()
        case .resume:
            source.resume()
        case .scheduleRetry(let tag, let delay):
            clock.schedule(after: delay) { [self] in self.retryDue(tag) }
        case .partitionReleased(let partition, let generation):
            source.partitionReleased(partition, generation: generation)
        case .attemptFailed(let token, let partition, let generation):
            source.attemptFailed(token, partition: partition, generation: generation)
        case .drained:
            break
        }
    }

    private func run(_ actions: inout DeliveryActions, deliverSource: Bool) {
        if deliverSource { deliverSourceCalls() }
        var drained = false
        while let action = actions.popFirst() {
            if case .drained = action { drained = true } else { perform(action) }
        }
        let waiters = state.withLockedValue { state in
            state.spare.append(actions)
            guard drained else { return [CheckedContinuation<Void, Never>]() }
            state.drained = true
            defer { state.drainWaiters = [] }
            return state.drainWaiters
        }
        for waiter in waiters { waiter.resume() }
    }
}
