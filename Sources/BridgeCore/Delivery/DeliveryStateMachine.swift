public import CoreMetrics
public import DequeModule
public import NIOCore

/// The delivery promise of one route (CONTRACT section 5) as a state machine without I/O.
///
/// Every event takes the current time and appends the side effects it asks for to an
/// action buffer the caller owns and reuses; the caller runs them outside its lock.
/// ``RouteDelivery`` is the driver adapters use; tests drive this type directly.
///
/// Per message it keeps one slot (the boxed envelope, the source token, and one small state
/// per destination in a flat array); the hot path allocates only the envelope's box.
///
/// Choices where CONTRACT section 5 is silent:
/// - Each destination that fails for good gets its own dead letter (its `bridge-destination`
///   names it); the source message is counted once: as dead-lettered when any of its
///   destinations was dead-lettered, else as dropped when any was dropped or expired
///   (with the first such reason), else as acked after every destination confirmed.
/// - `exhausted: reject` settles the whole message at once; publishes still in flight to
///   other destinations are forgotten (their confirms are ignored).
/// - `bridge-hops` and expiry are checked before every publish attempt, retries included.
///   A looping message under `block` is never published and keeps the route blocked.
/// - A `connection_lost` failure is retried with backoff (capped at `maxBackoff`) without
///   using up `retry.attempts` (CONTRACT 5.8: never dropped for a reconnect).
/// - The window frees (and the source resumes) as soon as one message leaves it.
/// - Dead letters are not checked for expiry and have no attempt limit.
public struct DeliveryStateMachine: Sendable {
    public let policy: DeliveryPolicy
    /// Running totals; see ``DeliveryStats`` for the invariants they keep.
    public private(set) var stats = DeliveryStats()

    var metrics: RouteMetrics
    var random: any RandomNumberGenerator & Sendable

    /// Destinations per message (the dead letter is not counted: it is a phase of a destination).
    let width: Int
    /// Index of the dead letter in the metrics' destination arrays.
    let deadLetterIndex: Int
    let usesQueue: Bool
    let strict: Bool

    var entries: [Entry] = []
    var lanes: [Lane] = []
    var freeSlots: [UInt32] = []
    var partitions = PartitionTable<Partition>()
    /// Failures waiting for their dead letter, by `slot << 16 | destination`.
    var failures: [UInt64: PublishFailure] = [:]
    var nextSequence: UInt64 = 1
    var nextGeneration: UInt32 = 1
    var paused = false
    var draining = false
    var drainedReported = false
    var blockedCount = 0

    /// Creates the state of a route and its metrics (every series at 0).
    ///
    /// - Parameters:
    ///   - policy: The route's policy.
    ///   - metricsFactory: Where the route's series are registered.
    ///   - random: The source of retry jitter.
    public init(
        policy: DeliveryPolicy,
        metricsFactory: any MetricsFactory,
        random: some RandomNumberGenerator & Sendable = SystemRandomNumberGenerator()
    ) {
        self.policy = policy
        self.metrics = RouteMetrics(policy: policy, factory: metricsFactory)
        self.random = random
        self.width = policy.destinations.count
        self.deadLetterIndex = policy.destinations.count
        self.strict = policy.ordering == .strict
        self.usesQueue = policy.ackOrder == .ordered || policy.ordering == .strict
    }

    /// What /readyz reports for the route.
    public var routeState: RouteState {
        if blockedCount > 0 { return .blocked }
        if paused { return .paused }
        return .consuming
    }

    /// The current generation of a partition, or nil when it is not assigned.
    public func generation(of partition: Int) -> UInt32? {
        partitions[partition]?.generation
    }

    // MARK: - Events from the source

