import BridgeCore
import CoreMetrics
import NIOCore
import PropertyBased
import Synchronization
import Testing

/// Random interleavings of receive, confirm, fail, retry timers, revoke, abandon, assign,
/// stale confirms and shutdown over several routes, checked against an independent model
/// built only from the actions the core emits and the answers the test gave.
@Suite("Delivery properties")
struct DeliveryPropertyTests {
    static let cases = 10_000
    static let ran = Mutex((cases: 0, events: 0, acks: 0, deadLetters: 0, abandoned: 0, rejected: 0))

    @Test("random interleavings keep the delivery promise")
    func randomInterleavings() async {
        await propertyCheck(
            count: Self.cases,
            input: Gen.int(in: 0...Int(Int32.max)),
            Gen.int(in: 0...Int(Int32.max)).array(of: 1...80)
        ) { seed, ops in
            var violations: [String] = []
            var random = SplitMix(seed: UInt64(seed))
            let routeCount = Int(random.next() % 3) + 1
            var routes = (0..<routeCount).map { index in RouteModel(index: index, random: &random) }
            for op in ops {
                let route = (op / 97) % routeCount
                routes[route].step(op: op)
            }
            var totals = (events: 0, acks: 0, deadLetters: 0, abandoned: 0, rejected: 0)
            for index in routes.indices {
                routes[index].settleAndCheck()
                violations += routes[index].violations.map { "route \(index) [\(routes[index].summary)]: \($0)" }
                let s = routes[index].machine.stats
                totals.events += routes[index].events
                totals.acks += s.acked
                totals.deadLetters += s.deadLettered
                totals.abandoned += s.abandoned
                totals.rejected += s.rejected
            }
            Self.ran.withLock {
                $0.cases += 1
                $0.events += totals.events
                $0.acks += totals.acks
                $0.deadLetters += totals.deadLetters
                $0.abandoned += totals.abandoned
                $0.rejected += totals.rejected
            }
            #expect(violations.isEmpty, "\(violations.prefix(5))")
        }
        let ran = Self.ran.withLock { $0 }
        print("delivery properties: \(ran.cases) cases, \(ran.events) events, \(ran.acks) acks, \(ran.deadLetters) dead-lettered, \(ran.rejected) rejected, \(ran.abandoned) abandoned")
        #expect(ran.cases >= Self.cases)
        #expect(ran.acks > 0 && ran.deadLetters > 0 && ran.abandoned > 0 && ran.rejected > 0, "the generator reaches every path")
    }
}

/// One route under test: the state machine plus the model of what must hold.
struct RouteModel {
    enum Fate { case inFlight, acked, rejected, abandoned }

    struct Message {
        var token: SourceToken
        var partition: Int
        var generation: UInt32
        var arrival: Int
        var expiresAt: NIODeadline?
        var loop: Bool
        var fate = Fate.inFlight
        var confirmed = Set<Int>()
        var deadLetterConfirmed = Set<Int>()
        /// Destinations whose failure could end retries (permanent, or the last attempt).
        var finalFailure = Set<Int>()
        /// Destinations a sink reported `expired` for.
        var expiredFailure = Set<Int>()
        var deadLetterPublished = Set<Int>()
        /// Destinations whose last failure was permanent.
        var permanentFailure = Set<Int>()
        /// Failed attempts per destination that use up the retry budget.
        var charged: [Int: Int] = [:]
        /// The core said the message failed transiently (at most once).
        var attemptFailed = false
    }

    var machine: DeliveryStateMachine
    let policy: DeliveryPolicy
    let partitionCount: Int
    var now = NIODeadline.uptimeNanoseconds(1_000_000_000)
    var actions = DeliveryActions()
    var messages: [SourceToken: Message] = [:]
    /// In-flight tokens per partition, in arrival order.
    var order: [Int: [SourceToken]] = [:]
    var outstanding: [PublishRequest] = []
    var answered: [PublishRequest] = []
    var timers: [(due: NIODeadline, tag: DeliveryTag)] = []
    /// Last first-attempt publish per (partition, destination): arrival number.
    var lastFirstPublish: [Int: Int] = [:]
    var revoked = Set<Int>()
    var paused = false
    var draining = false
    var drainedSeen = false
    var nextToken: SourceToken = 1
    var arrivals = 0
    var events = 0
    var violations: [String] = []

