import AMQPProtocol
import Foundation
import Testing

/// Dead letters through one `message-bridge run` process against the shared RabbitMQ and
/// mosquitto and a private Kafka mock (CONTRACT section 5.5): `too_large`, `template`,
/// `not_allowed`, `unroutable` and retries exhausted, each dead letter with its `bridge-*`
/// headers, in an AMQP, a Kafka and an MQTT dead letter; and the source acked only after the
/// dead letter confirmed: while the dead letter's exchange is missing, the AMQP source message
/// stays unacked in RabbitMQ and the Kafka offset uncommitted.
@Suite(
    .serialized, .timeLimit(.minutes(2)),
    .enabled(if: BrokerEnvironment.isConfigured, BrokerEnvironment.disabledReason)
)
struct DeadLetterTests {
    let brokers: BrokerEnvironment
    let tag = PolicyKit.tag("dl")
    let directory: URL

    init() throws {
        brokers = try BrokerEnvironment.load()
        directory = try PolicyKit.directory(tag)
    }

    static let routes = ["large", "unroutable", "held", "tmpl", "retries", "rejected"]

    func config(kafka: String) throws -> String {
        """
        version: 1
        bridge: { name: \(tag), instance: i, http: "127.0.0.1:{{PORT}}", shutdown_timeout: 2s }
        connections:
          a: { protocol: amqp, url: "\(try brokers["AMQP_URL"])", reconnect: { initial: 100ms, max: 400ms } }
          m: { protocol: mqtt, url: "\(try brokers["MQTT_URL"])", mqtt_version: 5, keepalive: 5s, reconnect: { initial: 100ms, max: 400ms } }
          k:
            protocol: kafka
            bootstrap_servers: \(kafka)
            group_id: \(tag)
            properties: { session.timeout.ms: "6000", auto.commit.interval.ms: "200" }
        routes:
          # AMQP -> AMQP over max_message_size; the AMQP dead letter's exchange is missing at first.
          - name: large
            from: { connection: a, queue: \(tag).large }
            to: { connection: a, exchange: amq.topic, routing_key: \(tag).out }
            max_message_size: 1KB
            on_error: { dead_letter: { connection: a, exchange: \(tag).dlx, routing_key: "{route}" } }
          # Kafka -> AMQP with nothing bound (mandatory: basic.return); the same missing dead letter exchange.
          - name: unroutable
            from: { connection: k, topic: src, start: earliest }
            to: { connection: a, exchange: amq.topic, routing_key: \(tag).nobody }
            on_error: { dead_letter: { connection: a, exchange: \(tag).dlx, routing_key: "{route}" } }
          # MQTT -> AMQP with nothing bound, window 1; the same missing dead letter exchange.
          - name: held
            from: { connection: m, topic: "\(tag)/held/+" }
            to: { connection: a, exchange: amq.topic, routing_key: \(tag).nobody }
            max_in_flight: 1
            on_error: { dead_letter: { connection: a, exchange: \(tag).dlx, routing_key: "{route}" } }
          # MQTT -> Kafka topic from a header: a missing header, a topic outside allow, too large.
          - name: tmpl
            from: { connection: m, topic: "\(tag)/tmpl/+" }
            to: { connection: k, topic: "t.{header.site}", allow: ["t.*"] }
            max_message_size: 1KB
            on_error: { dead_letter: { connection: k, topic: dead } }
          # MQTT -> an AMQP queue that rejects every publish (basic.nack): 3 attempts, then the MQTT dead letter.
          - name: retries
            from: { connection: m, topic: "\(tag)/retries/+" }
            to: { connection: a, exchange: amq.topic, routing_key: \(tag).full }
            max_message_size: 1KB
            on_error:
              retry: { attempts: 3, backoff: 50ms, max_backoff: 200ms }
              dead_letter: { connection: m, topic: "\(tag)/dead/{route}" }
          # exhausted: reject: basic.reject(requeue=false), so the queue's own dead-letter exchange applies.
          - name: rejected
            from: { connection: a, queue: \(tag).rej }
            to: { connection: a, exchange: amq.topic, routing_key: \(tag).nobody }
            on_error: { exhausted: reject }
        """
    }

