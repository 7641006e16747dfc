import AMQPProtocol
import Foundation
import MQTTProtocol
import NIOCore
import Testing

/// Destination templates filled from real traffic (CONTRACT section 3, "Templates"), through
/// one `message-bridge run` process: `{topic:dots}`, `{topic.N}`, `{topic:slashes}`, `{key}`
/// and `{header.NAME}` (with the `allow` lists the contract requires), `{route}` in the dead
/// letter's routing key; a template that cannot be filled (missing segment, header or key, a
/// computed MQTT topic with `+`, a Kafka topic with `/`) sends that message to the dead
/// letter with reason `template`, and a computed topic outside `allow` with `not_allowed`,
/// each with the `bridge-*` headers, the source acked once the dead letter confirmed.
@Suite(
    "End to end: templates from real traffic", .serialized, .timeLimit(.minutes(2)),
    .enabled(if: BrokerEnvironment.isConfigured, BrokerEnvironment.disabledReason)
)
struct TemplateTests {
    let tag = Peers.tag()
    let brokers: BrokerEnvironment

    init() throws {
        brokers = try BrokerEnvironment.load()
    }

    var exchange: String { "e2e.\(tag).tx" }

    func routeFile(kafka: String) throws -> String {
        let onError = "{ dead_letter: { connection: rb, exchange: \(exchange), routing_key: \"dead.{route}\" } }"
        return """
            version: 1
            bridge:
              name: tpl-\(tag)
              instance: t
              http: 127.0.0.1:{{PORT}}
              shutdown_timeout: 5s
            connections:
              mq: { protocol: mqtt, url: "\(try brokers["MQTT_URL"])", session_expiry: 1m }
              kf:
                protocol: kafka
                bootstrap_servers: \(kafka)
                group_id: tpl-\(tag)
                properties: { session.timeout.ms: "6000" }
              rb: { protocol: amqp, url: "\(try brokers["AMQP_URL"])" }
            routes:
              - name: t-dots
                from: { connection: mq, topic: "e2e/\(tag)/tpl/+/batch/#" }
                to: { connection: rb, exchange: \(exchange), routing_key: "{topic:dots}" }
                on_error: \(onError)
              - name: t-seg
                from: { connection: mq, topic: "e2e/\(tag)/seg/+/batch/#" }
                to: { connection: kf, topic: "tpl.{topic.3}", key: "{topic.5}" }
                on_error: \(onError)
              - name: t-key
                from: { connection: kf, topic: tplin, start: earliest }
                to: { connection: mq, topic: "e2e/\(tag)/bykey/{key}", allow: ["e2e/\(tag)/bykey/+"] }
                on_error: \(onError)
              - name: t-hdr
                from: { connection: rb, queue: e2e.\(tag).hq }
                to: { connection: kf, topic: "tpl.{header.site}", key: "{header.batch}", allow: ["tpl.*"] }
                on_error: \(onError)
              - name: t-sl
                from: { connection: rb, queue: e2e.\(tag).sq }
                to: { connection: mq, topic: "e2e/\(tag)/{topic:slashes}" }
                on_error: \(onError)
            """
    }

    /// One dead letter the test expects.
    struct Dead {
        var route: String
        var payload: String
        var reason: String
        var destination: String
        var source: String
    }