    var acked = 0, rejected = 0, abandoned = 0, clean = 0, deadLettered = 0, dropped = 0, accepted = 0

    var summary: String {
        "\(policy.sourceProtocol) dest=\(policy.destinations.count) dl=\(policy.hasDeadLetter) \(policy.exhausted) \(policy.ordering) window=\(policy.maxInFlight) attempts=\(policy.retry.attempts) partitions=\(partitionCount)"
    }

    init(index: Int, random: inout SplitMix) {
        let sources: [BridgeProtocol] = [.mqtt, .kafka, .amqp, .amqp10]
        let source = sources[Int(random.next() % 4)]
        let destinations = Int(random.next() % 3) + 1
        let hasDeadLetter = random.next() % 2 == 0
        var exhaustedChoices: [DeliveryPolicy.Exhausted] = [.block, .drop]
        if hasDeadLetter { exhaustedChoices.append(.deadLetter) }
        if source == .amqp || source == .amqp10 { exhaustedChoices.append(.reject) }
        let exhausted = exhaustedChoices[Int(random.next() % UInt64(exhaustedChoices.count))]
        self.policy = try! DeliveryPolicy(
            route: "r\(index)",
            sourceProtocol: source,
            destinations: (0..<destinations).map { .named("d\($0)") },
            deadLetter: hasDeadLetter ? .named("dl") : nil,
            maxInFlight: Int(random.next() % 6) + 1,
            ordering: random.next() % 3 == 0 ? .strict : .default,
            retry: .init(attempts: Int(random.next() % 3) + 1, backoff: .milliseconds(10), maxBackoff: .milliseconds(80)),
            exhausted: exhausted,
            maxHops: 4
        )
        self.partitionCount = source == .kafka ? Int(random.next() % 3) + 1 : 1
        self.machine = DeliveryStateMachine(
            policy: policy,
            metricsFactory: NOOPMetricsHandler.instance,
            random: SplitMix(seed: random.next())
        )
    }

    var inFlight: Int { messages.values.count { $0.fate == .inFlight } }

    mutating func fail(_ message: String) {
        if violations.count < 10 { violations.append(message) }
    }

    // MARK: Operations

    mutating func step(op: Int) {
        events += 1
        let pick = op / 7919
        switch op % 100 {
        case 0..<30: receive(pick)
        case 30..<60: answer(pick, confirm: true)
        case 60..<70: answer(pick, confirm: false, permanent: false)
        case 70..<75: answer(pick, confirm: false, permanent: true)
        case 75..<87: advance(by: .milliseconds(Int64(pick % 120)))
        case 87..<90 where policy.sourceProtocol == .kafka: revoke(pick % partitionCount)
        case 90..<93 where policy.sourceProtocol == .kafka: abandon(pick % partitionCount)
        case 93..<95 where policy.sourceProtocol == .kafka: assign(pick % partitionCount)
        case 95..<98: replayStale(pick)
        case 98: drain()
        case 99 where draining: abandonAll()
        default: receive(pick)
        }
        checkWindow()
    }