    /// A source hands in a message.
    ///
    /// - Parameters:
    ///   - envelope: The message.
    ///   - partition: The source partition: the Kafka partition; 0 for an MQTT route
    ///     connection or an AMQP queue. Acks are ordered per partition.
    ///   - token: What the source needs to acknowledge it.
    ///   - now: The current time.
    ///   - actions: Receives the side effects.
    /// - Returns: Whether the message was taken; one that was not stays unacked.
    public mutating func receive(
        _ envelope: consuming Envelope,
        partition: Int,
        token: SourceToken,
        now: NIODeadline,
        into actions: inout DeliveryActions
    ) -> ReceiveResult {
        if draining { return .notTaking }
        let generation: UInt32
        if let existing = partitions[partition] {
            if existing.revoked { return .notTaking }
            generation = existing.generation
        } else {
            generation = newPartition(partition)
        }
        if stats.inFlight >= policy.maxInFlight { return .windowFull }

        let slot = allocateSlot()
        let sequence = nextSequence
        nextSequence &+= 1
        let receivedAt = envelope.receivedAt
        let expiresAt = envelope.expiresAt
        let hops = envelope.hops
        entries[Int(slot)] = Entry(
            sequence: sequence,
            message: MessageBox(envelope),
            receivedAt: receivedAt,
            expiresAt: expiresAt,
            hops: hops,
            token: token,
            partition: partition,
            generation: generation,
            pending: width
        )
        let base = Int(slot) * width
        for d in 0..<width { lanes[base + d] = Lane() }

        stats.received += 1
        stats.inFlight += 1
        metrics.received.increment()
        metrics.inFlight.record(stats.inFlight)

        var startNow = true
        if usesQueue {
            partitions[partition]!.inFlight += 1
            partitions[partition]!.queue.append(slot)
            startNow = !strict || partitions[partition]!.queue.count == 1
        } else {
            partitions[partition]!.inFlight += 1
        }
        if startNow { start(slot: slot, now: now, into: &actions) }

        if stats.inFlight >= policy.maxInFlight && !paused {
            paused = true
            actions.append(.pause)
        }
        return .accepted
    }

    // MARK: - Events from sinks

    /// A sink reports that the broker confirmed a publish.
    public mutating func confirmed(_ tag: DeliveryTag, now: NIODeadline, into actions: inout DeliveryActions) {
        guard let slot = validSlot(tag) else { return }
        let lane = Int(slot) * width + tag.destination
        let partition = entries[Int(slot)].partition
        if tag.isDeadLetter {
            guard lanes[lane].phase == .deadLettering, lanes[lane].deadLetterAttempt == tag.attempt else { return }
            stats.deadLettersConfirmed += 1
            metrics.confirmed[deadLetterIndex].increment()
            let key = Self.failureKey(slot, tag.destination)
            let reason = failures.removeValue(forKey: key)?.reason ?? ""
            settle(slot: slot, destination: tag.destination, as: .deadLettered, reason: reason, now: now, into: &actions)
        } else {
            guard lanes[lane].phase == .publishing, lanes[lane].attempt == tag.attempt else { return }
            stats.confirmed += 1
            metrics.confirmed[tag.destination].increment()
            settle(slot: slot, destination: tag.destination, as: .confirmed, reason: "", now: now, into: &actions)
        }
        pump(partition: partition, now: now, into: &actions)
    }

    /// A sink reports that a publish failed.
    public mutating func failed(
        _ tag: DeliveryTag,
        _ failure: PublishFailure,
        now: NIODeadline,
        into actions: inout DeliveryActions
    ) {
        guard let slot = validSlot(tag) else { return }
        let lane = Int(slot) * width + tag.destination
        let partition = entries[Int(slot)].partition
        if tag.isDeadLetter {
            guard lanes[lane].phase == .deadLettering, lanes[lane].deadLetterAttempt == tag.attempt else { return }
            // A dead letter is retried forever and never dead-lettered again.
            stats.failed += 1
            metrics.failed(destination: deadLetterIndex, reason: failure.reason).increment()
            lanes[lane].phase = .waitingDeadLetterRetry
            actions.append(.scheduleRetry(tag, after: backoff(afterAttempt: tag.attempt)))
        } else {
            guard lanes[lane].phase == .publishing, lanes[lane].attempt == tag.attempt else { return }
            handle(failure, slot: slot, destination: tag.destination, now: now, into: &actions)
        }
        pump(partition: partition, now: now, into: &actions)
    }

    /// A retry timer the core asked for with ``DeliveryAction/scheduleRetry(_:after:)`` is due.
    public mutating func retryDue(_ tag: DeliveryTag, now: NIODeadline, into actions: inout DeliveryActions) {
        guard let slot = validSlot(tag) else { return }
        let lane = Int(slot) * width + tag.destination
        let partition = entries[Int(slot)].partition
        if tag.isDeadLetter {
            guard lanes[lane].phase == .waitingDeadLetterRetry, lanes[lane].deadLetterAttempt == tag.attempt else { return }
            publishDeadLetter(slot: slot, destination: tag.destination, into: &actions)
        } else {
            guard lanes[lane].phase == .waitingRetry, lanes[lane].attempt == tag.attempt else { return }
            attemptPublish(slot: slot, destination: tag.destination, now: now, into: &actions)
        }
        pump(partition: partition, now: now, into: &actions)
    }