    @Test("too_large, template, not_allowed, unroutable and retries exhausted reach AMQP, Kafka and MQTT dead letters with the bridge headers; the source is acked only after the dead letter confirmed")
    func deadLetters() throws {
        let amqpURL = try brokers["AMQP_URL"]
        let mqttURL = try brokers["MQTT_URL"]
        let amqp = try AMQPTestClient(amqpURL)
        defer {
            for queue in ["large", "ok", "full", "dead", "rej", "rejdl"] { amqp.deleteQueue("\(tag).\(queue)") }
            amqp.deleteExchange("\(tag).dlx")
            amqp.close()
        }
        try amqp.declareQueue("\(tag).large")
        try amqp.declareQueue("\(tag).ok", bindings: [("amq.topic", "\(tag).out")])
        // max-length 0 with reject-publish: RabbitMQ nacks every publish routed here.
        try amqp.declareQueue(
            "\(tag).full", arguments: ["x-max-length": .int64(0), "x-overflow": .string("reject-publish")], bindings: [("amq.topic", "\(tag).full")]
        )
        try amqp.consume("\(tag).ok")
        try amqp.declareQueue("\(tag).rejdl", bindings: [("amq.direct", "\(tag).rejdl")])
        try amqp.declareQueue(
            "\(tag).rej", arguments: ["x-dead-letter-exchange": .string("amq.direct"), "x-dead-letter-routing-key": .string("\(tag).rejdl")]
        )
        try amqp.consume("\(tag).rejdl")

        let cluster = try KafkaMockCluster(topics: ["src": 1, "dead": 1, "t.eu1": 1], brokers: 1)
        try KafkaTestClient.produce(
            [OutgoingRecord(partition: 0, key: "k1", value: "nobody-listens", headers: [("seq", "1")])], to: "src", bootstrap: cluster.bootstrap
        )
        let deadMQTT = try PolicyMQTTReader(url: mqttURL, filter: "\(tag)/dead/#", file: directory.appendingPathComponent("dead-mqtt.jsonl"))
        defer { deadMQTT.stop() }

        let bridge = try BridgeProcess(name: "dead-letters", yaml: try config(kafka: cluster.bootstrap), directory: directory)
        defer { _ = bridge.terminate() }
        #expect(PolicyKit.waitRoutes(bridge, Self.routes, are: "consuming"), "routes never consuming:\n\(bridge.logTail)")

        let big = String(repeating: "x", count: 2_000)
        try amqp.publish(routingKey: "\(tag).large", body: "small", headers: ["h": .string("v")])
        try amqp.publish(routingKey: "\(tag).large", body: big, headers: ["h": .string("v")])
        try PolicyKit.mqttPublish(mqttURL, topic: "\(tag)/tmpl/x", payload: "tmpl-ok", userProperties: [("site", "eu1")])
        try PolicyKit.mqttPublish(mqttURL, topic: "\(tag)/tmpl/x", payload: "tmpl-missing")
        try PolicyKit.mqttPublish(mqttURL, topic: "\(tag)/tmpl/x", payload: "tmpl-outside", userProperties: [("site", "eu1.evil")])
        try PolicyKit.mqttPublish(mqttURL, topic: "\(tag)/tmpl/x", payload: big, userProperties: [("site", "eu1")])
        try amqp.publish(routingKey: "\(tag).rej", body: "reject-me")
        try PolicyKit.mqttPublish(mqttURL, topic: "\(tag)/held/x", payload: "held-1")
        try PolicyKit.mqttPublish(mqttURL, topic: "\(tag)/held/x", payload: "held-2")
        try PolicyKit.mqttPublish(mqttURL, topic: "\(tag)/retries/x", payload: "retry-me")
        try PolicyKit.mqttPublish(mqttURL, topic: "\(tag)/retries/x", payload: big)

        // 1. The AMQP dead letter's exchange does not exist: the two dead letters fail
        //    (channel closed, transient) and are retried; their sources must stay unacked.
        let failing = BridgeProcess.wait(20) {
            let m = bridge.metrics()
            return PolicyKit.value(m, "bridge_messages_failed_total", [("route", "large"), ("destination", "a"), ("reason", "channel_closed")]) >= 2
                && PolicyKit.value(m, "bridge_messages_failed_total", [("route", "unroutable"), ("destination", "a"), ("reason", "channel_closed")]) >= 2
                && PolicyKit.value(m, "bridge_messages_failed_total", [("route", "held"), ("destination", "a"), ("reason", "channel_closed")]) >= 2
        }
        #expect(failing, "the dead letters to a missing exchange never failed:\n\(bridge.metrics().filter { $0.key.contains("failed") })\n\(bridge.logTail)")
        let held = bridge.metrics()
        let largeHeld = RouteCounts(held, route: "large")
        let unroutableHeld = RouteCounts(held, route: "unroutable")
        #expect(largeHeld.received == 2 && largeHeld.acked == 1 && largeHeld.inFlight == 1, "large while its dead letter fails: \(largeHeld)")
        #expect(unroutableHeld.received == 1 && unroutableHeld.acked == 0 && unroutableHeld.inFlight == 1, "unroutable: \(unroutableHeld)")
        #expect(PolicyKit.value(held, "bridge_messages_dead_lettered_total", [("route", "large"), ("reason", "too_large")]) == 0)
        let queues = try PolicyKit.queueCounts(brokers, ["\(tag).large"])
        let largeQueue = queues["\(tag).large"]
        print("dead letter exchange missing: \(tag).large holds ready \(largeQueue?.ready ?? -1), unacked \(largeQueue?.unacked ?? -1); \(largeHeld)")
        #expect(largeQueue?.ready == 0 && largeQueue?.unacked == 1, "the too-large message must stay unacked in RabbitMQ while its dead letter fails: \(String(describing: largeQueue))")
        // MQTT: receive-maximum is the window (1); no PUBACK went out, so mosquitto holds the second.
        let mqttHeld = RouteCounts(held, route: "held")
        #expect(mqttHeld.received == 1 && mqttHeld.acked == 0 && mqttHeld.inFlight == 1, "held while its dead letter fails: \(mqttHeld)")
        let committedHeld = try KafkaTestClient.committed(group: tag, topic: "src", partitions: 1, bootstrap: cluster.bootstrap)
        print("dead letter exchange missing: Kafka committed offset of src \(committedHeld)")
        #expect(committedHeld.allSatisfy { $0 < 1 }, "the unroutable record must not be committed while its dead letter fails: \(committedHeld)")

        // 2. The exchange appears: both dead letters are confirmed, then the sources acked.
        try amqp.declareExchange("\(tag).dlx")
        try amqp.declareQueue("\(tag).dead", bindings: [("\(tag).dlx", "#")])
        try amqp.consume("\(tag).dead")
        let amqpDead = amqp.waitForMessages(from: "\(tag).dead", count: 4, timeout: 20)
        #expect(amqpDead.count == 4, "AMQP dead letters: \(amqpDead.map(\.routingKey))\n\(bridge.logTail)")
        #expect(amqpDead.filter { $0.routingKey == "held" }.map(\.text) == ["held-1", "held-2"], "the held MQTT message follows once the first was acked")
        var committed: [Int64] = []
        BridgeProcess.wait(10) {
            committed = (try? KafkaTestClient.committed(group: tag, topic: "src", partitions: 1, bootstrap: cluster.bootstrap)) ?? []
            return committed == [1]
        }
        #expect(committed == [1], "the Kafka source is committed once its dead letter confirmed: \(committed)")

        if let large = amqpDead.first(where: { $0.routingKey == "large" }) {
            #expect(large.body.count == 2_000 && large.header("h") == "v", "the dead letter carries the message as received")
            #expect(large.header("bridge-error")?.hasPrefix("too_large:") == true, "\(String(describing: large.header("bridge-error")))")
            #expect(large.header("bridge-route") == "large")
            #expect(large.header("bridge-destination") == "a/amq.topic/\(tag).out")
            #expect(large.header("bridge-attempts") == "1")
            #expect(large.header("bridge-source") == "amqp://a/\(tag).large")
            #expect(large.header("bridge-hops") == "1")
            #expect(large.header("bridge-id") != nil)
        } else {
            Issue.record("no AMQP dead letter of route large")
        }
        if let unroutable = amqpDead.first(where: { $0.routingKey == "unroutable" }) {
            #expect(unroutable.text == "nobody-listens" && unroutable.header("seq") == "1")
            #expect(unroutable.header("bridge-error")?.hasPrefix("unroutable:") == true, "\(String(describing: unroutable.header("bridge-error")))")
            #expect(unroutable.header("bridge-error")?.contains("NO_ROUTE") == true, "the broker's message: \(String(describing: unroutable.header("bridge-error")))")
            #expect(unroutable.header("bridge-route") == "unroutable")
            #expect(unroutable.header("bridge-destination") == "a/amq.topic/\(tag).nobody")
            #expect(unroutable.header("bridge-attempts") == "1")
            #expect(unroutable.header("bridge-source") == "kafka://k/src#0:0")
            #expect(unroutable.header("bridge-id") == "kafka:k:src:0:0")
        } else {
            Issue.record("no AMQP dead letter of route unroutable")
        }

        // 3. Kafka dead letters of route tmpl: a missing header, a topic outside allow, too large.
        let kafkaDead = try KafkaTestClient.consume("dead", partitions: 1, bootstrap: cluster.bootstrap, timeout: 20) { $0.count >= 3 }
        #expect(kafkaDead.count == 3, "Kafka dead letters: \(kafkaDead.map(\.text))")
        let byError = Dictionary(kafkaDead.map { (($0.header("bridge-error") ?? "").prefix { $0 != ":" }, $0) }, uniquingKeysWith: { a, _ in a })
        #expect(Set(byError.keys) == ["template", "not_allowed", "too_large"], "\(kafkaDead.map { $0.header("bridge-error") ?? "-" })")
        for record in kafkaDead {
            #expect(record.header("bridge-route") == "tmpl")
            #expect(record.header("bridge-destination") == "k/t.{header.site}")
            #expect(record.header("bridge-attempts") == "1")
            #expect(record.header("bridge-source") == "mqtt://m/\(tag)/tmpl/x")
        }
        #expect(byError["template"]?.text == "tmpl-missing")
        #expect(byError["template"]?.header("bridge-error")?.contains("site") == true, "names the missing header: \(String(describing: byError["template"]?.header("bridge-error")))")
        #expect(byError["not_allowed"]?.text == "tmpl-outside" && byError["not_allowed"]?.header("site") == "eu1.evil")
        #expect(byError["not_allowed"]?.header("bridge-error")?.contains("t.eu1.evil") == true)
        #expect(byError["too_large"]?.value?.count == 2_000)
        let delivered = try KafkaTestClient.consume("t.eu1", partitions: 1, bootstrap: cluster.bootstrap, timeout: 10) { $0.count >= 1 }
        #expect(delivered.map(\.text) == ["tmpl-ok"], "the good message still flows: \(delivered.map(\.text))")

        // 4. MQTT dead letters of route retries: basic.nack three times, and too large.
        let mqttDead = deadMQTT.wait(for: 2, timeout: 20)
        #expect(mqttDead.count == 2, "MQTT dead letters: \(mqttDead.map(\.topic))\n\(bridge.logTail)")
        let nacked = mqttDead.first { $0.payload == "retry-me" }
        #expect(nacked?.topic == "\(tag)/dead/retries")
        #expect(nacked?.userProperties["bridge-error"]?.hasPrefix("nack:") == true, "\(String(describing: nacked?.userProperties))")
        #expect(nacked?.userProperties["bridge-attempts"] == "3", "3 attempts, the first included: \(String(describing: nacked?.userProperties))")
        #expect(nacked?.userProperties["bridge-route"] == "retries")
        #expect(nacked?.userProperties["bridge-destination"] == "a/amq.topic/\(tag).full")
        #expect(nacked?.userProperties["bridge-source"] == "mqtt://m/\(tag)/retries/x")
        #expect(nacked?.userProperties["bridge-id"]?.isEmpty == false)
        let tooLarge = mqttDead.first { $0.payload.count == 2_000 }
        #expect(tooLarge?.userProperties["bridge-error"]?.hasPrefix("too_large:") == true, "a message too large for the route still reaches an MQTT dead letter")
        #expect(tooLarge?.userProperties["bridge-attempts"] == "1")

        // 5. Metrics: every failure counted where the contract says, and the routes at rest.
        let m = bridge.metrics()
        func deadLettered(_ route: String, _ reason: String) -> Int {
            PolicyKit.value(m, "bridge_messages_dead_lettered_total", [("route", route), ("reason", reason)])
        }
        func failed(_ route: String, _ destination: String, _ reason: String) -> Int {
            PolicyKit.value(m, "bridge_messages_failed_total", [("route", route), ("destination", destination), ("reason", reason)])
        }
        #expect(deadLettered("large", "too_large") == 1 && failed("large", "a", "too_large") == 1)
        #expect(deadLettered("unroutable", "unroutable") == 1 && failed("unroutable", "a", "unroutable") == 1)
        #expect(deadLettered("held", "unroutable") == 2 && failed("held", "a", "unroutable") == 2)
        #expect(deadLettered("tmpl", "template") == 1 && deadLettered("tmpl", "not_allowed") == 1 && deadLettered("tmpl", "too_large") == 1)
        #expect(failed("tmpl", "k", "template") == 1 && failed("tmpl", "k", "not_allowed") == 1 && failed("tmpl", "k", "too_large") == 1)
        #expect(deadLettered("retries", "nack") == 1 && deadLettered("retries", "too_large") == 1)
        #expect(failed("retries", "a", "nack") == 3, "three attempts, each nacked")
        #expect(PolicyKit.value(m, "bridge_messages_retried_total", [("route", "retries"), ("destination", "a")]) == 2)
        #expect(amqp.messages(from: "\(tag).ok").map(\.text) == ["small"], "the small message flows")
        // reject: RabbitMQ dead-letters it itself (x-death); counted as dropped, not dead-lettered by the bridge.
        let rejected = amqp.waitForMessages(from: "\(tag).rejdl", count: 1, timeout: 10)
        #expect(rejected.map(\.text) == ["reject-me"] && rejected.first?.headerValue("x-death") != nil, "the queue's dead-letter exchange got it: \(rejected.map(\.text))")
        let afterReject = bridge.metrics()
        #expect(PolicyKit.value(afterReject, "bridge_messages_dropped_total", [("route", "rejected"), ("reason", "unroutable")]) == 1)
        #expect(PolicyKit.value(afterReject, "bridge_messages_failed_total", [("route", "rejected"), ("destination", "a"), ("reason", "unroutable")]) == 1)
        #expect(!afterReject.keys.contains { $0.hasPrefix("bridge_messages_dead_lettered_total{route=\"rejected\"") })
        bridge.assertAtRest(routes: Self.routes)
        for route in Self.routes {
            #expect(RouteCounts(m, route: route).inFlight == 0, "\(route): \(RouteCounts(m, route: route))")
        }
        #expect(bridge.terminate() == 0, "SIGTERM exits 0:\n\(bridge.logTail)")
        // Nothing went back to the source queue when the bridge closed: everything was acked.
        #expect(try amqp.readyCount("\(tag).large") == 0)
    }
}