    mutating func receive(_ pick: Int) {
        let partition = pick % partitionCount
        let token = nextToken
        let loop = pick % 23 == 0
        let expiresAt: NIODeadline? = pick % 11 == 0 ? now + .milliseconds(Int64(pick % 40)) : nil
        let envelope = makeEnvelope(
            "m\(token)",
            protocol: policy.sourceProtocol,
            partition: Int32(partition),
            offset: Int64(token),
            receivedAt: now,
            expiresAt: expiresAt,
            hops: loop ? 4 : pick % 4
        )
        let windowWasFull = inFlight >= policy.maxInFlight
        let result = machine.receive(envelope, partition: partition, token: token, now: now, into: &actions)
        switch result {
        case .accepted:
            if draining { fail("accepted while draining") }
            if revoked.contains(partition) { fail("accepted on revoked partition \(partition)") }
            if windowWasFull { fail("accepted beyond the window") }
            nextToken += 1
            arrivals += 1
            accepted += 1
            let generation = machine.generation(of: partition) ?? 0
            messages[token] = Message(
                token: token,
                partition: partition,
                generation: generation,
                arrival: arrivals,
                expiresAt: expiresAt,
                loop: loop
            )
            order[partition, default: []].append(token)
        case .windowFull:
            if !windowWasFull { fail("refused with window not full (\(inFlight)/\(policy.maxInFlight))") }
            if !paused && !draining { fail("window full but source not paused") }
        case .notTaking:
            if !draining && !revoked.contains(partition) { fail("notTaking without drain or revoke") }
        }
        collect()
    }

    mutating func answer(_ pick: Int, confirm: Bool, permanent: Bool = false) {
        guard !outstanding.isEmpty else { return }
        let request = outstanding.remove(at: pick % outstanding.count)
        answered.append(request)
        let token = SourceToken(request.envelope.source.offset!)
        let d = request.destination
        if confirm {
            if messages[token]?.fate == .inFlight {
                if request.tag.isDeadLetter {
                    messages[token]!.deadLetterConfirmed.insert(d)
                } else {
                    messages[token]!.confirmed.insert(d)
                }
            }
            machine.confirmed(request.tag, now: now, into: &actions)
        } else {
            let reasons = ["too_large", "template", "not_allowed", "unroutable", "rejected", "expired"]
            let lost = !permanent && pick % 3 == 0
            let failure: PublishFailure =
                permanent
                ? .permanent(reasons[pick % reasons.count], "p")
                : .transient(lost ? FailureReason.connectionLost : "nack", "t")
            if messages[token]?.fate == .inFlight && !request.tag.isDeadLetter {
                if !lost { messages[token]!.charged[d, default: 0] += 1 }
                if permanent || messages[token]!.charged[d, default: 0] >= policy.retry.attempts {
                    messages[token]!.finalFailure.insert(d)
                }
                if failure.reason == "expired" { messages[token]!.expiredFailure.insert(d) }
                if permanent { messages[token]!.permanentFailure.insert(d) } else { messages[token]!.permanentFailure.remove(d) }
            }
            machine.failed(request.tag, failure, now: now, into: &actions)
        }
        collect()
    }

    /// A sink answering twice, or an answer arriving after its message was abandoned.
    mutating func replayStale(_ pick: Int) {
        guard !answered.isEmpty else { return }
        let request = answered[pick % answered.count]
        if pick % 2 == 0 {
            machine.confirmed(request.tag, now: now, into: &actions)
        } else {
            machine.failed(request.tag, .permanent("template", "stale"), now: now, into: &actions)
        }
        collect()
    }

    mutating func advance(by amount: TimeAmount) {
        let end = now + amount
        while let index = timers.indices.min(by: { timers[$0].due < timers[$1].due }), timers[index].due <= end {
            let timer = timers.remove(at: index)
            now = max(now, timer.due)
            machine.retryDue(timer.tag, now: now, into: &actions)
            collect()
        }
        now = end
    }

    mutating func revoke(_ partition: Int) {
        revoked.insert(partition)
        machine.revoke(partition: partition, now: now, into: &actions)
        collect()
    }

    mutating func abandon(_ partition: Int) {
        guard revoked.contains(partition) else { return }
        machine.abandon(partition: partition, now: now, into: &actions)
        markAbandoned { $0.partition == partition }
        revoked.remove(partition)
        collect()
    }

    mutating func assign(_ partition: Int) {
        _ = machine.assign(partition: partition, now: now, into: &actions)
        markAbandoned { $0.partition == partition }
        revoked.remove(partition)
        collect()
    }

