import Foundation
import Testing

/// The bridge process stopped mid-stream, by SIGKILL and by SIGTERM, and started again
/// (CONTRACT section 5, promises 1 and 9). One bridge runs a route out of each source
/// protocol, each fed a paced stream of sequence-numbered messages:
///
///     mosquitto 1883  <tag>/m/x ─ from-mqtt  ─▶ Kafka m.out      (a private kafka-mock-broker)
///     Kafka k.in                ─ from-kafka ─▶ mosquitto 1893 <tag>/k/out
///     RabbitMQ queue <tag>-a    ─ from-amqp  ─▶ Kafka a.out
///
/// (the AMQP queue is fed through RabbitMQ's MQTT plugin, which publishes QoS 1 messages
/// persistent to `amq.topic`, where the bridge's declaration binds the queue).
@Suite(
    "Faults: the bridge killed or stopped mid-stream",
    .serialized, .timeLimit(.minutes(3)),
    .enabled(if: BrokerEnvironment.isConfigured, BrokerEnvironment.disabledReason)
)
struct FaultBridgeRestartTests {
    let brokers: BrokerEnvironment
    let tag = "fr" + UUID().uuidString.prefix(6).lowercased()
    let directory: URL
    static let routes = ["from-mqtt", "from-kafka", "from-amqp"]

