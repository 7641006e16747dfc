import AMQPProtocol
import Foundation
import Testing

/// A route without a dead letter whose destination keeps failing (CONTRACT 5.5, `exhausted:
/// block`), through one `message-bridge run` process: it retries at `max_backoff`, `/readyz`
/// answers 503 naming the route `blocked`, nothing is acked or dropped (the AMQP source's
/// messages stay unacked in RabbitMQ; the MQTT broker sends no more than the window because
/// no PUBACK went out), and when the cause is removed everything flows and `/readyz` is ready.
@Suite(
    .serialized, .timeLimit(.minutes(2)),
    .enabled(if: BrokerEnvironment.isConfigured, BrokerEnvironment.disabledReason)
)
struct BlockedRouteTests {
    let brokers: BrokerEnvironment
    let tag = PolicyKit.tag("bl")
    let directory: URL

    init() throws {
        brokers = try BrokerEnvironment.load()
        directory = try PolicyKit.directory(tag)
    }

    static let routes = ["blocked-amqp", "blocked-mqtt"]

    func config() throws -> String {
        """
        version: 1
        bridge: { name: \(tag), instance: i, http: "127.0.0.1:{{PORT}}", shutdown_timeout: 2s }
        connections:
          a: { protocol: amqp, url: "\(try brokers["AMQP_URL"])" }
          m: { protocol: mqtt, url: "\(try brokers["MQTT_URL"])", mqtt_version: 5, keepalive: 5s }
        routes:
          - name: blocked-amqp
            from: { connection: a, queue: \(tag).src }
            to: { connection: a, exchange: amq.topic, routing_key: \(tag).out }
            max_in_flight: 2
            on_error: { retry: { attempts: 2, backoff: 50ms, max_backoff: 1s } }
          - name: blocked-mqtt
            from: { connection: m, topic: "\(tag)/in/+" }
            to: { connection: a, exchange: amq.topic, routing_key: \(tag).out }
            max_in_flight: 2
            on_error: { retry: { attempts: 2, backoff: 50ms, max_backoff: 1s } }
        """
    }