    mutating func drain() {
        let wasPaused = paused
        draining = true
        machine.drain(now: now, into: &actions)
        collect()
        if !wasPaused && !paused { fail("drain did not pause the source") }
    }

    mutating func abandonAll() {
        machine.abandonAll(now: now, into: &actions)
        markAbandoned { _ in true }
        collect()
        if !drainedSeen { fail("abandonAll during drain did not report drained") }
    }

    mutating func markAbandoned(_ matches: (Message) -> Bool) {
        for (token, message) in messages where message.fate == .inFlight && matches(message) {
            messages[token]!.fate = .abandoned
            abandoned += 1
            order[message.partition]?.removeAll { $0 == token }
        }
    }

    // MARK: Checking actions

    mutating func collect() {
        for action in actions {
            switch action {
            case .publish(let request): checkPublish(request)
            case .acknowledge(let token, let partition, let generation):
                checkRelease(token, partition: partition, generation: generation, rejected: false)
            case .reject(let token, let partition, let generation):
                checkRelease(token, partition: partition, generation: generation, rejected: true)
            case .attemptFailed(let token, let partition, let generation):
                guard let message = messages[token], message.fate == .inFlight else {
                    fail("attemptFailed for \(token), which is not in flight")
                    break
                }
                if message.attemptFailed { fail("attemptFailed twice for \(token)") }
                if message.generation != generation || message.partition != partition {
                    fail("attemptFailed for \(token) with generation \(generation), received in \(message.generation)")
                }
                messages[token]!.attemptFailed = true
            case .pause:
                paused = true
            case .resume:
                if draining { fail("resume while draining") }
                paused = false
            case .scheduleRetry(let tag, let delay):
                if delay.nanoseconds <= 0 || delay > policy.retry.maxBackoff { fail("retry delay \(delay) outside (0, max_backoff]") }
                timers.append((now + delay, tag))
            case .partitionReleased(let partition, _):
                if order[partition, default: []].contains(where: { messages[$0]?.fate == .inFlight }) {
                    fail("partition \(partition) released with messages in flight")
                }
                revoked.remove(partition)
            case .drained:
                if !draining { fail("drained without drain") }
                drainedSeen = true
                if inFlight != 0 { fail("drained with \(inFlight) in flight") }
            }
        }
        actions.removeAll(keepingCapacity: true)
    }

    mutating func checkPublish(_ request: PublishRequest) {
        let token = SourceToken(request.envelope.source.offset!)
        guard let message = messages[token], message.fate == .inFlight else {
            fail("publish of \(token) which is not in flight")
            return
        }
        let d = request.destination
        if request.tag.isDeadLetter {
            if !policy.hasDeadLetter || policy.exhausted != .deadLetter { fail("dead letter without dead_letter policy") }
            if !message.finalFailure.contains(d) && !message.loop { fail("dead letter of \(token)/\(d) before its failure was final") }
            if message.deadLetterConfirmed.contains(d) { fail("dead letter of \(token)/\(d) published again after it confirmed") }
            if request.deadLetter == nil { fail("dead letter without bridge headers") }
            messages[token]!.deadLetterPublished.insert(d)
        } else {
            if message.deadLetterPublished.contains(d) { fail("republished \(token)/\(d) after it went to the dead letter") }
            if message.confirmed.contains(d) { fail("republished \(token)/\(d) after it confirmed") }
            if message.loop { fail("forwarded a looping message \(token)") }
            if let expiresAt = message.expiresAt, expiresAt <= now { fail("forwarded an expired message \(token)") }
            if request.attempt > 1 && policy.exhausted != .block {
                if message.permanentFailure.contains(d) { fail("retried \(token)/\(d) after a permanent failure") }
                if message.charged[d, default: 0] >= policy.retry.attempts {
                    fail("attempt \(request.attempt) of \(token)/\(d) after \(policy.retry.attempts) counted failures")
                }
            }
            if request.attempt == 1 {
                let key = message.partition * 8 + d
                if let last = lastFirstPublish[key], last > message.arrival {
                    fail("first publish of \(token) to \(d) after a later message")
                }
                lastFirstPublish[key] = message.arrival
            }
        }
        if policy.ordering == .strict, order[message.partition]?.first != token {
            fail("strict: published \(token) while an earlier message of its partition is in flight")
        }
        outstanding.append(request)
    }

