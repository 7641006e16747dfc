import Foundation
import Testing

/// Each broker cut while a stream of sequence-numbered messages flows through a running
/// `message-bridge run` (CONTRACT section 5, promises 1 and 8): nothing is lost,
/// `bridge_connection_reconnects_total{connection}` goes up, and `/readyz` says not_ready
/// during the cut and ready after it.
///
/// RabbitMQ and mosquitto are cut in the middle of a chain, so that the cut broker is a
/// destination and a source at once, and the test's own publisher and reader sit on brokers
/// that stay up:
///
///     mosquitto 1883 <tag>/in ─ into ─▶ cut broker ─ out ─▶ mosquitto 1893 <tag>/out
@Suite(
    "Faults: a broker cut mid-stream",
    .serialized, .timeLimit(.minutes(3)),
    .enabled(if: BrokerEnvironment.isConfigured, BrokerEnvironment.disabledReason)
)
struct FaultBrokerCutTests {
    let brokers: BrokerEnvironment
    let tag = "fc" + UUID().uuidString.prefix(6).lowercased()
    let directory: URL
    static let chain = ["into", "out"]

    init() throws {
        brokers = try BrokerEnvironment.load()
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("faults-\(tag)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    static func waitReady(_ bridge: BridgeProcess, _ seconds: TimeInterval = 30) -> Bool {
        BridgeProcess.wait(seconds) { bridge.get("/readyz")?.contains(#""status":"ready""#) == true }
    }

    /// A bridge config for the chain through connection `cut`.
    func chainYAML(cut: String, into: String, out: String) throws -> String {
        """
        version: 1
        bridge: { name: \(tag), instance: a, http: "127.0.0.1:{{PORT}}", shutdown_timeout: 10s, max_in_flight: 100 }
        connections:
          mq: { protocol: mqtt, url: "\(try brokers["MQTT_URL"])", mqtt_version: 5, session_expiry: 1h, keepalive: 5s, reconnect: { initial: 200ms, max: 1s } }
          mq2: { protocol: mqtt, url: "\(try brokers["MQTT2_URL"])", mqtt_version: 5, reconnect: { initial: 200ms, max: 1s } }
          \(cut)
        routes:
          - name: into
            from: { connection: mq, topic: "\(tag)/in" }
            to: \(into)
          - name: out
            from: \(out)
            to: { connection: mq2, topic: "\(tag)/out", qos: 1 }
        """
    }

    /// Runs the chain: starts the bridge, streams `count` messages, calls `cut` once `out`
    /// has acked `cutAfter`, and checks what arrived, the reconnects of `connection` and
    /// what /readyz said.
    func runChain(_ name: String, yaml: String, connection: String, count: Int = 4000, cutAfter: Int = 800, cut: (BridgeProcess) throws -> Void) throws {
        let collector = try MQTTCollector(url: "\(try brokers["MQTT2_URL"])/\(tag)/out", file: directory.appendingPathComponent("out.txt"))
        let bridge = try BridgeProcess(name: connection, yaml: yaml, directory: directory)
        try #require(Self.waitReady(bridge), "never ready: \(bridge.logTail)")
        let stream = try PacedMQTTPublisher(url: "\(try brokers["MQTT_URL"])/\(tag)/in", range: 0..<count, rate: 1000)
        let moving = BridgeProcess.wait(30) { RouteCounts(bridge.metrics(), route: "out").acked >= cutAfter }
        try #require(moving, "the chain did not move: \(bridge.logTail)")
        let reconnectsBefore = bridge.reconnects(connection)
        let watcher = ReadinessWatcher(bridge)
        let arrivedBefore = collector.lines.count
        try cut(bridge)
        let complete = BridgeProcess.wait(90) { collector.count(sent: count).complete }
        let ready = Self.waitReady(bridge, 15)
        Thread.sleep(forTimeInterval: 0.3)
        let statuses = watcher.stop()
        #expect(stream.wait() == nil)
        let counts = collector.count(sent: count)
        let reconnects = bridge.reconnects(connection) - reconnectsBefore
        print("\(name): \(arrivedBefore) of \(count) had arrived at the cut; /readyz went \(statuses.joined(separator: " → "))")
        counts.report(name, reconnects: reconnects, context: bridge.logTail)
        #expect(complete)
        #expect(reconnects >= 1, "bridge_connection_reconnects_total{connection=\"\(connection)\"} did not go up")
        #expect(arrivedBefore < count, "everything had arrived before the cut; the test proves nothing")
        #expect(statuses.contains("not_ready"), "/readyz never said not_ready during the cut: \(statuses)")
        #expect(ready && statuses.last == "ready", "/readyz after the cut: \(statuses)")
        bridge.assertAtRest(routes: Self.chain)
        #expect(bridge.terminate() == 0, "SIGTERM exits 0: \(bridge.logTail)")
    }

    @Test("RabbitMQ stop_app / start_app mid-stream: nothing lost, reconnected, not ready during the cut")
    func rabbitMQCut() throws {
        let queue = "\(tag)-mid"
        defer { _ = try? ProcessRunner.run(["amqp-delete-queue", "--url", (try? brokers["AMQP_URL"]) ?? "", "-q", queue]) }
        let yaml = try chainYAML(
            cut: #"rb: { protocol: amqp, url: "\#(try brokers["AMQP_URL"])", heartbeat: 5s, reconnect: { initial: 200ms, max: 1s } }"#,
            into: "{ connection: rb, exchange: amq.topic, routing_key: \"\(tag).mid\" }",
            out: "{ connection: rb, queue: \(queue), declare: { durable: true, bindings: [ { exchange: amq.topic, routing_key: \"\(tag).mid\" } ] } }"
        )
        let rabbit = try RabbitCut(brokers)
        try runChain("RabbitMQ stop_app/start_app, MQTT→AMQP→MQTT", yaml: yaml, connection: "rb") { bridge in
            try rabbit.cut {
                let down = BridgeProcess.wait(10) { bridge.metrics()["bridge_connection_up{connection=\"rb\",protocol=\"amqp\"}"] == 0 }
                #expect(down, "bridge_connection_up{rb} did not drop to 0 while RabbitMQ was stopped")
            }
        }
    }

    @Test("mosquitto SIGTERM (persistence on) and start mid-stream: nothing lost, reconnected, not ready during the cut")
    func mosquittoCut() throws {
        let broker = try PrivateMosquitto(tag: tag)
        let yaml = try chainYAML(
            cut: #"pm: { protocol: mqtt, url: "\#(broker.url)", mqtt_version: 5, session_expiry: 1h, keepalive: 5s, reconnect: { initial: 200ms, max: 1s } }"#,
            into: "{ connection: pm, topic: \"\(tag)/mid\", qos: 1 }",
            out: "{ connection: pm, topic: \"\(tag)/mid\" }"
        )
        try runChain("mosquitto SIGTERM and restart, MQTT→MQTT→MQTT", yaml: yaml, connection: "pm") { bridge in
            broker.stop()
            let down = BridgeProcess.wait(10) { bridge.metrics()["bridge_connection_up{connection=\"pm\",protocol=\"mqtt\"}"] == 0 }
            #expect(down, "bridge_connection_up{pm} did not drop to 0 while mosquitto was stopped")
            Thread.sleep(forTimeInterval: 1)
            try broker.start()
        }
    }

    /// Kafka → Kafka on a private kafka-mock-broker (3 brokers): all brokers down for longer
    /// than the group session with the window full (the source paused; the partitions are
    /// lost while paused and must come back unpaused), up again, and while the group rejoins one
    /// broker down and up and injected produce, fetch and commit errors.
    @Test("Kafka brokers down and up, and injected errors, mid-stream: nothing lost, reconnected, not ready during the cut")
    func kafkaCut() throws {
        let count = 3000
        let cluster = try KafkaMockCluster(topics: ["src": 3, "dst": 3])
        let yaml = """
            version: 1
            bridge: { name: \(tag), instance: a, http: "127.0.0.1:{{PORT}}", shutdown_timeout: 10s, max_in_flight: 200 }
            connections:
              k:
                protocol: kafka
                bootstrap_servers: \(cluster.bootstrap)
                group_id: \(tag)
                properties:
                  session.timeout.ms: "6000"
                  auto.commit.interval.ms: "500"
                  reconnect.backoff.max.ms: "1000"
            routes:
              - name: fwd
                from: { connection: k, topic: src, start: earliest }
                to: { connection: k, topic: dst }
            """
        // Two thirds of the stream wait in `src` before the route starts, and retriable produce
        // errors hold back the bridge's first confirms, so the window (200) is full when every
        // broker goes down; the rest is produced after they are back.
        try KafkaTestClient.produce((0..<2 * count / 3).map { OutgoingRecord(partition: Int32($0 % 3), key: nil, value: String($0)) }, to: "src", bootstrap: cluster.bootstrap)
        try cluster.control("errors produce 30 NOT_ENOUGH_REPLICAS")
        let bridge = try BridgeProcess(name: "kafka-cut", yaml: yaml, directory: directory)
        try #require(Self.waitReady(bridge), "never ready: \(bridge.logTail)")
        // Cut with the window full: the produce errors hold the first confirms back.
        let moving = BridgeProcess.wait(20) { RouteCounts(bridge.metrics(), route: "fwd").inFlight == 200 }
        try #require(moving, "the window never filled: \(RouteCounts(bridge.metrics(), route: "fwd"))\n\(bridge.logTail)")
        let reconnectsBefore = bridge.reconnects("k")
        let ackedBefore = RouteCounts(bridge.metrics(), route: "fwd").acked
        let watcher = ReadinessWatcher(bridge)
        try cluster.control("broker down all")
        let down = BridgeProcess.wait(8) { bridge.metrics()["bridge_connection_up{connection=\"k\",protocol=\"kafka\"}"] == 0 }
        Thread.sleep(forTimeInterval: 1)
        let whileDown = RouteCounts(bridge.metrics(), route: "fwd")
        Thread.sleep(forTimeInterval: 6)  // past session.timeout.ms
        try cluster.control("broker up all")
        let producer = PacedKafkaProducer(topic: "src", range: 2 * count / 3..<count, partitions: 3, bootstrap: cluster.bootstrap, rate: 1000)
        // While the group rejoins and the stream flows again: one broker down, then errors.
        Thread.sleep(forTimeInterval: 0.5)
        try cluster.control("broker down 2")
        Thread.sleep(forTimeInterval: 2)
        try cluster.control("broker up 2")
        try cluster.control("errors produce 20 NOT_LEADER_FOR_PARTITION")
        try cluster.control("errors fetch 10 NOT_LEADER_FOR_PARTITION")
        try cluster.control("errors offsetcommit 5 REQUEST_TIMED_OUT")
        #expect(producer.wait() == nil)
        let counts = try KafkaTestClient.sequences("dst", partitions: 3, bootstrap: cluster.bootstrap, sent: count, timeout: 90)
        let ready = Self.waitReady(bridge, 20)
        Thread.sleep(forTimeInterval: 0.3)
        let statuses = watcher.stop()
        let reconnects = bridge.reconnects("k") - reconnectsBefore
        print("Kafka cut: \(ackedBefore) of \(count) acked at the cut; with every broker down: \(whileDown); /readyz went \(statuses.joined(separator: " → "))")
        counts.report("Kafka brokers down/up and injected errors, Kafka→Kafka", reconnects: reconnects, context: bridge.logTail)
        #expect(down, "bridge_connection_up{k} did not drop to 0 with every broker down")
        #expect(whileDown.inFlight == 200, "the window was not full with every broker down: \(whileDown)")
        #expect(reconnects >= 1, "bridge_connection_reconnects_total{connection=\"k\"} did not go up")
        #expect(statuses.contains("not_ready"), "/readyz never said not_ready with every broker down: \(statuses)")
        #expect(ready && statuses.last == "ready", "/readyz after the cut: \(statuses)")
        bridge.assertAtRest(routes: ["fwd"])
        #expect(bridge.terminate() == 0, "SIGTERM exits 0: \(bridge.logTail)")
    }
}
