import BridgeCore
import CoreMetrics
import MetricsTestKit
import NIOCore
import Testing

@Suite("Delivery metrics (CONTRACT 7)")
struct DeliveryMetricsTests {
    static func policy(exhausted: DeliveryPolicy.Exhausted? = nil, deadLetter: Bool = true) throws -> DeliveryPolicy {
        try DeliveryPolicy(
            route: "orders",
            sourceProtocol: .mqtt,
            destinations: [.named("mes", qos: "0"), .named("erp")],
            deadLetter: deadLetter ? .init(connection: "dlq", description: "dlq/bridge.dead/orders") : nil,
            retry: .init(attempts: 2, backoff: .milliseconds(10), maxBackoff: .milliseconds(100)),
            exhausted: exhausted
        )
    }

    @Test("7 every route and destination series exists at 0 from start")
    func seriesAtStart() throws {
        let metrics = TestMetrics()
        _ = DeliveryStateMachine(policy: try Self.policy(), metricsFactory: metrics)
        let route = [("route", "orders")]
        for name in [MetricNames.messagesReceived, MetricNames.messagesAcked, MetricNames.messagesAbandoned] {
            #expect(try metrics.expectCounter(name, route).totalValue == 0)
        }
        #expect(try metrics.expectCounter(MetricNames.messagesPublished, route + [("destination", "mes"), ("qos", "0")]).totalValue == 0)
        #expect(try metrics.expectCounter(MetricNames.messagesPublished, route + [("destination", "erp"), ("qos", "")]).totalValue == 0)
        #expect(try metrics.expectCounter(MetricNames.messagesPublished, route + [("destination", "dlq"), ("qos", "")]).totalValue == 0)
        for name in [MetricNames.messagesConfirmed, MetricNames.messagesRetried] {
            for d in ["mes", "erp", "dlq"] {
                #expect(try metrics.expectCounter(name, route + [("destination", d)]).totalValue == 0)
            }
        }
        #expect(try metrics.expectGauge(MetricNames.inFlightMessages, route).lastValue == 0)
        _ = try metrics.expectTimer(MetricNames.deliverySeconds, route)
        _ = try metrics.expectTimer(MetricNames.forwardSeconds, route)
        #expect(metrics.counters(label: MetricNames.messagesFailed).isEmpty, "reason series appear when first used")
    }

    @Test("7 counters follow a delivery: published with qos, confirmed, retried, failed, dead-lettered, acked")
    func countersFollowDelivery() throws {
        let metrics = TestMetrics()
        var h = Harness(try Self.policy(), metrics: metrics)
        let route = [("route", "orders")]
        h.receive(token: 1)
        h.receive(token: 2)
        h.confirm(token: 1, destination: 0)
        h.confirm(token: 1, destination: 1)
        h.confirm(token: 2, destination: 0)
        h.fail(token: 2, destination: 1, .transient(FailureReason.nack, "n"))
        h.advance(by: .seconds(1))
        h.fail(token: 2, destination: 1, .transient(FailureReason.nack, "n"))
        h.confirm(token: 2, destination: 1, deadLetter: true)

        func counter(_ name: String, _ extra: [(String, String)] = []) throws -> Int64 {
            try metrics.expectCounter(name, route + extra).totalValue
        }
        #expect(try counter(MetricNames.messagesReceived) == 2)
        #expect(try counter(MetricNames.messagesPublished, [("destination", "mes"), ("qos", "0")]) == 2)
        #expect(try counter(MetricNames.messagesPublished, [("destination", "erp"), ("qos", "")]) == 3)
        #expect(try counter(MetricNames.messagesPublished, [("destination", "dlq"), ("qos", "")]) == 1)
        #expect(try counter(MetricNames.messagesConfirmed, [("destination", "erp")]) == 1)
        #expect(try counter(MetricNames.messagesConfirmed, [("destination", "dlq")]) == 1)
        #expect(try counter(MetricNames.messagesRetried, [("destination", "erp")]) == 1)
        #expect(try counter(MetricNames.messagesFailed, [("destination", "erp"), ("reason", "nack")]) == 2)
        #expect(try counter(MetricNames.messagesDeadLettered, [("reason", "nack")]) == 1)
        #expect(try counter(MetricNames.messagesAcked) == 2)
        #expect(try metrics.expectGauge(MetricNames.inFlightMessages, route).lastValue == 0)
        #expect(try metrics.expectTimer(MetricNames.deliverySeconds, route).values.count == 2)
        #expect(try metrics.expectTimer(MetricNames.forwardSeconds, route).values.count == 2)
    }

    @Test("7 dropped, expired and abandoned are counted with their reason")
    func droppedAndAbandoned() throws {
        let metrics = TestMetrics()
        var h = Harness(try Self.policy(exhausted: .drop, deadLetter: false), metrics: metrics)
        let route = [("route", "orders")]
        h.receive(token: 1, expiresIn: .zero)
        h.receive(token: 2)
        h.fail(token: 2, destination: 0, .permanent(FailureReason.template, "missing header"))
        h.confirm(token: 2, destination: 1)
        h.receive(token: 3)
        h.abandonAll()
        #expect(try metrics.expectCounter(MetricNames.messagesDropped, route + [("reason", "expired")]).totalValue == 1)
        #expect(try metrics.expectCounter(MetricNames.messagesDropped, route + [("reason", "template")]).totalValue == 1)
        #expect(try metrics.expectCounter(MetricNames.messagesAbandoned, route).totalValue == 1)
        #expect(try metrics.expectCounter(MetricNames.messagesAcked, route).totalValue == 2)
        #expect(try metrics.expectCounter(MetricNames.messagesReceived, route).totalValue == 3)
    }

    @Test("7 every metric name is registered once with one kind")
    func namesUnique() {
        let names = MetricNames.all.map(\.name)
        #expect(Set(names).count == names.count)
        #expect(names.count == 20)
    }
}