    mutating func checkRelease(_ token: SourceToken, partition: Int, generation: UInt32, rejected isReject: Bool) {
        guard let message = messages[token] else {
            fail("ack of unknown token \(token)")
            return
        }
        guard message.fate == .inFlight else {
            fail("ack of \(token) which is \(message.fate)")
            return
        }
        if message.generation != generation || message.partition != partition {
            fail("ack of \(token) with generation \(generation), received in \(message.generation)")
        }
        let queue = order[partition] ?? []
        if policy.ackOrder == .ordered && queue.first != token {
            fail("ordered ack of \(token) before \(queue.first.map(String.init) ?? "-")")
        }
        order[partition]?.removeAll { $0 == token }
        let expired = message.expiresAt.map { $0 <= now } ?? false
        if isReject {
            if policy.exhausted != .reject { fail("reject without reject policy") }
            if message.finalFailure.isEmpty && !message.loop { fail("reject of \(token) without a final failure") }
            messages[token]!.fate = .rejected
            rejected += 1
            acked += 1
            dropped += 1
            return
        }
        for d in 0..<policy.destinations.count {
            let settled =
                message.confirmed.contains(d) || message.deadLetterConfirmed.contains(d) || expired
                || message.expiredFailure.contains(d)
                || (policy.exhausted == .drop && (message.finalFailure.contains(d) || message.loop))
            if !settled { fail("ack of \(token) before destination \(d) settled") }
        }
        messages[token]!.fate = .acked
        acked += 1
        if !message.deadLetterConfirmed.isEmpty {
            deadLettered += 1
        } else if message.confirmed.count == policy.destinations.count {
            clean += 1
        } else {
            dropped += 1
        }
    }

    mutating func checkWindow() {
        if inFlight > policy.maxInFlight { fail("\(inFlight) in flight, window \(policy.maxInFlight)") }
        if machine.stats.inFlight != inFlight { fail("core counts \(machine.stats.inFlight) in flight, model \(inFlight)") }
    }

    // MARK: At rest

    /// Answers everything with a confirm until nothing moves, then checks the totals;
    /// then abandons what is left (a looping message under `block` never settles).
    mutating func settleAndCheck() {
        for _ in 0..<12 {
            while !outstanding.isEmpty { answer(0, confirm: true) }
            if timers.isEmpty { break }
            advance(by: policy.retry.maxBackoff * 2)
        }
        checkTotals()
        if !draining { drain() }
        abandonAll()
        checkTotals()
        if machine.stats.inFlight != 0 { fail("in flight after abandonAll") }
        if machine.routeState == .blocked { fail("blocked with nothing in flight") }
    }

    mutating func checkTotals() {
        let s = machine.stats
        if s.received != accepted { fail("received \(s.received), model \(accepted)") }
        if s.acked != acked { fail("acked \(s.acked), model \(acked)") }
        if s.abandoned != abandoned { fail("abandoned \(s.abandoned), model \(abandoned)") }
        if s.rejected != rejected { fail("rejected \(s.rejected), model \(rejected)") }
        if s.received != s.acked + s.inFlight + s.abandoned { fail("received != acked + in_flight + abandoned: \(s)") }
        if s.acked != s.ackedConfirmed + s.deadLettered + s.dropped { fail("acked decomposition: \(s)") }
        if s.ackedConfirmed != clean || s.deadLettered != deadLettered || s.dropped != dropped {
            fail("outcomes clean/dl/dropped \(s.ackedConfirmed)/\(s.deadLettered)/\(s.dropped), model \(clean)/\(deadLettered)/\(dropped)")
        }
    }
}
