import Dispatch
import Synchronization
import BridgeCore
import CoreMetrics
import NIOCore
import Testing

@Suite("RouteDelivery driver")
struct DeliveryDriverTests {
    static func make(
        deadLetter: Bool = false,
        maxInFlight: Int = 8
    ) throws -> (RouteDelivery, MemorySource, MemorySink, MemorySink, ManualDeliveryClock) {
        let policy = try DeliveryPolicy(
            route: "r",
            sourceProtocol: .mqtt,
            destinations: [.named("a")],
            deadLetter: deadLetter ? .named("dl") : nil,
            maxInFlight: maxInFlight,
            retry: .init(attempts: 3, backoff: .milliseconds(100), maxBackoff: .seconds(1))
        )
        let source = MemorySource()
        let sink = MemorySink()
        let dl = MemorySink()
        let clock = ManualDeliveryClock()
        let route = RouteDelivery(
            policy: policy,
            source: source,
            sinks: [sink],
            deadLetter: deadLetter ? dl : nil,
            clock: clock,
            metricsFactory: NOOPMetricsHandler.instance,
            random: SplitMix(seed: 7)
        )
        return (route, source, sink, dl, clock)
    }

    @Test("driver: publish, confirm, ack through the source and sink protocols")
    func roundTrip() throws {
        let (route, source, sink, _, clock) = try Self.make()
        for token in 1...3 {
            #expect(route.receive(makeEnvelope(receivedAt: clock.now()), token: SourceToken(token)) == .accepted)
        }
        let requests = sink.take()
        #expect(requests.count == 3)
        for request in requests.reversed() { route.confirmed(request.tag) }
        #expect(source.log.withLock { $0.acked } == [1, 2, 3])
        #expect(route.stats.inFlight == 0)
    }

    @Test("driver: retry timers run on the injected clock")
    func retryOnClock() throws {
        let (route, source, sink, _, clock) = try Self.make()
        route.receive(makeEnvelope(receivedAt: clock.now()), token: 1)
        route.failed(sink.take()[0].tag, .transient(FailureReason.connectionLost, "reset"))
        #expect(sink.take().isEmpty)
        #expect(clock.pendingTimers == 1)
        clock.advance(by: .milliseconds(100))
        let retry = sink.take()
        #expect(retry.map(\.attempt) == [2])
        route.confirmed(retry[0].tag)
        #expect(source.log.withLock { $0.acked } == [1])
    }

    @Test("driver: pause and resume reach the source")
    func pauseResume() throws {
        let (route, source, sink, _, clock) = try Self.make(maxInFlight: 1)
        route.receive(makeEnvelope(receivedAt: clock.now()), token: 1)
        #expect(source.log.withLock { $0.paused })
        #expect(route.routeState == .paused)
        route.confirmed(sink.take()[0].tag)
        #expect(!source.log.withLock { $0.paused })
    }

    @Test("driver: drain returns when in-flight reaches zero")
    func drainClean() async throws {
        let (route, source, sink, _, clock) = try Self.make()
        route.receive(makeEnvelope(receivedAt: clock.now()), token: 1)
        let tag = sink.take()[0].tag
        async let clean = route.drain(timeout: .seconds(20))
        while !source.log.withLock({ $0.paused }) { await Task.yield() }
        #expect(route.receive(makeEnvelope(receivedAt: clock.now()), token: 2) == .notTaking)
        route.confirmed(tag)
        #expect(await clean)
        #expect(source.log.withLock { $0.acked } == [1])
    }

    @Test("driver: drain timeout abandons what is left, unacked")
    func drainTimeout() async throws {
        let (route, source, _, _, clock) = try Self.make()
        route.receive(makeEnvelope(receivedAt: clock.now()), token: 1)
        async let clean = route.drain(timeout: .seconds(20))
        while clock.pendingTimers == 0 { await Task.yield() }
        clock.advance(by: .seconds(20))
        #expect(await clean == false)
        #expect(source.log.withLock { $0.acked }.isEmpty)
        #expect(route.stats.abandoned == 1)
    }

    @Test("driver: the dead letter goes to the dead letter sink")
    func deadLetterSink() throws {
        let (route, source, sink, dl, clock) = try Self.make(deadLetter: true)
        route.receive(makeEnvelope(receivedAt: clock.now()), token: 1)
        route.failed(sink.take()[0].tag, .permanent(FailureReason.notAllowed, "x"))
        let dead = dl.take()
        #expect(dead.count == 1 && dead[0].deadLetter != nil)
        route.confirmed(dead[0].tag)
        #expect(source.log.withLock { $0.acked } == [1])
    }

    @Test("driver: confirms from many threads at once keep acks in order and the totals whole")
    func concurrentConfirms() async throws {
        let (route, source, sink, _, clock) = try Self.make(maxInFlight: 64)
        let total = 20_000
        var sent = 0
        while sent < total {
            while sent < total, route.receive(makeEnvelope(receivedAt: clock.now()), token: SourceToken(sent + 1)) == .accepted {
                sent += 1
            }
            let requests = sink.take()
            await withTaskGroup(of: Void.self) { group in
                for (index, request) in requests.enumerated() {
                    group.addTask {
                        if index % 7 == 0 {
                            route.failed(request.tag, .transient(FailureReason.connectionLost, "reset"))
                        } else {
                            route.confirmed(request.tag)
                        }
                    }
                }
            }
            clock.advance(by: .seconds(1))
            for request in sink.take() { route.confirmed(request.tag) }
        }
        let acked = source.log.withLock { $0.acked }
        #expect(acked == (1...total).map { SourceToken($0) })
        let s = route.stats
        #expect(s.received == total && s.acked == total && s.inFlight == 0 && s.ackedConfirmed == total)
    }

    /// Events leave the core's lock in any order; the source must still see acks in the order
    /// the core released them. A source whose acknowledge takes a while (as a real one that
    /// writes to a socket does) widens the window in which a later ack could overtake.
    @Test("5.2 acks reach the source in release order when confirms race on many threads")
    func acksInOrderAcrossThreads() throws {
        final class SlowSource: DeliverySource, @unchecked Sendable {
            let acked = Mutex<[SourceToken]>([])
            func acknowledge(_ token: SourceToken, partition: Int, generation: UInt32) {
                if token % 3 == 0 { for _ in 0..<200 { _ = acked.withLock { $0.count } } }
                acked.withLock { $0.append(token) }
            }
            func pause() {}
            func resume() {}
        }
        let source = SlowSource()
        let sink = MemorySink()
        let clock = ManualDeliveryClock()
        let policy = try DeliveryPolicy(route: "r", sourceProtocol: .mqtt, destinations: [.named("a")], maxInFlight: 256)
        let route = RouteDelivery(policy: policy, source: source, sinks: [sink], clock: clock, metricsFactory: NOOPMetricsHandler.instance)
        var token: SourceToken = 0
        for _ in 0..<40 {
            while route.receive(makeEnvelope(receivedAt: clock.now()), token: token + 1) == .accepted { token += 1 }
            let requests = sink.take()
            DispatchQueue.concurrentPerform(iterations: requests.count) { i in route.confirmed(requests[i].tag) }
        }
        let acked = source.acked.withLock { $0 }
        #expect(acked.count == Int(token))
        #expect(acked == (1...token).map { $0 }, "acks out of order")
    }
}