    // MARK: - Partitions and shutdown

    /// A partition was assigned (Kafka rebalance). Anything still tracked from an earlier
    /// assignment of it is abandoned first.
    ///
    /// - Returns: The new generation; acks carry it.
    public mutating func assign(partition: Int, now: NIODeadline, into actions: inout DeliveryActions) -> UInt32 {
        if partitions[partition] != nil { abandon(partition: partition, now: now, into: &actions) }
        return newPartition(partition)
    }

    /// A partition is being revoked: take nothing more from it. When its last message is
    /// settled, ``DeliveryAction/partitionReleased(partition:generation:)`` follows (at once
    /// when nothing is in flight).
    public mutating func revoke(partition: Int, now: NIODeadline, into actions: inout DeliveryActions) {
        guard partitions[partition] != nil else {
            actions.append(.partitionReleased(partition: partition, generation: 0))
            return
        }
        partitions[partition]!.revoked = true
        if partitions[partition]!.inFlight == 0 {
            let generation = partitions.removeValue(forKey: partition)!.generation
            actions.append(.partitionReleased(partition: partition, generation: generation))
        }
    }

    /// The wait for a revoked partition is over: what is still in flight is abandoned
    /// (counted; the next owner redelivers it) and late confirms for it are ignored.
    public mutating func abandon(partition: Int, now: NIODeadline, into actions: inout DeliveryActions) {
        guard let state = partitions.removeValue(forKey: partition) else { return }
        for slot in entries.indices where entries[slot].sequence != 0 && entries[slot].partition == partition {
            abandon(slot: UInt32(slot))
        }
        actions.append(.partitionReleased(partition: partition, generation: state.generation))
        afterWindowFreed(into: &actions)
    }

    /// Shutdown: take nothing more. ``DeliveryAction/drained`` follows when nothing is in
    /// flight (at once when the route is idle).
    public mutating func drain(now: NIODeadline, into actions: inout DeliveryActions) {
        guard !draining else { return }
        draining = true
        if !paused {
            paused = true
            actions.append(.pause)
        }
        afterWindowFreed(into: &actions)
    }

    /// The drain budget ran out: abandon everything in flight, leaving it unacked for the
    /// broker to redeliver. Late confirms are ignored.
    public mutating func abandonAll(now: NIODeadline, into actions: inout DeliveryActions) {
        for slot in entries.indices where entries[slot].sequence != 0 {
            abandon(slot: UInt32(slot))
        }
        for key in partitions.keys {
            partitions[key]!.queue.removeAll(keepingCapacity: true)
            partitions[key]!.inFlight = 0
        }
        afterWindowFreed(into: &actions)
    }
}

// MARK: - Internals

extension DeliveryStateMachine {
    struct Entry {
        /// 0 when the slot is free.
        var sequence: UInt64 = 0
        /// The message, boxed once so that publishing it retains one reference.
        var message: MessageBox?
        /// Copied from the envelope, so the hot path does not touch it.
        var receivedAt = NIODeadline.uptimeNanoseconds(0)
        var expiresAt: NIODeadline?
        var hops = 0
        var token: SourceToken = 0
        var partition: Int = 0
        var generation: UInt32 = 0
        /// Destinations not yet settled.
        var pending: Int = 0
        var started = false
        /// Every destination settled; waiting for ordered release.
        var done = false
        var forwarded = false
        var outcome: Outcome = .confirmed
        var outcomeReason = ""
        /// ``DeliveryAction/attemptFailed(_:partition:generation:)`` was sent.
        var failedReported = false
    }

    enum Outcome: UInt8 {
        case confirmed, dropped, deadLettered, rejected
    }

    /// The state of one message towards one destination.
    struct Lane {
        var phase: Phase = .notStarted
        /// Exhausted under `block`: retried at `maxBackoff` until it confirms.
        var blocked = false
        /// Publish attempts made, the first included.
        var attempt: UInt32 = 0
        /// Failed attempts that count against `retry.attempts` (a lost connection does not).
        var charged: UInt32 = 0
        var deadLetterAttempt: UInt32 = 0
    }

    enum Phase: UInt8 {
        case notStarted, publishing, waitingRetry, deadLettering, waitingDeadLetterRetry
        case confirmed, deadLettered, dropped, cancelled
    }

    enum Settlement {
        case confirmed, deadLettered, dropped
    }

