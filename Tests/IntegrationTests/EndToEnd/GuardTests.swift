import AMQPProtocol
import Foundation
import NIOCore
import Testing

/// The guards of CONTRACT sections 3, 4 and 5 through `message-bridge check` and `run`
/// against real brokers: `allow_all`, `allow` lists, `max_message_size` (bridge, route) and a
/// destination's own limit (MQTT 5 maximum packet size), expiry, the `bridge-hops` loop guard,
/// and the header type rules ("Exact values"), each counted in the metric the contract names.
@Suite(
    .serialized, .timeLimit(.minutes(2)),
    .enabled(if: BrokerEnvironment.isConfigured, BrokerEnvironment.disabledReason)
)
struct GuardTests {
    let brokers: BrokerEnvironment
    let tag = PolicyKit.tag("gd")
    let directory: URL

    init() throws {
        brokers = try BrokerEnvironment.load()
        directory = try PolicyKit.directory(tag)
    }

    // MARK: - allow_all

    func writeFile(_ name: String, _ text: String) throws -> URL {
        let url = directory.appendingPathComponent(name)
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url
    }

    /// A route file whose one route reads `source` into the shared mosquitto, with `{{PORT}}`.
    func catchAll(_ source: String, mqtt: String, allowAll: Bool) throws -> String {
        """
        version: 1
        bridge: { name: \(tag), instance: c, http: "127.0.0.1:{{PORT}}", shutdown_timeout: 2s }
        connections:
          in: { protocol: mqtt, url: "\(mqtt)" }
          out: { protocol: mqtt, url: "\(try brokers["MQTT_URL"])" }
          k: { protocol: kafka, bootstrap_servers: "\(try brokers["KAFKA_BOOTSTRAP"])" }
          a: { protocol: amqp, url: "\(try brokers["AMQP_URL"])" }
        routes:
          - name: everything
            from: \(source)
            to: { connection: out, topic: "\(tag)/copy/{topic}" }\(allowAll ? "\n    allow_all: true" : "")
        """
    }

