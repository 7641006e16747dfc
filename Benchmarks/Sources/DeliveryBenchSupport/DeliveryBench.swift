import BridgeCore
import CoreMetrics
import NIOCore

/// One route, its in-memory source and sinks, and a message to send over and over.
public final class DeliveryBench {
    let route: RouteDelivery
    let source = CountingSource()
    let sinks: [CollectingSink]
    let envelope: Envelope
    /// Messages received between two rounds of confirms: half the window.
    let batch = 512

    public init(destinations: Int) {
        let policy = try! DeliveryPolicy(
            route: "bench",
            sourceProtocol: .mqtt,
            destinations: (0..<destinations).map { .init(connection: "d\($0)", qos: "1", description: "d\($0)/out") },
            maxInFlight: 1024
        )
        sinks = (0..<destinations).map { _ in CollectingSink(capacity: 1024) }
        route = RouteDelivery(
            policy: policy,
            source: source,
            sinks: sinks,
            clock: WallClock(),
            metricsFactory: NOOPMetricsHandler.instance
        )
        envelope = Envelope(
            payload: ByteBuffer(repeating: 0x2A, count: 256),
            source: SourceRef(protocol: .mqtt, connection: "plant", topic: "plant/a/batch/7"),
            bridgeID: "mqtt:plant:1:00000000"
        )
    }

    /// The last token sent; tokens go on across runs so that acks stay in order.
    var token: SourceToken = 0

    /// Sends `messages` more messages and confirms every publish.
    public func run(messages: Int) {
        let stop = Int(token) + messages
        while Int(token) < stop {
            let end = min(stop, Int(token) + batch)
            while Int(token) < end {
                token += 1
                route.receive(envelope, token: token)
            }
            for sink in sinks {
                for tag in sink.tags { route.confirmed(tag) }
                sink.tags.removeAll(keepingCapacity: true)
            }
        }
    }

    /// Traps unless every message sent so far was acked, in order.
    public func check() {
        precondition(source.acked == Int(token), "acked \(source.acked) of \(token)")
        precondition(source.lastToken == token)
    }
}

struct WallClock: DeliveryClock {
    func now() -> NIODeadline { .now() }
    func schedule(after delay: TimeAmount, _ body: @escaping @Sendable () -> Void) {
        fatalError("no retries in the benchmark")
    }
}

/// Counts acks and checks their order. Used from one thread only, hence unchecked.
final class CountingSource: DeliverySource, @unchecked Sendable {
    var acked = 0
    var lastToken: SourceToken = 0

    func acknowledge(_ token: SourceToken, partition: Int, generation: UInt32) {
        precondition(token == lastToken + 1, "ack out of order")
        lastToken = token
        acked += 1
    }

    func pause() {}
    func resume() {}
}

/// Keeps the tags of publishes for the benchmark loop to confirm. One thread only.
final class CollectingSink: DeliverySink, @unchecked Sendable {
    var tags: [DeliveryTag]

    init(capacity: Int) {
        tags = []
        tags.reserveCapacity(capacity)
    }

    func publish(_ request: PublishRequest, for route: RouteDelivery) {
        tags.append(request.tag)
    }
}
