import BridgeCore
import NIOCore
import Testing

/// One test per rule of CONTRACT section 5 that needs no broker.
@Suite("Delivery promise (CONTRACT 5)")
struct DeliveryPromiseTests {
    static func policy(
        source: BridgeProtocol = .kafka,
        destinations: Int = 1,
        deadLetter: Bool = false,
        maxInFlight: Int = 16,
        ordering: DeliveryPolicy.Ordering = .default,
        attempts: Int = 3,
        exhausted: DeliveryPolicy.Exhausted? = nil,
        maxHops: Int = 8
    ) throws -> DeliveryPolicy {
        try DeliveryPolicy(
            route: "r",
            sourceProtocol: source,
            destinations: (0..<destinations).map { .named("d\($0)") },
            deadLetter: deadLetter ? .init(connection: "dl", description: "dl/bridge.dead/r") : nil,
            maxInFlight: maxInFlight,
            ordering: ordering,
            retry: .init(attempts: attempts, backoff: .milliseconds(100), maxBackoff: .seconds(1)),
            exhausted: exhausted,
            maxHops: maxHops
        )
    }

    // MARK: 5.1

    @Test("5.1 source acked only after every destination confirmed")
    func ackAfterEveryDestination() throws {
        var h = Harness(try Self.policy(destinations: 3))
        h.receive(token: 7)
        #expect(h.outstanding.map(\.destination) == [0, 1, 2])
        h.confirm(token: 7, destination: 2)
        h.confirm(token: 7, destination: 0)
        #expect(h.ackedTokens.isEmpty)
        h.confirm(token: 7, destination: 1)
        #expect(h.ackedTokens == [7])
        #expect(h.machine.stats.ackedConfirmed == 1)
    }

    @Test("5.1 a duplicate or stale confirm never acks twice")
    func duplicateConfirm() throws {
        var h = Harness(try Self.policy())
        h.receive(token: 1)
        let tag = h.outstanding[0].tag
        h.confirm(tag)
        h.confirm(tag)
        h.receive(token: 2)
        h.confirm(tag)  // the slot is reused by message 2; the old tag must not settle it
        #expect(h.ackedTokens == [1])
    }

    // MARK: 5.2

    @Test("5.2 ordered partition releases acks in arrival order, never past an unconfirmed message")
    func orderedRelease() throws {
        var h = Harness(try Self.policy(source: .mqtt))
        for token in 1...4 { h.receive(token: SourceToken(token)) }
        h.confirm(token: 3)
        h.confirm(token: 2)
        #expect(h.ackedTokens.isEmpty)
        h.confirm(token: 1)
        #expect(h.ackedTokens == [1, 2, 3])
        h.confirm(token: 4)
        #expect(h.ackedTokens == [1, 2, 3, 4])
    }

    @Test("5.2 Kafka partitions release independently")
    func partitionsIndependent() throws {
        var h = Harness(try Self.policy(source: .kafka))
        h.receive(token: 10, partition: 0)
        h.receive(token: 20, partition: 1)
        h.confirm(token: 20)
        #expect(h.ackedTokens == [20])
        #expect(h.acked[0].partition == 1)
    }

    @Test("5.2 AMQP acks out of order as soon as each message is done")
    func unorderedRelease() throws {
        var h = Harness(try Self.policy(source: .amqp))
        for token in 1...3 { h.receive(token: SourceToken(token), protocol: .amqp) }
        h.confirm(token: 3)
        h.confirm(token: 2)
        #expect(h.ackedTokens == [3, 2])
    }