    struct Partition {
        var generation: UInt32
        var revoked = false
        var inFlight = 0
        /// Slots in arrival order (ordered acks or strict ordering only).
        var queue: Deque<UInt32> = []
    }

    static func failureKey(_ slot: UInt32, _ destination: Int) -> UInt64 {
        UInt64(slot) << 16 | UInt64(destination)
    }

    mutating func newPartition(_ partition: Int) -> UInt32 {
        let generation = nextGeneration
        nextGeneration &+= 1
        if nextGeneration == 0 { nextGeneration = 1 }
        partitions[partition] = Partition(generation: generation)
        return generation
    }

    mutating func allocateSlot() -> UInt32 {
        if let slot = freeSlots.popLast() { return slot }
        let slot = UInt32(entries.count)
        entries.append(Entry())
        for _ in 0..<width { lanes.append(Lane()) }
        return slot
    }

    mutating func freeSlot(_ slot: UInt32) {
        entries[Int(slot)] = Entry()
        freeSlots.append(slot)
    }

    func validSlot(_ tag: DeliveryTag) -> UInt32? {
        let slot = Int(tag.slot)
        guard slot < entries.count, entries[slot].sequence == tag.sequence, tag.sequence != 0,
            tag.destination < width
        else { return nil }
        return tag.slot
    }

    /// Starts publishing a message to every destination.
    mutating func start(slot: UInt32, now: NIODeadline, into actions: inout DeliveryActions) {
        entries[Int(slot)].started = true
        let sequence = entries[Int(slot)].sequence
        for d in 0..<width {
            // A reject settles the whole message at once; a finished slot may even be reused.
            guard entries[Int(slot)].sequence == sequence, lanes[Int(slot) * width + d].phase == .notStarted else { continue }
            attemptPublish(slot: slot, destination: d, now: now, into: &actions)
        }
    }

    /// One publish attempt to a destination, unless the message expired or loops.
    mutating func attemptPublish(slot: UInt32, destination d: Int, now: NIODeadline, into actions: inout DeliveryActions) {
        let lane = Int(slot) * width + d
        lanes[lane].attempt += 1
        let attempt = lanes[lane].attempt
        let entry = Int(slot)
        if let expiresAt = entries[entry].expiresAt, expiresAt <= now {
            stats.failed += 1
            metrics.failed(destination: d, reason: FailureReason.expired).increment()
            settle(slot: slot, destination: d, as: .dropped, reason: FailureReason.expired, now: now, into: &actions)
            return
        }
        let hops = entries[entry].hops
        if hops >= policy.maxHops {
            lanes[lane].phase = .publishing
            let failure = PublishFailure.permanent(FailureReason.loop, "bridge-hops \(hops) reached max_hops \(policy.maxHops)")
            handle(failure, slot: slot, destination: d, now: now, into: &actions)
            return
        }
        lanes[lane].phase = .publishing
        let tag = DeliveryTag(
            slot: slot,
            destinationIndex: UInt16(d),
            isDeadLetter: false,
            attempt: attempt,
            sequence: entries[entry].sequence
        )
        actions.append(.publish(PublishRequest(tag: tag, message: entries[entry].message!, deadLetterBox: nil)))
        stats.published += 1
        metrics.published[d].increment()
        if attempt > 1 {
            stats.retried += 1
            metrics.retried[d].increment()
        }
        if !entries[entry].forwarded {
            entries[entry].forwarded = true
            metrics.forwardSeconds.recordNanoseconds((now - entries[entry].receivedAt).nanoseconds)
        }
    }

