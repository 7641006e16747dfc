import Foundation
import Testing

/// Scale-out through the brokers' own mechanisms (CONTRACT section 8), with two
/// `message-bridge run` processes on one route: the load splits, and nothing is lost when one
/// of them is killed with SIGKILL mid-stream.
///
/// - Kafka consumer group: `KafkaBridgeTests.twoInstancesSplitAndSIGKILLMovesPartitions` (and
///   the SIGTERM variant).
/// - MQTT shared subscription (`share_group`, mosquitto):
///   `MQTTBridgeProcessTests.sharedSubscriptionReplicas`.
/// - Competing AMQP consumers on one queue: here.
@Suite(
    .serialized, .timeLimit(.minutes(2)),
    .enabled(if: BrokerEnvironment.isConfigured, BrokerEnvironment.disabledReason)
)
struct ScaleOutTests {
    let brokers: BrokerEnvironment
    let tag = "so" + UUID().uuidString.prefix(6).lowercased()
    let directory: URL

    init() throws {
        brokers = try BrokerEnvironment.load()
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("scale-out-\(tag)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    /// One replica: the queue bound to amq.topic (RabbitMQ's MQTT plugin publishes there) to mosquitto.
    func config(instance: String) throws -> String {
        """
        version: 1
        bridge: { name: \(tag), instance: \(instance), http: "127.0.0.1:{{PORT}}", shutdown_timeout: 5s }
        connections:
          mes: { protocol: amqp, url: "\(try brokers["AMQP_URL"])" }
          out: { protocol: mqtt, url: "\(try brokers["MQTT2_URL"])", mqtt_version: 5 }
        routes:
          - name: work
            from:
              connection: mes
              queue: \(tag).work
              declare: { durable: true, bindings: [ { exchange: amq.topic, routing_key: "\(tag).in.#" } ] }
            to: { connection: out, topic: "out-\(tag)/work", qos: 1 }
            max_in_flight: 50
        """
    }

    @Test("competing AMQP consumers: two replicas on one queue split the load; SIGKILL of one loses nothing")
    func competingAMQPConsumers() throws {
        let total = 5_000
        let collector = try MQTTCollector(
            url: "\(try brokers["MQTT2_URL"])/out-\(tag)/work", file: directory.appendingPathComponent("out.txt")
        )
        defer { collector.stop() }
        let one = try BridgeProcess(name: "one", yaml: try config(instance: "a1"), directory: directory)
        defer { if one.isRunning { _ = one.terminate() } }
        let two = try BridgeProcess(name: "two", yaml: try config(instance: "a2"), directory: directory)
        defer {
            if two.isRunning { two.sigkill() }
            _ = try? ProcessRunner.run(["amqp-delete-queue", "-u", (try? brokers["AMQP_URL"]) ?? "", "-q", "\(tag).work"])
        }
        let consuming = BridgeProcess.wait(30) {
            one.get("/readyz")?.contains(#""status":"ready""#) == true && two.get("/readyz")?.contains(#""status":"ready""#) == true
        }
        try #require(consuming, "replicas not ready: \(one.logTail)\n\(two.logTail)")
        Thread.sleep(forTimeInterval: 0.5)

        // Into the queue through RabbitMQ's MQTT plugin (QoS 1: confirmed by RabbitMQ), paced at
        // 1,000/s so that the kill lands mid-stream however fast the machine is: topic
        // <tag>/in/x is routing key <tag>.in.x on amq.topic.
        let publisher = try PacedMQTTPublisher(
            url: "\(try brokers["RABBIT_MQTT_URL"])/\(tag)/in/x", range: 1..<(total + 1), rate: 1_000, version: "311"
        )
        let moving = BridgeProcess.wait(30) { RouteCounts(two.metrics(), route: "work").acked >= 200 }
        #expect(moving, "replica two moved nothing: \(two.logTail)")
        let twoBefore = RouteCounts(two.metrics(), route: "work")
        two.sigkill()
        let atKill = Set(collector.lines).count
        let all = BridgeProcess.wait(60) { Set(collector.lines).count >= total }
        let publishError = publisher.wait()
        #expect(publishError == nil, "\(publishError ?? "")")
        let oneCounts = RouteCounts(one.metrics(), route: "work")
        let received = collector.lines
        let unique = Set(received)
        let lost = (1...total).filter { !unique.contains(Substring(String($0))) }.count
        print(
            "AMQP competing consumers: \(total) sent, replica one received \(oneCounts.received), replica two \(twoBefore.received) before its SIGKILL (\(atKill) had arrived), lost \(lost), duplicates \(received.count - unique.count)"
        )
        #expect(oneCounts.received > 0 && twoBefore.received > 0, "the load was not split: one \(oneCounts), two \(twoBefore)")
        #expect(atKill < total, "everything had arrived before the kill; the test proves nothing")
        #expect(all && lost == 0, "lost \(lost) of \(total): \(one.logTail)")
        #expect(one.terminate() == 0)
    }
}