    @Test("5.2 AMQP done tags become one multiple ack for the leading run plus single acks")
    func amqpAckBatching() {
        var batcher = AMQPAckBatcher()
        for tag in 1...6 { batcher.delivered(UInt64(tag)) }
        for tag: UInt64 in [2, 1, 3, 5] { batcher.done(tag) }
        #expect(
            batcher.flush() == [
                .init(deliveryTag: 3, multiple: true),
                .init(deliveryTag: 5, multiple: false),
            ]
        )
        #expect(batcher.outstandingCount == 2)
        batcher.done(4)
        #expect(batcher.flush() == [.init(deliveryTag: 4, multiple: false)])
        batcher.rejected(6)
        #expect(batcher.outstandingCount == 0)
        #expect(batcher.flush().isEmpty)
    }

    // MARK: 5.3

    @Test("5.3 the window pauses the source when full and resumes it when it frees")
    func window() throws {
        var h = Harness(try Self.policy(maxInFlight: 2))
        #expect(h.receive(token: 1) == .accepted)
        #expect(h.pauses == 0)
        #expect(h.receive(token: 2) == .accepted)
        #expect(h.pauses == 1)
        #expect(h.machine.routeState == .paused)
        #expect(h.receive(token: 3) == .windowFull)
        #expect(h.machine.stats.inFlight == 2)
        h.confirm(token: 1)
        #expect(h.resumes == 1)
        #expect(h.machine.routeState == .consuming)
        #expect(h.receive(token: 3) == .accepted)
        #expect(h.pauses == 2)
    }

    // MARK: 5.4

    @Test("5.4 revoke stops taking, releases after in-flight settle, abandons the rest, ignores late confirms")
    func revoke() throws {
        var h = Harness(try Self.policy(source: .kafka))
        let g0 = h.assign(0)
        h.receive(token: 1, partition: 0)
        h.receive(token: 2, partition: 0)
        h.receive(token: 3, partition: 0)
        h.revoke(0)
        #expect(h.receive(token: 4, partition: 0) == .notTaking)
        h.confirm(token: 1)
        #expect(h.acked.map(\.token) == [1])
        #expect(h.acked[0].generation == g0)
        #expect(h.released.isEmpty)
        let late = h.request(token: 3, destination: 0)!.tag
        h.abandon(0)
        #expect(h.released.map(\.partition) == [0])
        #expect(h.machine.stats.abandoned == 2)
        h.confirm(late)
        #expect(h.acked.map(\.token) == [1])
        let g1 = h.assign(0)
        #expect(g1 != g0)
        h.receive(token: 3, partition: 0)
        h.confirm(token: 3)
        #expect(h.acked.last!.generation == g1)
        let s = h.machine.stats
        #expect(s.received == s.acked + s.inFlight + s.abandoned)
    }

    @Test("5.4 a revoked partition with nothing in flight is released at once")
    func revokeIdle() throws {
        var h = Harness(try Self.policy(source: .kafka))
        h.receive(token: 1, partition: 3)
        h.confirm(token: 1)
        h.revoke(3)
        #expect(h.released.map(\.partition) == [3])
    }

    // MARK: 5.5

    @Test("5.5 a transient failure is retried with exponential backoff and jitter on the failed destination only")
    func transientRetry() throws {
        var h = Harness(try Self.policy(destinations: 2, attempts: 4))
        h.receive(token: 1)
        h.confirm(token: 1, destination: 0)
        h.fail(token: 1, destination: 1, .transient(FailureReason.nack, "nack"))
        h.advance(by: .seconds(5))  // not answered: the attempt stays outstanding
        h.fail(token: 1, destination: 1, .transient(FailureReason.timeout, "timeout"))
        h.advance(by: .seconds(5))
        #expect(h.published.map(\.destination) == [0, 1, 1, 1])
        #expect(h.published.map(\.attempt) == [1, 1, 2, 3])
        h.confirm(token: 1, destination: 1)
        #expect(h.ackedTokens == [1])
        #expect(h.machine.stats.retried == 2)
    }

    @Test("5.5 backoff doubles per attempt, is capped at max_backoff, and jitter stays within [d/2, d]")
    func backoffShape() throws {
        let base: [Int64] = [100, 200, 400, 800, 1000].map { $0 * 1_000_000 }
        var seen = Set<Int64>()
        for seed in UInt64(1)...20 {
            var h = Harness(try Self.policy(attempts: 6), random: seed)
            h.receive(token: 1)
            for expected in base {
                h.fail(token: 1, .transient("nack", ""))
                let delay = h.timers.last!.delay.nanoseconds
                #expect(delay >= expected / 2 && delay <= expected, "seed \(seed): \(delay) for \(expected)")
                seen.insert(delay)
                h.advance(by: .seconds(2))
            }
        }
        #expect(seen.count > 50, "jitter varies the delays")
    }

    @Test("5.5 a permanent failure skips retries")
    func permanentSkipsRetries() throws {
        var h = Harness(try Self.policy(attempts: 5, exhausted: .drop))
        h.receive(token: 1)
        h.fail(token: 1, .permanent(FailureReason.notAllowed, "outside allow"))
        #expect(h.timers.isEmpty)
        #expect(h.published.count == 1)
        #expect(h.ackedTokens == [1])
        #expect(h.machine.stats.dropped == 1)
    }

    @Test("5.5 exhausted dead_letter publishes with bridge headers and acks only when the dead letter confirmed")
    func deadLetter() throws {
        var h = Harness(try Self.policy(destinations: 2, deadLetter: true, attempts: 2))
        #expect(h.machine.policy.exhausted == .deadLetter)
        h.receive(token: 9)
        h.confirm(token: 9, destination: 0)
        h.fail(token: 9, destination: 1, .transient(FailureReason.nack, "basic.nack"))
        h.advance(by: .seconds(1))
        h.fail(token: 9, destination: 1, .transient(FailureReason.nack, "basic.nack"))
        let dl = try #require(h.request(token: 9, destination: 1, deadLetter: true))
        let info = try #require(dl.deadLetter)
        #expect(info.error == "nack:basic.nack")
        #expect(info.route == "r")
        #expect(info.destination == "d1/topic")
        #expect(info.attempts == 2)
        #expect(info.source == "kafka://src/in#0:9")
        #expect(info.headers[BridgeHeader.attempts] == .string("2"))
        #expect(h.ackedTokens.isEmpty)
        h.confirm(dl.tag)
        #expect(h.ackedTokens == [9])
        #expect(h.machine.stats.deadLettered == 1)
    }

    @Test("5.5 a failing dead letter is retried forever at capped backoff and never dead-lettered again")
    func deadLetterRetriedForever() throws {
        var h = Harness(try Self.policy(deadLetter: true, attempts: 1))
        h.receive(token: 1)
        h.fail(token: 1, .permanent(FailureReason.template, "no header"))
        for _ in 0..<20 {
            h.fail(token: 1, deadLetter: true, .permanent(FailureReason.unroutable, "no route"))
            #expect(h.timers.last!.delay <= .seconds(1))
            h.advance(by: .seconds(1))
        }
        let deadLetters = h.published.filter(\.tag.isDeadLetter)
        #expect(deadLetters.count == 21)
        #expect(deadLetters.map(\.attempt) == Array(1...21))
        #expect(deadLetters.allSatisfy { $0.deadLetter?.error == "template:no header" })
        #expect(h.ackedTokens.isEmpty)
        h.confirm(token: 1, deadLetter: true)
        #expect(h.ackedTokens == [1])
    }

    @Test("5.5 exhausted block keeps retrying at max_backoff, reports blocked, acks nothing")
    func block() throws {
        var h = Harness(try Self.policy(attempts: 2))
        #expect(h.machine.policy.exhausted == .block)
        h.receive(token: 1)
        h.receive(token: 2)
        h.confirm(token: 2)
        h.fail(token: 1, .permanent(FailureReason.tooLarge, "big"))
        #expect(h.machine.routeState == .blocked)
        for _ in 0..<5 {
            #expect(h.timers.last!.delay >= .milliseconds(500))
            h.advance(by: .seconds(1))
            h.fail(token: 1, .transient(FailureReason.nack, ""))
        }
        #expect(h.ackedTokens.isEmpty)
        #expect(h.machine.stats.dropped == 0)
        h.advance(by: .seconds(1))
        h.confirm(token: 1)
        #expect(h.ackedTokens == [1, 2])
        #expect(h.machine.routeState == .consuming)
    }

    @Test("5.5 exhausted reject rejects the AMQP source message and counts it dropped")
    func reject() throws {
        var h = Harness(try Self.policy(source: .amqp, destinations: 2, exhausted: .reject))
        h.receive(token: 1, protocol: .amqp)
        h.fail(token: 1, destination: 0, .permanent(FailureReason.unroutable, "NO_ROUTE"))
        #expect(h.rejected == [1])
        #expect(h.ackedTokens.isEmpty)
        h.confirm(token: 1, destination: 1)  // late: already settled
        #expect(h.ackedTokens.isEmpty)
        let s = h.machine.stats
        #expect(s.acked == 1 && s.dropped == 1 && s.rejected == 1)
    }

    @Test("5.5 reject is only allowed for AMQP sources; dead_letter needs a dead letter")
    func policyValidation() {
        #expect(throws: DeliveryPolicyError.self) { try Self.policy(source: .kafka, exhausted: .reject) }
        #expect(throws: DeliveryPolicyError.self) { try Self.policy(exhausted: .deadLetter) }
        #expect(throws: DeliveryPolicyError.self) { try Self.policy(maxInFlight: 0) }
        #expect(throws: DeliveryPolicyError.self) { try Self.policy(maxInFlight: 65536) }
        #expect((try? Self.policy(source: .amqp10, exhausted: .reject)) != nil)
    }

    @Test("5.5 exhausted drop acks, forgets, and counts the reason")
    func drop() throws {
        var h = Harness(try Self.policy(destinations: 2, attempts: 1, exhausted: .drop))
        h.receive(token: 1)
        h.fail(token: 1, destination: 0, .transient(FailureReason.timeout, "t"))
        #expect(h.ackedTokens.isEmpty)
        h.confirm(token: 1, destination: 1)
        #expect(h.ackedTokens == [1])
        #expect(h.machine.stats.dropped == 1)
    }

    // MARK: 5.6

    @Test("5.6 too_large is permanent and handled by exhausted at once")
    func tooLarge() throws {
        var h = Harness(try Self.policy(deadLetter: true, attempts: 5))
        h.receive(token: 1)
        h.fail(token: 1, .permanent(FailureReason.tooLarge, "1000001 > 1000000"))
        #expect(h.request(token: 1, destination: 0, deadLetter: true)?.deadLetter?.attempts == 1)
    }

    // MARK: 5.7

    @Test("5.7 messages are published to each destination in arrival order")
    func publishOrder() throws {
        var h = Harness(try Self.policy(destinations: 2))
        for token in 1...5 { h.receive(token: SourceToken(token)) }
        for d in 0..<2 {
            #expect(h.published.filter { $0.destination == d }.map(\.envelope.bridgeID) == (1...5).map { "m\($0)" })
        }
    }

    @Test("5.7 ordering strict publishes one message at a time per partition, so order holds through retries")
    func strictOrdering() throws {
        var h = Harness(try Self.policy(ordering: .strict))
        for token in 1...3 { h.receive(token: SourceToken(token), partition: 0) }
        h.receive(token: 100, partition: 1)
        #expect(h.published.map(\.envelope.bridgeID) == ["m1", "m100"])
        h.fail(token: 1, .transient("nack", ""))
        h.advance(by: .seconds(1))
        h.confirm(token: 1)
        h.confirm(token: 2)
        h.confirm(token: 3)
        #expect(h.published.map(\.envelope.bridgeID) == ["m1", "m100", "m1", "m2", "m3"])
        #expect(h.ackedTokens == [1, 2, 3])
    }

    // MARK: 5.8

    @Test("5.8 a publish that lost its connection is retried until it is back, never dropped")
    func connectionLost() throws {
        var h = Harness(try Self.policy(attempts: 2, exhausted: .drop))
        h.receive(token: 1)
        for _ in 0..<10 {
            h.fail(token: 1, .transient(FailureReason.connectionLost, "reset by peer"))
            #expect(h.timers.last!.delay <= .seconds(1))
            h.advance(by: .seconds(1))
        }
        #expect(h.ackedTokens.isEmpty)
        #expect(h.machine.stats.dropped == 0)
        // The retry budget is still whole: one nack is retried, the second is final.
        h.fail(token: 1, .transient(FailureReason.nack, "nack"))
        h.advance(by: .seconds(1))
        #expect(h.ackedTokens.isEmpty)
        h.fail(token: 1, .transient(FailureReason.nack, "nack"))
        #expect(h.ackedTokens == [1])
        #expect(h.machine.stats.dropped == 1)
        #expect(h.published.count == 12)
    }

    // MARK: 5.9

    @Test("5.9 drain stops taking and reports drained when in-flight reaches zero")
    func drain() throws {
        var h = Harness(try Self.policy())
        h.receive(token: 1)
        h.drain()
        #expect(h.pauses == 1)
        #expect(h.receive(token: 2) == .notTaking)
        #expect(h.drained == 0)
        h.confirm(token: 1)
        #expect(h.drained == 1)
        #expect(h.ackedTokens == [1])
    }

    @Test("5.9 drain timeout abandons the rest, unacked, and late confirms are ignored")
    func drainTimeout() throws {
        var h = Harness(try Self.policy(source: .mqtt))
        h.receive(token: 1)
        h.receive(token: 2)
        h.confirm(token: 2)
        h.drain()
        let late = h.outstanding[0].tag
        h.abandonAll()
        #expect(h.drained == 1)
        h.confirm(late)
        #expect(h.ackedTokens.isEmpty)
        let s = h.machine.stats
        #expect(s.abandoned == 2 && s.inFlight == 0 && s.received == s.acked + s.inFlight + s.abandoned)
    }

    // MARK: Section 4 rules the core enforces

    @Test("4 bridge-hops loop guard: a message at max_hops is not forwarded, reason loop")
    func loopGuard() throws {
        var h = Harness(try Self.policy(exhausted: .drop, maxHops: 3))
        h.receive(token: 1, hops: 3)
        h.receive(token: 2, hops: 2)
        #expect(h.published.map(\.envelope.bridgeID) == ["m2"])
        #expect(h.published[0].hopsToWrite == 3)
        #expect(h.ackedTokens == [1])
        var d = Harness(try Self.policy(deadLetter: true, maxHops: 3))
        d.receive(token: 1, hops: 5)
        #expect(d.request(token: 1, destination: 0, deadLetter: true)?.deadLetter?.error.hasPrefix("loop:") == true)
    }

    @Test("4 expiry: a message expired when it would be published is dropped as expired, never dead-lettered")
    func expiry() throws {
        var h = Harness(try Self.policy(destinations: 2, deadLetter: true))
        h.receive(token: 1, expiresIn: .zero)
        #expect(h.published.isEmpty)
        #expect(h.ackedTokens == [1])
        h.receive(token: 2, expiresIn: .milliseconds(50))
        h.confirm(token: 2, destination: 0)
        h.fail(token: 2, destination: 1, .transient("nack", ""))
        h.advance(by: .seconds(1))
        #expect(h.ackedTokens == [1, 2])
        #expect(!h.published.contains { $0.tag.isDeadLetter })
        let s = h.machine.stats
        #expect(s.dropped == 2 && s.deadLettered == 0)
    }
}