    @Test("a catch-all source without allow_all is refused by check and run with exit 1 and the reason; with allow_all it runs")
    func allowAll() throws {
        let executable = BridgeProcess.executable.path
        for (source, words, key) in [
            (##"{ connection: in, topic: "#" }"##, "takes every message on the broker", "routes[0].from.topic"),
            (##"{ connection: in, topic: "+/#" }"##, "takes every message on the broker", "routes[0].from.topic"),
            (#"{ connection: k, topic: "^.*" }"#, "takes every topic of the cluster", "routes[0].from.topic"),
            (
                ##"{ connection: a, queue: \##(tag).all, declare: { durable: false, bindings: [ { exchange: amq.topic, routing_key: "#" } ] } }"##,
                "takes every message of exchange 'amq.topic'", "routes[0].from.declare.bindings[0].routing_key"
            ),
        ] {
            let file = try writeFile(
                "catch-all-\(UUID().uuidString.prefix(4)).yaml",
                try catchAll(source, mqtt: try brokers["MQTT_URL"], allowAll: false).replacingOccurrences(of: "{{PORT}}", with: String(BridgeProcess.freePort()))
            )
            let check = try ProcessRunner.run([executable, "check", "--config", file.path])
            #expect(check.status == 1, "check of \(source): \(check)")
            #expect(
                check.stderr.contains(words) && check.stderr.contains("allow_all: true") && check.stderr.contains(key),
                "check names the key, the reason and the way out: \(check.stderr)"
            )
            let run = try ProcessRunner.run([executable, "run", "--config", file.path], timeout: .seconds(15))
            #expect(run.status == 1 && !run.timedOut, "run of \(source) must refuse to start: \(run)")
            #expect((run.stderr + run.stdout).contains(words), "run says why: \(run)")
        }
        // allow_all: true makes a catch-all an open conduit on purpose: check accepts it, and
        // run forwards everything of a broker of the test's own.
        let open = try PolicyMosquitto(directory: directory)
        defer { open.stop() }
        let yaml = try catchAll(##"{ connection: in, topic: "#" }"##, mqtt: open.url, allowAll: true)
        let file = try writeFile("allow-all.yaml", yaml.replacingOccurrences(of: "{{PORT}}", with: String(BridgeProcess.freePort())))
        let check = try ProcessRunner.run([executable, "check", "--config", file.path])
        #expect(check.status == 0, "\(check)")
        let copies = try PolicyMQTTReader(url: try brokers["MQTT_URL"], filter: "\(tag)/copy/#", file: directory.appendingPathComponent("copies.jsonl"))
        defer { copies.stop() }
        let bridge = try BridgeProcess(name: "allow-all", yaml: yaml, directory: directory)
        #expect(PolicyKit.waitRoutes(bridge, ["everything"], are: "consuming"), "allow_all route not consuming:\n\(bridge.logTail)")
        try PolicyKit.mqttPublish(open.url, topic: "any/topic/at/all", payload: "taken")
        let copied = copies.wait(for: 1, timeout: 10)
        #expect(copied.map(\.topic) == ["\(tag)/copy/any/topic/at/all"] && copied.first?.payload == "taken", "\(copied.map(\.topic))")
        bridge.assertAtRest(routes: ["everything"])
        #expect(bridge.terminate() == 0)
    }

    @Test("check warns on stderr with lines that start with warning: and name the route")
    func checkWarnings() throws {
        let file = try writeFile(
            "warnings.yaml",
            """
            version: 1
            bridge: { name: \(tag), instance: w, http: off }
            connections:
              m: { protocol: mqtt, url: "\(try brokers["MQTT_URL"])" }
            routes:
              - name: fire-and-forget
                from: { connection: m, topic: "\(tag)/w/+" }
                to: { connection: m, topic: "\(tag)/w-out", qos: 0 }
            """
        )
        let check = try ProcessRunner.run([BridgeProcess.executable.path, "check", "--config", file.path])
        #expect(check.status == 0, "\(check)")
        let warnings = check.stderr.split(separator: "\n").filter { $0.hasPrefix("warning:") }
        #expect(warnings.contains { $0.contains("fire-and-forget") && $0.lowercased().contains("qos 0") }, "\(check.stderr)")
    }

    // MARK: - One bridge, every guard

    func config(sizedBroker: PolicyMosquitto, kafka: String) throws -> String {
        let mqtt = try brokers["MQTT_URL"]
        return """
            version: 1
            bridge: { name: \(tag), instance: i, http: "127.0.0.1:{{PORT}}", shutdown_timeout: 2s, max_message_size: 1KB, max_hops: 4 }
            connections:
              m: { protocol: mqtt, url: "\(mqtt)", mqtt_version: 5, keepalive: 5s }
              small: { protocol: mqtt, url: "\(sizedBroker.url)", mqtt_version: 5, keepalive: 5s }
              a: { protocol: amqp, url: "\(try brokers["AMQP_URL"])" }
              k: { protocol: kafka, bootstrap_servers: \(kafka), properties: { session.timeout.ms: "6000" } }
              k-small: { protocol: kafka, bootstrap_servers: \(kafka), properties: { message.max.bytes: "1200" } }
            routes:
              # allow: a topic from a header must stay inside the list (else not_allowed; dropped here).
              - name: allow
                from: { connection: m, topic: "\(tag)/allow/+" }
                to: { connection: m, topic: "\(tag)/out/{header.zone}", allow: ["\(tag)/out/+"] }
                max_message_size: 4KB
                on_error: { exhausted: drop }
              # bridge.max_message_size (1KB) applies; the route's own 4KB on `allow` lets the same message pass there.
              - name: sized
                from: { connection: m, topic: "\(tag)/sized/+" }
                to: { connection: m, topic: "\(tag)/out/sized" }
                on_error: { exhausted: drop }
              # The destination broker announces maximum-packet-size 1200 (CONNACK): its own limit.
              - name: packet
                from: { connection: m, topic: "\(tag)/packet/+" }
                to: { connection: small, topic: "packet" }
                max_message_size: 1MB
                on_error: { exhausted: drop }
              # The Kafka producer's message.max.bytes (1200) is the destination's limit.
              - name: kafka-size
                from: { connection: m, topic: "\(tag)/ksize/+" }
                to: { connection: k-small, topic: ksize }
                max_message_size: 1MB
                on_error: { exhausted: drop }
              # Expiry: the destination nacks every publish; the message expires while retried.
              - name: expiry-mqtt
                from: { connection: m, topic: "\(tag)/expiry/+" }
                to: { connection: a, exchange: amq.topic, routing_key: \(tag).full }
                on_error: { retry: { attempts: 50, backoff: 200ms, max_backoff: 300ms }, exhausted: drop }
              - name: expiry-amqp
                from: { connection: a, queue: \(tag).expiry }
                to: { connection: a, exchange: amq.topic, routing_key: \(tag).full }
                on_error: { retry: { attempts: 50, backoff: 200ms, max_backoff: 300ms }, exhausted: drop }
              # Two routes feeding each other: A -> B -> A ..., stopped at max_hops 4.
              - name: ping
                from: { connection: a, queue: \(tag).qa }
                to: { connection: a, exchange: \(tag).B, routing_key: "{topic}" }
                on_error: { dead_letter: { connection: a, exchange: amq.direct, routing_key: \(tag).loopdl } }
              - name: pong
                from: { connection: a, queue: \(tag).qb }
                to: { connection: a, exchange: \(tag).A, routing_key: "{topic}" }
                on_error: { dead_letter: { connection: a, exchange: amq.direct, routing_key: \(tag).loopdl } }
              # Header type rules: typed AMQP headers to MQTT 5 (text only) and Kafka (bytes).
              - name: types
                from: { connection: a, queue: \(tag).types }
                to:
                  - { connection: m, topic: "\(tag)/types" }
                  - { connection: k, topic: types }
            """
    }

    static let routes = ["allow", "sized", "packet", "kafka-size", "expiry-mqtt", "expiry-amqp", "ping", "pong", "types"]

    @Test("allow lists, max_message_size, the destination's packet limit, expiry, the loop guard and the header type rules, counted")
    func guards() throws {
        let mqttURL = try brokers["MQTT_URL"]
        let amqp = try AMQPTestClient(try brokers["AMQP_URL"])
        defer {
            for queue in ["expiry", "full", "qa", "qb", "loopdl", "types"] { amqp.deleteQueue("\(tag).\(queue)") }
            for exchange in ["A", "B"] { amqp.deleteExchange("\(tag).\(exchange)") }
            amqp.close()
        }
        try amqp.declareQueue("\(tag).expiry")
        try amqp.declareQueue(
            "\(tag).full", arguments: ["x-max-length": .int64(0), "x-overflow": .string("reject-publish")], bindings: [("amq.topic", "\(tag).full")]
        )
        try amqp.declareExchange("\(tag).A")
        try amqp.declareExchange("\(tag).B")
        try amqp.declareQueue("\(tag).qa", bindings: [("\(tag).A", "#")])
        try amqp.declareQueue("\(tag).qb", bindings: [("\(tag).B", "#")])
        try amqp.declareQueue("\(tag).loopdl", bindings: [("amq.direct", "\(tag).loopdl")])
        try amqp.declareQueue("\(tag).types")
        try amqp.consume("\(tag).loopdl")

        let small = try PolicyMosquitto(directory: directory, maxPacketSize: 1200)
        defer { small.stop() }
        let cluster = try KafkaMockCluster(topics: ["types": 1, "ksize": 1], brokers: 1)
        let out = try PolicyMQTTReader(url: mqttURL, filter: "\(tag)/out/#", file: directory.appendingPathComponent("out.jsonl"))
        defer { out.stop() }
        let typesOut = try PolicyMQTTReader(url: mqttURL, filter: "\(tag)/types", file: directory.appendingPathComponent("types.jsonl"))
        defer { typesOut.stop() }
        let packetOut = try PolicyMQTTReader(url: small.url, filter: "packet", file: directory.appendingPathComponent("packet.jsonl"))
        defer { packetOut.stop() }

        let bridge = try BridgeProcess(name: "guards", yaml: try config(sizedBroker: small, kafka: cluster.bootstrap), directory: directory)
        defer { _ = bridge.terminate() }
        #expect(PolicyKit.waitRoutes(bridge, Self.routes, are: "consuming"), "routes never consuming:\n\(bridge.logTail)")

        let kilobyteAndAHalf = String(repeating: "s", count: 1_500)
        // allow
        try PolicyKit.mqttPublish(mqttURL, topic: "\(tag)/allow/x", payload: "zone-ok", userProperties: [("zone", "ok")])
        try PolicyKit.mqttPublish(mqttURL, topic: "\(tag)/allow/x", payload: "zone-deeper", userProperties: [("zone", "ok/deeper")])
        try PolicyKit.mqttPublish(mqttURL, topic: "\(tag)/allow/x", payload: kilobyteAndAHalf, userProperties: [("zone", "big")])
        // sized: bridge.max_message_size 1KB
        try PolicyKit.mqttPublish(mqttURL, topic: "\(tag)/sized/x", payload: kilobyteAndAHalf)
        try PolicyKit.mqttPublish(mqttURL, topic: "\(tag)/sized/x", payload: "sized-ok")
        // packet: the destination broker's maximum packet size 1200
        try PolicyKit.mqttPublish(mqttURL, topic: "\(tag)/packet/x", payload: kilobyteAndAHalf)
        try PolicyKit.mqttPublish(mqttURL, topic: "\(tag)/packet/x", payload: "packet-ok")
        // kafka-size: the producer's message.max.bytes 1200
        try PolicyKit.mqttPublish(mqttURL, topic: "\(tag)/ksize/x", payload: kilobyteAndAHalf)
        try PolicyKit.mqttPublish(mqttURL, topic: "\(tag)/ksize/x", payload: "ksize-ok")
        // expiry: 1 s on MQTT (message-expiry-interval) and AMQP (expiration); and an AMQP
        // expiration of 0 (deliver now or never: RabbitMQ hands it to the waiting consumer),
        // expired on arrival.
        try PolicyKit.mqttPublish(mqttURL, topic: "\(tag)/expiry/x", payload: "expires", properties: [("message-expiry-interval", "1")])
        try amqp.publish(routingKey: "\(tag).expiry", body: "expires", properties: BasicProperties(expiration: "1000"))
        try amqp.publish(routingKey: "\(tag).expiry", body: "expired on arrival", properties: BasicProperties(expiration: "0"))
        // loop: one message into exchange A
        try amqp.publish(exchange: "\(tag).A", routingKey: "loop.key", body: "round and round")
        // header types
        try amqp.publish(
            routingKey: "\(tag).types", body: "typed",
            headers: [
                "flag": .bool(true), "no": .bool(false), "n": .int32(42), "big": .int64(-7), "f": .double(1.5),
                "dec": .decimal(scale: 2, value: 12345), "ts": .timestamp(1_700_000_000),
                "tbl": .table(["a": .int32(1), "b": .string("x")]), "arr": .array([.int32(1), .string("two"), .bool(true)]),
                "nul": .string("a\u{0}b"), "bin": .bytes(ByteBuffer(bytes: [0xFF, 0xFE])),
                "traceparent": .string("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"),
                "x-death": .array([.table(["count": .int64(1)])]), "CC": .array([.string("elsewhere")]),
            ]
        )
        try amqp.publish(routingKey: "\(tag).types", body: "", headers: ["empty": .bool(true)])

        // What arrives.
        let delivered = out.wait(for: 3, timeout: 20)
        #expect(delivered.count == 3 && Set(delivered.map(\.topic)) == ["\(tag)/out/ok", "\(tag)/out/big", "\(tag)/out/sized"], "\(delivered.map(\.topic))")
        let packets = packetOut.wait(for: 1, timeout: 10)
        #expect(packets.map(\.payload) == ["packet-ok"], "only the message within the broker's maximum packet size: \(packets.map(\.payload.count))")
        let loopDead = amqp.waitForMessages(from: "\(tag).loopdl", count: 1, timeout: 20)
        let typed = typesOut.wait(for: 2, timeout: 20)
        let kafkaTyped = try KafkaTestClient.consume("types", partitions: 1, bootstrap: cluster.bootstrap, timeout: 20) { $0.count >= 2 }

        // Expired while retried: dropped with reason expired.
        let expired = BridgeProcess.wait(15) {
            let m = bridge.metrics()
            return PolicyKit.value(m, "bridge_messages_dropped_total", [("route", "expiry-mqtt"), ("reason", "expired")]) == 1
                && PolicyKit.value(m, "bridge_messages_dropped_total", [("route", "expiry-amqp"), ("reason", "expired")]) == 2
        }
        #expect(expired, "expired messages not dropped:\n\(bridge.metrics().filter { $0.key.contains("expiry") })")
        Thread.sleep(forTimeInterval: 1)  // the loop has stopped: nothing more moves
        let m = bridge.metrics()
        print("guards: \(Self.routes.map { "\($0): \(RouteCounts(m, route: $0))" }.joined(separator: "; "))")

        // allow -> not_allowed, and the route's own max_message_size (4KB) lets 1.5 KB through.
        #expect(delivered.contains { $0.topic == "\(tag)/out/big" && $0.payload.count == 1_500 }, "route max_message_size 4KB overrides bridge's 1KB")
        #expect(!delivered.contains { $0.payload == "zone-deeper" }, "a computed topic outside allow is not published")
        #expect(PolicyKit.value(m, "bridge_messages_dropped_total", [("route", "allow"), ("reason", "not_allowed")]) == 1)
        #expect(PolicyKit.value(m, "bridge_messages_failed_total", [("route", "allow"), ("destination", "m"), ("reason", "not_allowed")]) == 1)
        // sized -> too_large from bridge.max_message_size
        #expect(!delivered.contains { $0.topic == "\(tag)/out/sized" && $0.payload.count == 1_500 })
        #expect(PolicyKit.value(m, "bridge_messages_dropped_total", [("route", "sized"), ("reason", "too_large")]) == 1)
        #expect(PolicyKit.value(m, "bridge_messages_failed_total", [("route", "sized"), ("destination", "m"), ("reason", "too_large")]) == 1)
        // packet -> too_large from the destination's maximum packet size
        #expect(PolicyKit.value(m, "bridge_messages_dropped_total", [("route", "packet"), ("reason", "too_large")]) == 1)
        #expect(PolicyKit.value(m, "bridge_messages_failed_total", [("route", "packet"), ("destination", "small"), ("reason", "too_large")]) == 1)
        // expiry -> expired, counted as dropped; retried (nacked) before it expired, never dead-lettered
        for (route, count) in [("expiry-mqtt", 1), ("expiry-amqp", 2)] {
            #expect(PolicyKit.value(m, "bridge_messages_failed_total", [("route", route), ("destination", "a"), ("reason", "nack")]) >= 2, "\(route) was retried before it expired")
            #expect(PolicyKit.value(m, "bridge_messages_failed_total", [("route", route), ("destination", "a"), ("reason", "expired")]) == count)
            #expect(!m.keys.contains { $0.hasPrefix("bridge_messages_dead_lettered_total{route=\"\(route)\"") })
        }
        // kafka-size -> too_large from the producer's message.max.bytes
        #expect(PolicyKit.value(m, "bridge_messages_dropped_total", [("route", "kafka-size"), ("reason", "too_large")]) == 1)
        #expect(PolicyKit.value(m, "bridge_messages_failed_total", [("route", "kafka-size"), ("destination", "k-small"), ("reason", "too_large")]) == 1)
        let sizedKafka = try KafkaTestClient.consume("ksize", partitions: 1, bootstrap: cluster.bootstrap, timeout: 10) { $0.count >= 1 }
        #expect(sizedKafka.map(\.text) == ["ksize-ok"], "only the record within message.max.bytes: \(sizedKafka.map(\.text.count))")
        // loop: A -> B -> A -> B; the fifth pass arrives with bridge-hops 4 = max_hops.
        #expect(RouteCounts(m, route: "ping").received == 3 && RouteCounts(m, route: "pong").received == 2, "the loop stops at max_hops 4: ping \(RouteCounts(m, route: "ping")), pong \(RouteCounts(m, route: "pong"))")
        #expect(PolicyKit.value(m, "bridge_messages_dead_lettered_total", [("route", "ping"), ("reason", "loop")]) == 1)
        #expect(PolicyKit.value(m, "bridge_messages_failed_total", [("route", "ping"), ("destination", "a"), ("reason", "loop")]) == 1)
        if let looped = loopDead.first {
            #expect(looped.text == "round and round" && looped.header("bridge-hops") == "5", "bridge-hops on the dead letter: \(String(describing: looped.header("bridge-hops")))")
            #expect(looped.header("bridge-error")?.hasPrefix("loop:") == true && looped.header("bridge-attempts") == "1", "\(String(describing: looped.header("bridge-error")))")
            #expect(looped.header("bridge-source") == "amqp://a/\(tag).qa" && looped.header("bridge-route") == "ping")
        } else {
            Issue.record("no dead letter for the loop")
        }

        // Header type rules, MQTT 5 (text only).
        let mqttTyped = typed.first { $0.payload == "typed" }
        let props = mqttTyped?.userProperties ?? [:]
        let expectedText: [String: String] = [
            "flag": "true", "no": "false", "n": "42", "big": "-7", "f": "1.5", "dec": "123.45", "ts": "2023-11-14T22:13:20Z",
            "tbl": #"{"a":1,"b":"x"}"#, "arr": #"[1,"two",true]"#, "traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        ]
        for (name, value) in expectedText {
            #expect(props[name] == value, "MQTT user property \(name): \(String(describing: props[name])), expected \(value)")
        }
        for name in ["nul", "bin", "x-death", "CC"] {
            #expect(props[name] == nil, "\(name) must not reach MQTT: \(String(describing: props[name]))")
        }
        #expect(props["bridge-hops"] == "1" && props["bridge-id"]?.isEmpty == false)
        let emptyMQTT = typed.first { $0.userProperties["empty"] == "true" }
        #expect(emptyMQTT?.payload == "", "an empty payload stays empty")
        // Kafka (bytes allowed): the same text, the U+0000 and non-UTF-8 values kept as bytes.
        let record = kafkaTyped.first { $0.text == "typed" }
        for (name, value) in expectedText {
            #expect(record?.header(name) == value, "Kafka header \(name): \(String(describing: record?.header(name)))")
        }
        #expect(record?.headers.first { $0.name == "nul" }?.value == Array("a\u{0}b".utf8))
        #expect(record?.headers.first { $0.name == "bin" }?.value == [0xFF, 0xFE])
        #expect(record?.header("x-death") == nil && record?.header("CC") == nil, "broker-owned headers are not forwarded")
        let emptyKafka = kafkaTyped.first { $0.header("empty") == "true" }
        #expect(emptyKafka?.value == [], "to Kafka an empty payload is an empty value, not null: \(String(describing: emptyKafka?.value))")
        // Every drop counted per field.
        for field in ["header:nul", "header:bin", "header:x-death", "header:CC"] {
            #expect(PolicyKit.value(m, "bridge_fields_dropped_total", [("route", "types"), ("field", field)]) >= 1, "\(field) not counted: \(m.filter { $0.key.hasPrefix("bridge_fields_dropped_total") })")
        }

        bridge.assertAtRest(routes: Self.routes)
        #expect(bridge.terminate() == 0, "SIGTERM exits 0:\n\(bridge.logTail)")
    }
}

/// A mosquitto of the test's own on a free port (no persistence), e.g. with a maximum packet size.
final class PolicyMosquitto {
    let port = BridgeProcess.freePort()
    private let process = Process()

    var url: String { "mqtt://127.0.0.1:\(port)" }

    init(directory: URL, maxPacketSize: Int? = nil) throws {
        let config = directory.appendingPathComponent("mosquitto-\(port).conf")
        try """
        listener \(port) 127.0.0.1
        allow_anonymous true
        \(maxPacketSize.map { "max_packet_size \($0)" } ?? "")
        max_queued_messages 0

        """.write(to: config, atomically: true, encoding: .utf8)
        _ = try? ProcessRunner.run(["chmod", "755", directory.path])
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["mosquitto", "-c", config.path]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let up = BridgeProcess.wait(10) {
            (try? ProcessRunner.run(["mosquitto_pub", "-L", "\(self.url)/ping", "-m", "x"], timeout: .seconds(2)))?.succeeded == true
        }
        guard up else { throw BrokerEnvironment.Missing(description: "mosquitto on port \(port) did not start") }
    }

    /// SIGKILL: a child started from the test's threads inherits their blocked signals, so
    /// mosquitto would never see a SIGTERM (and it keeps nothing worth a clean stop here).
    func stop() {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    deinit { stop() }
}