    @Test("templates fill from MQTT, Kafka and AMQP traffic; an unfillable one dead-letters with reason template")
    func templatesFromRealTraffic() throws {
        let started = Date()
        let directory = try Peers.directory("e2e-templates")
        let cluster = try KafkaMockCluster(topics: ["tplin": 1, "tpl.l7": 1], brokers: 1)

        let amqp = try AMQPTestClient(try brokers["AMQP_URL"])
        let queues = ["e2e.\(tag).hq", "e2e.\(tag).sq", "e2e.\(tag).tq", "e2e.\(tag).dead"]
        defer {
            for queue in queues { amqp.deleteQueue(queue) }
            amqp.deleteExchange(exchange)
            amqp.close()
        }
        try amqp.declareExchange(exchange)
        try amqp.declareQueue("e2e.\(tag).hq", durable: false)
        try amqp.declareQueue("e2e.\(tag).sq", durable: false, bindings: [(exchange, "plant.#")])
        try amqp.declareQueue("e2e.\(tag).tq", durable: false, bindings: [(exchange, "e2e.\(tag).tpl.#")])
        try amqp.declareQueue("e2e.\(tag).dead", durable: false, bindings: [(exchange, "dead.#")])
        try amqp.consume("e2e.\(tag).tq")
        try amqp.consume("e2e.\(tag).dead")
        let mqttReader = try MQTTPeer(try brokers["MQTT_URL"], clientID: "tpl-read-\(tag)")
        defer { mqttReader.close() }
        try mqttReader.subscribe("e2e/\(tag)/#")

        let bridge = try BridgeProcess(name: "templates", yaml: try routeFile(kafka: cluster.bootstrap), directory: directory)
        defer { _ = bridge.terminate() }
        guard bridge.waitUntilReady() else { return }

        // MQTT sources: {topic:dots} and {topic.N}.
        let publisher = try MQTTPeer(try brokers["MQTT_URL"], clientID: "tpl-pub-\(tag)")
        defer { publisher.close() }
        try publisher.publish("e2e/\(tag)/tpl/l7/batch/42", payload: Array("dots".utf8))
        try publisher.publish("e2e/\(tag)/seg/l7/batch/42", payload: Array("seg".utf8))
        try publisher.publish("e2e/\(tag)/seg/l7/batch", payload: Array("seg-short".utf8))  // no segment 5
        // Kafka source: {key}, allow e2e/<tag>/bykey/+.
        try KafkaPeer.produce(
            [
                KafkaPeer.Record(key: Array("site-a".utf8), value: Array("key-ok".utf8)),
                KafkaPeer.Record(key: Array("x/y".utf8), value: Array("key-outside".utf8)),  // not_allowed
                KafkaPeer.Record(key: Array("a+b".utf8), value: Array("key-wildcard".utf8)),  // '+' in a topic: template
                KafkaPeer.Record(key: nil, value: Array("key-none".utf8)),  // no key: template
            ], to: "tplin", bootstrap: cluster.bootstrap)
        // AMQP sources: {header.NAME} with allow tpl.*, and {topic:slashes} of the routing key.
        func headers(_ pairs: [(String, String)]) -> FieldTable {
            FieldTable(pairs.map { FieldTable.Entry(name: $0.0, value: .string($0.1)) })
        }
        try amqp.publish(routingKey: "e2e.\(tag).hq", body: "hdr-ok", headers: headers([("site", "l7"), ("batch", "B-17")]))
        try amqp.publish(routingKey: "e2e.\(tag).hq", body: "hdr-missing", headers: headers([("batch", "B-18")]))
        try amqp.publish(routingKey: "e2e.\(tag).hq", body: "hdr-slash", headers: headers([("site", "l7/x"), ("batch", "B-19")]))
        try amqp.publish(exchange: exchange, routingKey: "plant.l7.cmd", body: "slashes")

        // What arrived where the templates pointed.
        let dots = amqp.waitForMessages(from: "e2e.\(tag).tq", count: 1, timeout: 15)
        #expect(dots.map(\.routingKey) == ["e2e.\(tag).tpl.l7.batch.42"], "{topic:dots}: \(dots.map(\.routingKey))")
        let mqtt = mqttReader.waitForMessages(count: 2, timeout: 15) { $0.topic.hasPrefix("e2e/\(tag)/bykey/") || $0.topic.hasPrefix("e2e/\(tag)/plant/") }
        let byTopic = Dictionary(mqtt.map { ($0.topic, String(decoding: $0.payload, as: UTF8.self)) }, uniquingKeysWith: { $0 + "," + $1 })
        #expect(byTopic == ["e2e/\(tag)/bykey/site-a": "key-ok", "e2e/\(tag)/plant/l7/cmd": "slashes"], "{key} and {topic:slashes}: \(byTopic)")
        let kafka = try KafkaTestClient.consume("tpl.l7", partitions: 1, bootstrap: cluster.bootstrap, timeout: 15) { $0.count >= 2 }
        let keyed = Dictionary(kafka.map { ($0.text, String(decoding: $0.key ?? [], as: UTF8.self)) }, uniquingKeysWith: { $0 + "," + $1 })
        #expect(keyed == ["seg": "42", "hdr-ok": "B-17"], "{topic.N} and {header.NAME} (topic tpl.l7, key): \(keyed)")

        // Every message that could not be routed is in the dead letter, with its reason.
        let expected = [
            Dead(route: "t-seg", payload: "seg-short", reason: "template", destination: "kf/tpl.{topic.3}", source: "mqtt://mq/e2e/\(tag)/seg/l7/batch"),
            Dead(route: "t-key", payload: "key-outside", reason: "not_allowed", destination: "mq/e2e/\(tag)/bykey/{key}", source: "kafka://kf/tplin#0:1"),
            Dead(route: "t-key", payload: "key-wildcard", reason: "template", destination: "mq/e2e/\(tag)/bykey/{key}", source: "kafka://kf/tplin#0:2"),
            Dead(route: "t-key", payload: "key-none", reason: "template", destination: "mq/e2e/\(tag)/bykey/{key}", source: "kafka://kf/tplin#0:3"),
            Dead(route: "t-hdr", payload: "hdr-missing", reason: "template", destination: "kf/tpl.{header.site}", source: "amqp://rb/e2e.\(tag).hq"),
            Dead(route: "t-hdr", payload: "hdr-slash", reason: "template", destination: "kf/tpl.{header.site}", source: "amqp://rb/e2e.\(tag).hq"),
        ]
        let dead = amqp.waitForMessages(from: "e2e.\(tag).dead", count: expected.count, timeout: 15)
        #expect(dead.count == expected.count, "dead letters: \(dead.map(\.text))")
        for want in expected {
            guard let letter = dead.first(where: { $0.text == want.payload }) else {
                Issue.record("no dead letter for \(want.payload) (\(want.route), \(want.reason))")
                continue
            }
            let at = "dead letter of \(want.payload)"
            #expect(letter.routingKey == "dead.\(want.route)", "\(at): routing key {route} -> \(letter.routingKey)")
            #expect(letter.header("bridge-route") == want.route, "\(at): bridge-route")
            #expect(letter.header("bridge-error")?.hasPrefix(want.reason + ":") == true, "\(at): bridge-error \(letter.header("bridge-error") ?? "nil")")
            #expect(letter.header("bridge-destination") == want.destination, "\(at): bridge-destination \(letter.header("bridge-destination") ?? "nil")")
            #expect(letter.header("bridge-attempts") == "1", "\(at): bridge-attempts \(letter.header("bridge-attempts") ?? "nil") (permanent: no retry)")
            #expect(letter.header("bridge-source") == want.source, "\(at): bridge-source \(letter.header("bridge-source") ?? "nil")")
            #expect(letter.header("bridge-id")?.isEmpty == false, "\(at): bridge-id")
        }

        // Dead-lettered and acked, per route and reason; nothing left in flight.
        bridge.assertAtRest(routes: ["t-dots", "t-seg", "t-key", "t-hdr", "t-sl"])
        let deadLettered: [String: [String: Int]] = [
            "t-seg": ["template": 1], "t-key": ["template": 2, "not_allowed": 1], "t-hdr": ["template": 2],
        ]
        for route in ["t-dots", "t-seg", "t-key", "t-hdr", "t-sl"] {
            for reason in ["template", "not_allowed"] {
                let value = bridge.counter("bridge_messages_dead_lettered_total", route: route, ["reason": reason])
                #expect(value == deadLettered[route]?[reason] ?? 0, "\(route): dead_lettered{reason=\(reason)} \(value)")
            }
        }
        #expect(try amqp.readyCount("e2e.\(tag).hq") == 0, "the AMQP source queue is empty: every message acked")
        #expect(bridge.terminate() == 0, "SIGTERM: a clean exit\n\(bridge.logTail)")
        print("TemplateTests.templatesFromRealTraffic: \(String(format: "%.1f", Date().timeIntervalSince(started))) s")
    }
}