    @Test("without a dead letter a failing route retries at max_backoff, reports blocked, acks and drops nothing, and flows when the cause is gone")
    func blockedRouteHoldsEverything() throws {
        let amqp = try AMQPTestClient(try brokers["AMQP_URL"])
        defer {
            for queue in ["src", "full", "sink"] { amqp.deleteQueue("\(tag).\(queue)") }
            amqp.close()
        }
        try amqp.declareQueue("\(tag).src")
        // The cause: the only queue bound to the destination rejects every publish (basic.nack, transient).
        try amqp.declareQueue(
            "\(tag).full", arguments: ["x-max-length": .int64(0), "x-overflow": .string("reject-publish")], bindings: [("amq.topic", "\(tag).out")]
        )
        let bridge = try BridgeProcess(name: "blocked", yaml: try config(), directory: directory)
        defer { _ = bridge.terminate() }
        #expect(PolicyKit.waitRoutes(bridge, Self.routes, are: "consuming"), "routes never consuming:\n\(bridge.logTail)")

        for i in 1...3 {
            try amqp.publish(routingKey: "\(tag).src", body: "amqp-\(i)")
            try PolicyKit.mqttPublish(try brokers["MQTT_URL"], topic: "\(tag)/in/x", payload: "mqtt-\(i)")
        }

        // Blocked: /readyz 503, both routes named.
        let blocked = PolicyKit.waitRoutes(bridge, Self.routes, are: "blocked", timeout: 20)
        let readiness = PolicyKit.readiness(bridge)
        print("blocked: /readyz \(readiness.map { "\($0.code) \($0.status) \($0.routes)" } ?? "no answer")")
        #expect(blocked, "routes never blocked:\n\(bridge.logTail)")
        #expect(readiness?.code == 503 && readiness?.status == "not_ready", "\(String(describing: readiness))")

        // Retried at max_backoff (1 s, jittered to 0.5..1 s): over 3 s each of the two messages in
        // flight per route is attempted 2 to 7 times more (not every 50 ms, and not never; the
        // lower bound leaves room for late timers on a loaded machine).
        func nacks(_ route: String) -> Int {
            PolicyKit.value(bridge.metrics(), "bridge_messages_failed_total", [("route", route), ("destination", "a"), ("reason", "nack")])
        }
        let before = Self.routes.map(nacks)
        Thread.sleep(forTimeInterval: 3)
        let after = Self.routes.map(nacks)
        let rates = zip(before, after).map { $1 - $0 }
        print("blocked: nacks before \(before), after 3 s \(after): \(rates) more (2 messages in flight per route)")
        for (route, delta) in zip(Self.routes, rates) {
            #expect((4...14).contains(delta), "\(route): \(delta) retries in 3 s with max_backoff 1 s and 2 messages in flight")
        }

        // Nothing acked, nothing dropped; the sources still hold every message.
        let held = bridge.metrics()
        for route in Self.routes {
            let counts = RouteCounts(held, route: route)
            #expect(counts.received == 2 && counts.acked == 0 && counts.inFlight == 2, "\(route) while blocked: \(counts)")
            #expect(!held.keys.contains { $0.hasPrefix("bridge_messages_dropped_total{route=\"\(route)\"") }, "\(route) dropped something")
            #expect(!held.keys.contains { $0.hasPrefix("bridge_messages_dead_lettered_total{route=\"\(route)\"") })
        }
        // RabbitMQ: 2 delivered and unacked (the window), 1 still ready.
        let queue = try PolicyKit.queueCounts(brokers, ["\(tag).src"])["\(tag).src"]
        print("blocked: \(tag).src ready \(queue?.ready ?? -1), unacked \(queue?.unacked ?? -1)")
        #expect(queue?.ready == 1 && queue?.unacked == 2, "RabbitMQ must hold the AMQP source's messages unacked: \(String(describing: queue))")
        // MQTT: receive-maximum is the window; with no PUBACK sent the broker holds the third.
        #expect(RouteCounts(held, route: "blocked-mqtt").received == 2, "mosquitto sent more than the window: a PUBACK went out")
        #expect(bridge.logText.contains("route blocked"), "the log names the blocked route")

        // The cause goes away: a queue that takes the messages, then the rejecting one removed.
        try amqp.declareQueue("\(tag).sink", bindings: [("amq.topic", "\(tag).out")])
        try amqp.consume("\(tag).sink")
        amqp.deleteQueue("\(tag).full")
        let arrived = amqp.waitForMessages(from: "\(tag).sink", count: 6, timeout: 20)
        let payloads = Set(arrived.map(\.text))
        print("unblocked: \(arrived.count) messages arrived, \(payloads.count) distinct")
        #expect(payloads == Set((1...3).flatMap { ["amqp-\($0)", "mqtt-\($0)"] }), "every held message flows: \(payloads.sorted())")
        #expect(PolicyKit.waitRoutes(bridge, Self.routes, are: "consuming", timeout: 10), "routes stay blocked:\n\(bridge.logTail)")
        let ready = BridgeProcess.wait(10) { PolicyKit.readiness(bridge)?.code == 200 }
        #expect(ready, "/readyz is not ready again: \(String(describing: PolicyKit.readiness(bridge)))")
        let m = bridge.metrics()
        for route in Self.routes {
            let counts = RouteCounts(m, route: route)
            #expect(counts.received == 3 && counts.acked == 3, "\(route) after the cause is gone: \(counts)")
        }
        bridge.assertAtRest(routes: Self.routes)
        #expect(bridge.terminate() == 0, "SIGTERM exits 0:\n\(bridge.logTail)")
        #expect(try amqp.readyCount("\(tag).src") == 0, "nothing went back to the source queue")
    }
}