    /// A failed attempt to a destination: retry, or settle it as the policy says.
    mutating func handle(_ failure: PublishFailure, slot: UInt32, destination d: Int, now: NIODeadline, into actions: inout DeliveryActions) {
        let lane = Int(slot) * width + d
        stats.failed += 1
        metrics.failed(destination: d, reason: failure.reason).increment()
        if failure.reason == FailureReason.expired {
            // Expired messages are dropped and counted, never dead-lettered.
            settle(slot: slot, destination: d, as: .dropped, reason: FailureReason.expired, now: now, into: &actions)
            return
        }
        let tag = DeliveryTag(
            slot: slot,
            destinationIndex: UInt16(d),
            isDeadLetter: false,
            attempt: lanes[lane].attempt,
            sequence: entries[Int(slot)].sequence
        )
        if failure.kind == .transient && !entries[Int(slot)].failedReported {
            entries[Int(slot)].failedReported = true
            let entry = entries[Int(slot)]
            actions.append(.attemptFailed(entry.token, partition: entry.partition, generation: entry.generation))
        }
        if lanes[lane].blocked {
            lanes[lane].phase = .waitingRetry
            actions.append(.scheduleRetry(tag, after: jittered(policy.retry.maxBackoff.nanoseconds)))
            return
        }
        if failure.kind == .transient && failure.reason == FailureReason.connectionLost {
            // CONTRACT 5.8: a publish that lost its connection is retried until the
            // connection is back, never dropped; it does not use up the retry budget.
            lanes[lane].phase = .waitingRetry
            actions.append(.scheduleRetry(tag, after: backoff(afterAttempt: lanes[lane].attempt)))
            return
        }
        lanes[lane].charged += 1
        if failure.kind == .transient && Int(lanes[lane].charged) < policy.retry.attempts {
            lanes[lane].phase = .waitingRetry
            actions.append(.scheduleRetry(tag, after: backoff(afterAttempt: lanes[lane].charged)))
            return
        }
        switch policy.exhausted {
        case .deadLetter:
            failures[Self.failureKey(slot, d)] = failure
            lanes[lane].deadLetterAttempt = 0
            publishDeadLetter(slot: slot, destination: d, into: &actions)
        case .block:
            lanes[lane].blocked = true
            blockedCount += 1
            lanes[lane].phase = .waitingRetry
            actions.append(.scheduleRetry(tag, after: jittered(policy.retry.maxBackoff.nanoseconds)))
        case .drop:
            settle(slot: slot, destination: d, as: .dropped, reason: failure.reason, now: now, into: &actions)
        case .reject:
            reject(slot: slot, reason: failure.reason, now: now, into: &actions)
        }
    }

    mutating func publishDeadLetter(slot: UInt32, destination d: Int, into actions: inout DeliveryActions) {
        let lane = Int(slot) * width + d
        lanes[lane].deadLetterAttempt += 1
        lanes[lane].phase = .deadLettering
        let entry = entries[Int(slot)]
        let failure = failures[Self.failureKey(slot, d)] ?? .permanent("unknown", "")
        let info = DeadLetterInfo(
            error: failure.description,
            route: policy.route,
            destination: policy.destinations[d].description,
            attempts: Int(lanes[lane].attempt),
            source: entry.message!.envelope.source.bridgeSource
        )
        let tag = DeliveryTag(
            slot: slot,
            destinationIndex: UInt16(d),
            isDeadLetter: true,
            attempt: lanes[lane].deadLetterAttempt,
            sequence: entry.sequence
        )
        actions.append(.publish(PublishRequest(tag: tag, message: entry.message!, deadLetterBox: DeadLetterBox(info))))
        stats.published += 1
        metrics.published[deadLetterIndex].increment()
        if lanes[lane].deadLetterAttempt > 1 {
            stats.retried += 1
            metrics.retried[deadLetterIndex].increment()
        }
    }

    /// Exponential backoff after `attempt` attempts, capped at `maxBackoff`, with jitter.
    mutating func backoff(afterAttempt attempt: UInt32) -> TimeAmount {
        let cap = policy.retry.maxBackoff.nanoseconds
        var delay = policy.retry.backoff.nanoseconds
        var n: UInt32 = 1
        while n < attempt && delay < cap {
            delay = delay > cap / 2 ? cap : delay * 2
            n += 1
        }
        return jittered(min(delay, cap))
    }

    /// A delay drawn uniformly from [delay/2, delay].
    mutating func jittered(_ delay: Int64) -> TimeAmount {
        let half = delay / 2
        return .nanoseconds(half + Int64.random(in: 0...(delay - half), using: &random))
    }

    mutating func settle(
        slot: UInt32,
        destination d: Int,
        as settlement: Settlement,
        reason: String,
        now: NIODeadline,
        into actions: inout DeliveryActions
    ) {
        let lane = Int(slot) * width + d
        switch settlement {
        case .confirmed: lanes[lane].phase = .confirmed
        case .deadLettered: lanes[lane].phase = .deadLettered
        case .dropped: lanes[lane].phase = .dropped
        }
        if lanes[lane].blocked {
            lanes[lane].blocked = false
            blockedCount -= 1
        }
        let entry = Int(slot)
        // One outcome per source message: dead-lettered over dropped over confirmed.
        switch settlement {
        case .confirmed: break
        case .deadLettered:
            if entries[entry].outcome != .deadLettered {
                entries[entry].outcome = .deadLettered
                entries[entry].outcomeReason = reason
            }
        case .dropped:
            if entries[entry].outcome == .confirmed {
                entries[entry].outcome = .dropped
                entries[entry].outcomeReason = reason
            }
        }
        entries[entry].pending -= 1
        if entries[entry].pending == 0 { finish(slot: slot, now: now, into: &actions) }
    }

