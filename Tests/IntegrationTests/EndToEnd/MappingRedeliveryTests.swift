import AMQPProtocol
import Foundation
import MQTTProtocol
import NIOCore
import Testing

/// `bridge-id` stays the same when the source redelivers a message (CONTRACT section 4):
/// one route out of each source protocol fans out to Kafka (confirms) and to an MQTT topic
/// with `require_subscribers: true` and no subscriber (mosquitto answers "no matching
/// subscribers": a transient failure, retried, so the source is never acked). The bridge is
/// SIGKILLed with the messages in flight and started again: the sources redeliver (MQTT from
/// the persistent session with the same packet id, Kafka from the uncommitted offset, AMQP
/// requeued with the redelivered flag), Kafka gets a second copy, and once a subscriber
/// appears the MQTT destination is released and gets its copy. Every copy of a message
/// carries the same `bridge-id`, except an AMQP message without `message_id`, whose
/// redelivered copies carry a new UUID and `bridge-redelivered: true`.
@Suite(
    "End to end: bridge-id across redelivery", .serialized, .timeLimit(.minutes(2)),
    .enabled(if: BrokerEnvironment.isConfigured, BrokerEnvironment.disabledReason)
)
struct MappingRedeliveryTests {
    let tag = Peers.tag()
    let brokers: BrokerEnvironment

    init() throws {
        brokers = try BrokerEnvironment.load()
    }

    var queue: String { "e2e.\(tag).rd" }

    func routeFile(kafka: String) throws -> String {
        func route(_ name: String, _ from: String, _ held: String) -> String {
            """
              - name: \(name)
                from: \(from)
                to:
                  - { connection: kf, topic: rd.out }
                  - { connection: mq, topic: "e2e/\(tag)/rd/held/\(held)", require_subscribers: true }
                on_error: { retry: { attempts: 2, backoff: 100ms, max_backoff: 300ms }, exhausted: block }

            """
        }
        return """
            version: 1
            bridge:
              name: rd-\(tag)
              instance: r
              http: 127.0.0.1:{{PORT}}
              shutdown_timeout: 5s
            connections:
              mq: { protocol: mqtt, url: "\(try brokers["MQTT_URL"])", session_expiry: 5m }
              kf:
                protocol: kafka
                bootstrap_servers: \(kafka)
                group_id: rd-\(tag)
                properties: { session.timeout.ms: "3000" }
              rb: { protocol: amqp, url: "\(try brokers["AMQP_URL"])" }
            routes:
            \(route("r-m", "{ connection: mq, topic: \"e2e/\(tag)/rd/in/#\" }", "m"))\
            \(route("r-k", "{ connection: kf, topic: rd.in, start: earliest }", "k"))\
            \(route("r-a", "{ connection: rb, queue: \(queue) }", "a"))
            """
    }