    init() throws {
        brokers = try BrokerEnvironment.load()
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("faults-\(tag)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    /// - Parameters:
    /// - Parameters:
    ///   - sinks: The Kafka mock that `from-mqtt` and `from-amqp` publish to (connection
    ///     `kd`), when not `cluster`.
    ///   - kafkaDestination: The MQTT broker `from-kafka` publishes to (`mq2`, or another URL).
    func yaml(_ cluster: KafkaMockCluster, sinks: KafkaMockCluster? = nil, kafkaDestination: String? = nil, shutdown: String = "10s") throws -> String {
        """
        version: 1
        bridge: { name: \(tag), instance: a, http: "127.0.0.1:{{PORT}}", shutdown_timeout: \(shutdown), max_in_flight: 100 }
        connections:
          mq: { protocol: mqtt, url: "\(try brokers["MQTT_URL"])", mqtt_version: 5, session_expiry: 1h, keepalive: 5s, reconnect: { initial: 200ms, max: 2s } }
          mq2: { protocol: mqtt, url: "\(try kafkaDestination ?? brokers["MQTT2_URL"])", mqtt_version: 5, reconnect: { initial: 200ms, max: 1s } }
          rb: { protocol: amqp, url: "\(try brokers["AMQP_URL"])", heartbeat: 5s, reconnect: { initial: 200ms, max: 2s } }
          k:
            protocol: kafka
            bootstrap_servers: \(cluster.bootstrap)
            group_id: \(tag)
            properties:
              session.timeout.ms: "6000"
              auto.commit.interval.ms: "500"
          kd: { protocol: kafka, bootstrap_servers: "\((sinks ?? cluster).bootstrap)" }
        routes:
          - name: from-mqtt
            from: { connection: mq, topic: "\(tag)/m/#" }
            to: { connection: kd, topic: m.out }
          - name: from-kafka
            from: { connection: k, topic: k.in, start: earliest }
            to: { connection: mq2, topic: "\(tag)/k/out", qos: 1 }
          - name: from-amqp
            from:
              connection: rb
              queue: \(tag)-a
              declare: { durable: true, bindings: [ { exchange: amq.topic, routing_key: "\(tag).a.#" } ] }
            to: { connection: kd, topic: a.out }
        """
    }

    /// The three paced streams, started together once the bridge consumes.
    struct Streams {
        let mqtt: PacedMQTTPublisher
        let kafka: PacedKafkaProducer
        let amqp: PacedMQTTPublisher

        func wait() -> [String] { [mqtt.wait(), kafka.wait(), amqp.wait()].compactMap { $0 } }
    }

    func startStreams(_ cluster: KafkaMockCluster, count: Int, rate: Int) throws -> Streams {
        Streams(
            mqtt: try PacedMQTTPublisher(url: "\(try brokers["MQTT_URL"])/\(tag)/m/x", range: 0..<count, rate: rate),
            kafka: PacedKafkaProducer(topic: "k.in", range: 0..<count, partitions: 3, bootstrap: cluster.bootstrap, rate: rate),
            amqp: try PacedMQTTPublisher(url: "\(try brokers["RABBIT_MQTT_URL"])/\(tag)/a/x", range: 0..<count, rate: rate, version: "311")
        )
    }

    static func waitReady(_ bridge: BridgeProcess, _ seconds: TimeInterval = 30) -> Bool {
        BridgeProcess.wait(seconds) { bridge.get("/readyz")?.contains(#""status":"ready""#) == true }
    }

    /// The Kafka route has its partitions (their lag series appear on assignment).
    static func waitAssigned(_ bridge: BridgeProcess, _ seconds: TimeInterval = 30) -> Bool {
        BridgeProcess.wait(seconds) { bridge.metrics().keys.contains { $0.hasPrefix("bridge_kafka_consumer_lag") } }
    }

    /// Reads what arrived of each stream and prints a FAULT line per route.
    func check(_ name: String, _ cluster: KafkaMockCluster, collector: MQTTCollector, count: Int, bridge: BridgeProcess) throws -> [String: SequenceCount] {
        let started = Date()
        let fromMQTT = try KafkaTestClient.sequences("m.out", partitions: 3, bootstrap: cluster.bootstrap, sent: count, timeout: 60)
        let fromAMQP = try KafkaTestClient.sequences("a.out", partitions: 3, bootstrap: cluster.bootstrap, sent: count, timeout: 30)
        BridgeProcess.wait(60) { collector.count(sent: count).complete }
        let fromKafka = collector.count(sent: count)
        print(String(format: "\(name): read everything %.1f s after the restart", Date().timeIntervalSince(started)))
        fromMQTT.report("\(name), MQTT→Kafka", reconnects: bridge.reconnects("mq") + bridge.reconnects("kd"), context: bridge.logTail)
        fromKafka.report("\(name), Kafka→MQTT", reconnects: bridge.reconnects("k") + bridge.reconnects("mq2"), context: bridge.logTail)
        fromAMQP.report("\(name), AMQP→Kafka", reconnects: bridge.reconnects("rb") + bridge.reconnects("kd"), context: bridge.logTail)
        return ["from-mqtt": fromMQTT, "from-kafka": fromKafka, "from-amqp": fromAMQP]
    }

    func deleteQueue() {
        _ = try? ProcessRunner.run(["amqp-delete-queue", "--url", (try? brokers["AMQP_URL"]) ?? "", "-q", "\(tag)-a"])
    }

    @Test("SIGKILL mid-stream, then a restart: nothing lost out of MQTT, Kafka or AMQP")
    func sigkillAndRestart() throws {
        let count = 3000
        let cluster = try KafkaMockCluster(topics: ["k.in": 3, "m.out": 3, "a.out": 3])
        let collector = try MQTTCollector(url: "\(try brokers["MQTT2_URL"])/\(tag)/k/out", file: directory.appendingPathComponent("k-out.txt"))
        defer { deleteQueue() }
        let config = try yaml(cluster)
        let first = try BridgeProcess(name: "kill-1", yaml: config, directory: directory)
        try #require(Self.waitReady(first), "never ready: \(first.logTail)")
        try #require(Self.waitAssigned(first), "no Kafka partitions assigned: \(first.logTail)")
        let streams = try startStreams(cluster, count: count, rate: 600)
        // Kill it while every route is moving: some acked, more on the way.
        let moving = BridgeProcess.wait(30) {
            let metrics = first.metrics()
            return Self.routes.allSatisfy { RouteCounts(metrics, route: $0).acked >= 100 }
        }
        let metrics = first.metrics()
        let before = Self.routes.map { RouteCounts(metrics, route: $0) }
        first.sigkill()
        print("SIGKILL with: " + zip(Self.routes, before).map { "\($0) \($1)" }.joined(separator: "; "))
        #expect(moving, "not every route moved before the kill: \(before)\n\(first.logTail)")
        #expect(before.allSatisfy { $0.acked < count }, "a stream had finished before the kill; the test proves nothing: \(before)")
        let errors = streams.wait()
        #expect(errors.isEmpty, "\(errors)")

        let second = try BridgeProcess(name: "kill-2", yaml: config, directory: directory)
        let counts = try check("SIGKILL restart", cluster, collector: collector, count: count, bridge: second)
        #expect(counts.values.allSatisfy { $0.complete })
        second.assertAtRest(routes: Self.routes)
        #expect(second.terminate() == 0, "SIGTERM exits 0: \(second.logTail)")
    }

    @Test("SIGTERM under load drains and exits 0; a restart delivers the rest, nothing lost")
    func sigtermDrainsThenRestart() throws {
        let count = 3000
        let cluster = try KafkaMockCluster(topics: ["k.in": 3, "m.out": 3, "a.out": 3])
        let collector = try MQTTCollector(url: "\(try brokers["MQTT2_URL"])/\(tag)/k/out", file: directory.appendingPathComponent("k-out.txt"))
        defer { deleteQueue() }
        let config = try yaml(cluster)
        let first = try BridgeProcess(name: "term-1", yaml: config, directory: directory)
        try #require(Self.waitReady(first), "never ready: \(first.logTail)")
        try #require(Self.waitAssigned(first), "no Kafka partitions assigned: \(first.logTail)")
        let streams = try startStreams(cluster, count: count, rate: 600)
        let moving = BridgeProcess.wait(30) {
            let metrics = first.metrics()
            return Self.routes.allSatisfy { RouteCounts(metrics, route: $0).acked >= 100 }
        }
        #expect(moving, "not every route moved before SIGTERM: \(first.logTail)")
        // SIGTERM while messages are in flight (received, not yet acked), when that can be caught.
        var before: [RouteCounts] = []
        BridgeProcess.wait(3) {
            let metrics = first.metrics()
            before = Self.routes.map { RouteCounts(metrics, route: $0) }
            return before.contains { $0.inFlight > 0 }
        }
        let started = Date()
        let status = first.terminate()
        print("SIGTERM with: " + zip(Self.routes, before).map { "\($0) \($1)" }.joined(separator: "; ")
            + String(format: "; exited %@ after %.1f s", status.map { String($0) } ?? "never", Date().timeIntervalSince(started)))
        #expect(status == 0, "SIGTERM under load exits 0 after the drain: \(first.logTail)")
        #expect(before.contains { $0.inFlight > 0 || $0.acked < count }, "nothing was moving at SIGTERM; the test proves nothing")
        // Every route drained: whatever it had received was confirmed and acked before the exit.
        let drained = first.drainLines()
        for route in Self.routes {
            let line = drained[route] ?? "no drain line"
            print("SIGTERM drain \(route): \(line)")
            #expect(line.contains("route drained") && line.contains(#""abandoned":"0""#), "\(route): \(line)")
            if let received = Self.field(line, "received"), let acked = Self.field(line, "acked") {
                #expect(received == acked, "\(route): received \(received), acked \(acked) at exit")
            } else {
                Issue.record("\(route): no received/acked in \(line)")
            }
        }
        let errors = streams.wait()
        #expect(errors.isEmpty, "\(errors)")

        let second = try BridgeProcess(name: "term-2", yaml: config, directory: directory)
        let counts = try check("SIGTERM drain and restart", cluster, collector: collector, count: count, bridge: second)
        #expect(counts.values.allSatisfy { $0.complete })
        second.assertAtRest(routes: Self.routes)
        #expect(second.terminate() == 0, "SIGTERM exits 0: \(second.logTail)")
    }

    /// SIGTERM while no destination can confirm (the private Kafka mock has every broker
    /// down, the private mosquitto is stopped): the drain gives up after shutdown_timeout,
    /// the process exits 0, and what was not confirmed was not acked: the MQTT session, the
    /// AMQP queue and the Kafka group's committed offsets hand it to the restarted bridge.
    @Test("SIGTERM with every destination down: the drain times out, exits 0, and the restart delivers what was not confirmed")
    func sigtermWithDestinationsDown() throws {
        let count = 3000
        let cluster = try KafkaMockCluster(topics: ["k.in": 3])
        let sinks = try KafkaMockCluster(topics: ["m.out": 3, "a.out": 3])
        let broker = try PrivateMosquitto(tag: tag)
        let output = directory.appendingPathComponent("k-out.txt")
        var collector = try MQTTCollector(url: "\(broker.url)/\(tag)/k/out", file: output, clientID: "\(tag)-reader")
        defer { deleteQueue() }
        let config = try yaml(cluster, sinks: sinks, kafkaDestination: broker.url, shutdown: "2s")
        let first = try BridgeProcess(name: "stuck-1", yaml: config, directory: directory)
        try #require(Self.waitReady(first), "never ready: \(first.logTail)")
        try #require(Self.waitAssigned(first), "no Kafka partitions assigned: \(first.logTail)")
        let streams = try startStreams(cluster, count: count, rate: 600)
        let moving = BridgeProcess.wait(30) {
            let metrics = first.metrics()
            return Self.routes.allSatisfy { RouteCounts(metrics, route: $0).acked >= 100 }
        }
        #expect(moving, "not every route moved before the cut: \(first.logTail)")
        try sinks.control("broker down all")
        broker.stop()
        collector.stop()
        // Every route takes messages it cannot deliver.
        var stuck: [RouteCounts] = []
        let full = BridgeProcess.wait(10) {
            let metrics = first.metrics()
            stuck = Self.routes.map { RouteCounts(metrics, route: $0) }
            return stuck.allSatisfy { $0.inFlight > 0 }
        }
        #expect(full, "not every route had messages in flight with its destination down: \(stuck)")
        let started = Date()
        let status = first.terminate()
        let took = Date().timeIntervalSince(started)
        print("SIGTERM with destinations down: " + zip(Self.routes, stuck).map { "\($0) \($1)" }.joined(separator: "; ")
            + String(format: "; exited %@ after %.1f s", status.map { String($0) } ?? "never", took))
        #expect(status == 0, "SIGTERM exits 0 after the drain timed out: \(first.logTail)")
        #expect(took < 10, "shutdown_timeout is 2 s")
        let drained = first.drainLines()
        for (route, counts) in zip(Self.routes, stuck) {
            let line = drained[route] ?? "no drain line"
            print("SIGTERM drain \(route): \(line)")
            #expect(line.contains("drain timed out"), "\(route): \(line)")
            if let received = Self.field(line, "received"), let acked = Self.field(line, "acked"), let abandoned = Self.field(line, "abandoned") {
                #expect(received == acked + abandoned && abandoned >= counts.inFlight, "\(route): \(line)")
            } else {
                Issue.record("\(route): no received/acked/abandoned in \(line)")
            }
        }

        try sinks.control("broker up all")
        try broker.start()
        collector = try MQTTCollector(url: "\(broker.url)/\(tag)/k/out", file: output, clientID: "\(tag)-reader")
        let errors = streams.wait()
        #expect(errors.isEmpty, "\(errors)")
        let second = try BridgeProcess(name: "stuck-2", yaml: config, directory: directory)
        let counts = try check("SIGTERM with destinations down and restart", sinks, collector: collector, count: count, bridge: second)
        #expect(counts.values.allSatisfy { $0.complete })
        second.assertAtRest(routes: Self.routes)
        #expect(second.terminate() == 0, "SIGTERM exits 0: \(second.logTail)")
    }

    /// The value of `"name":"<int>"` in a JSON log line.
    static func field(_ line: String, _ name: String) -> Int? {
        guard let range = line.range(of: "\"\(name)\":\"") else { return nil }
        return Int(line[range.upperBound...].prefix { $0.isNumber })
    }
}
