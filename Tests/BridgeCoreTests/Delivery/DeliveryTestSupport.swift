import BridgeCore
import CoreMetrics
import NIOCore
import Synchronization
import Testing

/// A deterministic random source for retry jitter.
struct SplitMix: RandomNumberGenerator, Sendable {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

extension DeliveryPolicy.Destination {
    static func named(_ name: String, qos: String = "") -> Self {
        .init(connection: name, qos: qos, description: "\(name)/topic")
    }
}

func makeEnvelope(
    _ text: String = "m",
    protocol: BridgeProtocol = .kafka,
    partition: Int32? = 0,
    offset: Int64? = nil,
    receivedAt: NIODeadline,
    expiresAt: NIODeadline? = nil,
    hops: Int = 0
) -> Envelope {
    Envelope(
        payload: ByteBuffer(string: text),
        source: SourceRef(protocol: `protocol`, connection: "src", topic: "in", partition: partition, offset: offset),
        bridgeID: text,
        receivedAt: receivedAt,
        expiresAt: expiresAt,
        hops: hops
    )
}

/// Drives a ``DeliveryStateMachine`` directly, as a driver would, and records what it asks for.
struct Harness {
    var machine: DeliveryStateMachine
    var now = NIODeadline.uptimeNanoseconds(1_000_000_000)
    var actions = DeliveryActions()
    /// Publishes handed out and not yet answered.
    var outstanding: [PublishRequest] = []
    /// Every publish, in order.
    var published: [PublishRequest] = []
    var timers: [(due: NIODeadline, tag: DeliveryTag, delay: TimeAmount)] = []
    var acked: [(token: SourceToken, partition: Int, generation: UInt32)] = []
    var rejected: [SourceToken] = []
    /// Tokens of ``DeliveryAction/attemptFailed(_:partition:generation:)``, in order.
    var attemptFailed: [SourceToken] = []
    var pauses = 0
    var resumes = 0
    var released: [(partition: Int, generation: UInt32)] = []
    var drained = 0

    init(_ policy: DeliveryPolicy, metrics: any MetricsFactory = NOOPMetricsHandler.instance, random: UInt64 = 1) {
        machine = DeliveryStateMachine(policy: policy, metricsFactory: metrics, random: SplitMix(seed: random))
    }

    var ackedTokens: [SourceToken] { acked.map(\.token) }

    @discardableResult
    mutating func receive(
        token: SourceToken,
        partition: Int = 0,
        hops: Int = 0,
        expiresIn: TimeAmount? = nil,
        protocol: BridgeProtocol = .kafka
    ) -> ReceiveResult {
        let envelope = makeEnvelope(
            "m\(token)",
            protocol: `protocol`,
            partition: Int32(partition),
            offset: Int64(token),
            receivedAt: now,
            expiresAt: expiresIn.map { now + $0 },
            hops: hops
        )
        let result = machine.receive(envelope, partition: partition, token: token, now: now, into: &actions)
        collect()
        return result
    }

    /// The outstanding publish of a message (by token) to a destination.
    func request(token: SourceToken, destination: Int, deadLetter: Bool = false) -> PublishRequest? {
        outstanding.first {
            $0.envelope.bridgeID == "m\(token)" && $0.destination == destination && $0.tag.isDeadLetter == deadLetter
        }
    }

    mutating func confirm(_ tag: DeliveryTag) {
        outstanding.removeAll { $0.tag == tag }
        machine.confirmed(tag, now: now, into: &actions)
        collect()
    }

    mutating func confirm(token: SourceToken, destination: Int = 0, deadLetter: Bool = false) {
        guard let request = request(token: token, destination: destination, deadLetter: deadLetter) else {
            Issue.record("no outstanding publish of \(token) to \(destination) (dead letter: \(deadLetter))")
            return
        }
        confirm(request.tag)
    }

    mutating func fail(_ tag: DeliveryTag, _ failure: PublishFailure) {
        outstanding.removeAll { $0.tag == tag }
        machine.failed(tag, failure, now: now, into: &actions)
        collect()
    }

    mutating func fail(token: SourceToken, destination: Int = 0, deadLetter: Bool = false, _ failure: PublishFailure) {
        guard let request = request(token: token, destination: destination, deadLetter: deadLetter) else {
            Issue.record("no outstanding publish of \(token) to \(destination) (dead letter: \(deadLetter))")
            return
        }
        fail(request.tag, failure)
    }

    /// Moves time forward and fires the retry timers that fall due, in deadline order.
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
        machine.revoke(partition: partition, now: now, into: &actions)
        collect()
    }

    mutating func abandon(_ partition: Int) {
        machine.abandon(partition: partition, now: now, into: &actions)
        collect()
    }

    mutating func assign(_ partition: Int) -> UInt32 {
        let generation = machine.assign(partition: partition, now: now, into: &actions)
        collect()
        return generation
    }

    mutating func drain() {
        machine.drain(now: now, into: &actions)
        collect()
    }

    mutating func abandonAll() {
        machine.abandonAll(now: now, into: &actions)
        collect()
    }

    private mutating func collect() {
        for action in actions {
            switch action {
            case .publish(let request):
                outstanding.append(request)
                published.append(request)
            case .acknowledge(let token, let partition, let generation):
                acked.append((token, partition, generation))
            case .reject(let token, _, _):
                rejected.append(token)
            case .attemptFailed(let token, _, _):
                attemptFailed.append(token)
            case .pause: pauses += 1
            case .resume: resumes += 1
            case .scheduleRetry(let tag, let delay):
                timers.append((now + delay, tag, delay))
            case .partitionReleased(let partition, let generation):
                released.append((partition, generation))
            case .drained:
                drained += 1
            }
        }
        actions.removeAll(keepingCapacity: true)
    }
}

/// An in-memory source for ``RouteDelivery``.
final class MemorySource: DeliverySource {
    struct Log {
        var acked: [SourceToken] = []
        var rejected: [SourceToken] = []
        var paused = false
        var released: [Int] = []
    }

    let log = Mutex(Log())

    func acknowledge(_ token: SourceToken, partition: Int, generation: UInt32) {
        log.withLock { $0.acked.append(token) }
    }

    func reject(_ token: SourceToken, partition: Int, generation: UInt32) {
        log.withLock { $0.rejected.append(token) }
    }

    func pause() { log.withLock { $0.paused = true } }
    func resume() { log.withLock { $0.paused = false } }

    func partitionReleased(_ partition: Int, generation: UInt32) {
        log.withLock { $0.released.append(partition) }
    }
}

/// An in-memory sink for ``RouteDelivery``: keeps requests until the test answers them.
final class MemorySink: DeliverySink {
    let requests = Mutex<[PublishRequest]>([])

    func publish(_ request: PublishRequest, for route: RouteDelivery) {
        requests.withLock { $0.append(request) }
    }

    /// Removes and returns the requests received so far.
    func take() -> [PublishRequest] {
        requests.withLock { requests in
            defer { requests.removeAll() }
            return requests
        }
    }
}