    /// `exhausted: reject`: the whole message leaves at once; other destinations are cancelled.
    mutating func reject(slot: UInt32, reason: String, now: NIODeadline, into actions: inout DeliveryActions) {
        let base = Int(slot) * width
        for d in 0..<width {
            switch lanes[base + d].phase {
            case .confirmed, .deadLettered, .dropped, .cancelled: continue
            default:
                lanes[base + d].phase = .cancelled
                if lanes[base + d].blocked {
                    lanes[base + d].blocked = false
                    blockedCount -= 1
                }
                failures.removeValue(forKey: Self.failureKey(slot, d))
            }
        }
        entries[Int(slot)].outcome = .rejected
        entries[Int(slot)].outcomeReason = reason
        entries[Int(slot)].pending = 0
        finish(slot: slot, now: now, into: &actions)
    }

    /// Every destination settled: release the source ack (in order where needed).
    mutating func finish(slot: UInt32, now: NIODeadline, into actions: inout DeliveryActions) {
        entries[Int(slot)].done = true
        guard usesQueue else {
            release(slot: slot, now: now, into: &actions)
            return
        }
        let partition = entries[Int(slot)].partition
        while let head = partitions[partition]?.queue.first, entries[Int(head)].done {
            partitions[partition]!.queue.removeFirst()
            release(slot: head, now: now, into: &actions)
        }
    }

    mutating func release(slot: UInt32, now: NIODeadline, into actions: inout DeliveryActions) {
        let entry = Int(slot)
        let token = entries[entry].token
        let partition = entries[entry].partition
        let generation = entries[entry].generation
        let reason = entries[entry].outcomeReason
        stats.acked += 1
        metrics.acked.increment()
        switch entries[entry].outcome {
        case .confirmed:
            stats.ackedConfirmed += 1
            actions.append(.acknowledge(token, partition: partition, generation: generation))
        case .deadLettered:
            stats.deadLettered += 1
            metrics.deadLettered(reason: reason).increment()
            actions.append(.acknowledge(token, partition: partition, generation: generation))
        case .dropped:
            stats.dropped += 1
            metrics.dropped(reason: reason).increment()
            actions.append(.acknowledge(token, partition: partition, generation: generation))
        case .rejected:
            stats.dropped += 1
            stats.rejected += 1
            metrics.dropped(reason: reason).increment()
            actions.append(.reject(token, partition: partition, generation: generation))
        }
        metrics.deliverySeconds.recordNanoseconds((now - entries[entry].receivedAt).nanoseconds)
        stats.inFlight -= 1
        metrics.inFlight.record(stats.inFlight)
        freeSlot(slot)

        partitions[partition]!.inFlight -= 1
        if partitions[partition]!.revoked && partitions[partition]!.inFlight == 0 {
            partitions.removeValue(forKey: partition)
            actions.append(.partitionReleased(partition: partition, generation: generation))
        }
        afterWindowFreed(into: &actions)
    }

    /// Drops a message without acking it; the broker redelivers it.
    mutating func abandon(slot: UInt32) {
        let base = Int(slot) * width
        for d in 0..<width {
            if lanes[base + d].blocked {
                lanes[base + d].blocked = false
                blockedCount -= 1
            }
            lanes[base + d].phase = .cancelled
            failures.removeValue(forKey: Self.failureKey(slot, d))
        }
        stats.abandoned += 1
        stats.inFlight -= 1
        metrics.abandoned.increment()
        metrics.inFlight.record(stats.inFlight)
        freeSlot(slot)
    }

    mutating func afterWindowFreed(into actions: inout DeliveryActions) {
        if draining {
            if stats.inFlight == 0 && !drainedReported {
                drainedReported = true
                actions.append(.drained)
            }
        } else if paused && stats.inFlight < policy.maxInFlight {
            paused = false
            actions.append(.resume)
        }
    }

    /// `ordering: strict`: start the partition's next message once the one before is done.
    mutating func pump(partition: Int, now: NIODeadline, into actions: inout DeliveryActions) {
        guard strict else { return }
        while let head = partitions[partition]?.queue.first, !entries[Int(head)].started {
            start(slot: head, now: now, into: &actions)
        }
    }
}