    @Test("the redelivered copy carries the same bridge-id (MQTT, Kafka, AMQP with message_id); AMQP without one is flagged")
    func bridgeIDSurvivesRedelivery() throws {
        let started = Date()
        let directory = try Peers.directory("e2e-redelivery")
        let cluster = try KafkaMockCluster(topics: ["rd.in": 1, "rd.out": 1], brokers: 1)
        let amqp = try AMQPTestClient(try brokers["AMQP_URL"])
        defer {
            amqp.deleteQueue(queue)
            amqp.close()
        }
        try amqp.declareQueue(queue, durable: false)
        let yaml = try routeFile(kafka: cluster.bootstrap)

        let first = try BridgeProcess(name: "redelivery", yaml: yaml, directory: directory)
        defer { if first.isRunning { first.sigkill() } }
        guard first.waitUntilReady() else { return }

        let mqttTopic = "e2e/\(tag)/rd/in/line1"
        let publisher = try MQTTPeer(try brokers["MQTT_URL"], clientID: "rd-pub-\(tag)")
        defer { publisher.close() }
        try publisher.publish(mqttTopic, payload: Array("rd-m".utf8))  // no message-id: the packet-id form
        try KafkaPeer.produce([KafkaPeer.Record(key: Array("k".utf8), value: Array("rd-k".utf8))], to: "rd.in", bootstrap: cluster.bootstrap)
        try amqp.publish(routingKey: queue, body: "rd-a-id", properties: BasicProperties(messageID: "rd-\(tag)"))
        try amqp.publish(routingKey: queue, body: "rd-a-noid")

        // Kafka confirmed the first copies; the MQTT destination keeps every message in flight.
        let firstCopies = try KafkaTestClient.consume("rd.out", partitions: 1, bootstrap: cluster.bootstrap, timeout: 20) { $0.count >= 4 }
        #expect(firstCopies.count == 4, "first copies at Kafka: \(firstCopies.map(\.text))\n\(first.logTail)")
        let held = BridgeProcess.wait(10) {
            first.rest(["r-m", "r-k", "r-a"]).map(\.inFlight) == [1, 1, 2]
        }
        #expect(held, "in flight before the kill: \(first.rest(["r-m", "r-k", "r-a"]))")
        #expect(first.rest(["r-m", "r-k", "r-a"]).map(\.acked) == [0, 0, 0], "nothing acked while a destination fails")
        first.sigkill()

        // The second process cannot be ready: its routes block on the MQTT destination again.
        let second = try BridgeProcess(name: "redelivery", yaml: yaml, directory: directory)
        defer { _ = second.terminate() }
        let restarted = Date()
        let allCopies = try KafkaTestClient.consume("rd.out", partitions: 1, bootstrap: cluster.bootstrap, timeout: 30) { $0.count >= 8 }
        #expect(allCopies.count == 8, "copies at Kafka after the restart: \(allCopies.map(\.text))\n\(second.logTail)")
        print("MappingRedeliveryTests: redelivered copies at Kafka \(String(format: "%.1f", Date().timeIntervalSince(restarted))) s after the restart")

        // Release the MQTT destination: a subscriber appears.
        let reader = try MQTTPeer(try brokers["MQTT_URL"], clientID: "rd-read-\(tag)")
        defer { reader.close() }
        try reader.subscribe("e2e/\(tag)/rd/held/#")
        let released = reader.waitForMessages(count: 4, timeout: 20)
        #expect(released.count == 4, "released at MQTT: \(released.map { String(decoding: $0.payload, as: UTF8.self) })")

        func kafkaIDs(_ payload: String) -> [(id: String?, redelivered: String?)] {
            allCopies.filter { $0.text == payload }.map { ($0.header("bridge-id"), $0.header("bridge-redelivered")) }
        }
        func mqttCopy(_ payload: String) -> MQTTPeer.Message? {
            released.first { String(decoding: $0.payload, as: UTF8.self) == payload }
        }

        // MQTT without message-id: mqtt:<client id>:<packet id>:<sha-256 prefix>, the same packet id again.
        let sha = try Peers.sha256Prefix(Array(mqttTopic.utf8) + [0] + Array("rd-m".utf8))
        let m = kafkaIDs("rd-m")
        #expect(m.count == 2 && m[0].id != nil && m[0].id == m[1].id, "rd-m at Kafka: \(m)")
        #expect(m.first?.id.map { $0.hasPrefix("mqtt:rd-\(tag)-r-r-m:") && $0.hasSuffix(":" + sha) } == true, "rd-m bridge-id \(m.first?.id ?? "nil")")
        #expect(mqttCopy("rd-m")?.user("bridge-id") == m.first?.id, "rd-m at MQTT: \(mqttCopy("rd-m")?.user("bridge-id") ?? "nil")")

        // Kafka: kafka:<connection>:<topic>:<partition>:<offset>.
        let k = kafkaIDs("rd-k")
        #expect(k.map(\.id) == ["kafka:kf:rd.in:0:0", "kafka:kf:rd.in:0:0"], "rd-k at Kafka: \(k)")
        #expect(mqttCopy("rd-k")?.user("bridge-id") == "kafka:kf:rd.in:0:0", "rd-k at MQTT")

        // AMQP with message_id: amqp:<connection>:<message_id>, never flagged.
        let a = kafkaIDs("rd-a-id")
        #expect(a.map(\.id) == ["amqp:rb:rd-\(tag)", "amqp:rb:rd-\(tag)"] && a.allSatisfy { $0.redelivered == nil }, "rd-a-id at Kafka: \(a)")
        #expect(mqttCopy("rd-a-id")?.user("bridge-id") == "amqp:rb:rd-\(tag)", "rd-a-id at MQTT")
        #expect(mqttCopy("rd-a-id")?.user("bridge-redelivered") == nil, "rd-a-id at MQTT: not flagged")

        // AMQP without message_id: a UUID; the redelivered copy has a new one and the flag.
        let n = kafkaIDs("rd-a-noid")
        #expect(n.count == 2 && n[0].redelivered == nil && n[1].redelivered == "true" && n[0].id != n[1].id, "rd-a-noid at Kafka: \(n)")
        #expect(n.allSatisfy { $0.id.flatMap(UUID.init(uuidString:)) != nil }, "rd-a-noid: UUIDs \(n)")
        #expect(mqttCopy("rd-a-noid")?.user("bridge-id") == n.last?.id, "rd-a-noid at MQTT: the redelivered copy's id")
        #expect(mqttCopy("rd-a-noid")?.user("bridge-redelivered") == "true", "rd-a-noid at MQTT: flagged")

        second.assertAtRest(routes: ["r-m", "r-k", "r-a"], timeout: 20)
        #expect(second.rest(["r-m", "r-k", "r-a"]).map(\.acked) == [1, 1, 2], "the second process acked every redelivered message")
        #expect(try amqp.readyCount(queue) == 0, "the AMQP queue is empty")
        #expect(second.terminate() == 0, "SIGTERM: a clean exit\n\(second.logTail)")
        print("MappingRedeliveryTests.bridgeIDSurvivesRedelivery: \(String(format: "%.1f", Date().timeIntervalSince(started))) s")
    }
}
