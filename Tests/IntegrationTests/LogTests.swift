import Foundation
import Testing

/// `run --log-format json` against real brokers: every line is one JSON object; lines about
/// a route carry `route`, lines about a connection carry `connection`; and no secret reaches
/// the log, not from a URL, a `password_file`, a refused login, a reload or the shutdown,
/// even at `--log-level trace`.
@Suite(
    .serialized, .timeLimit(.minutes(2)),
    .enabled(if: BrokerEnvironment.isConfigured, BrokerEnvironment.disabledReason)
)
struct LogTests {
    let brokers: BrokerEnvironment
    let tag = "lg" + UUID().uuidString.prefix(6).lowercased()
    let directory: URL

    init() throws {
        brokers = try BrokerEnvironment.load()
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("logs-\(tag)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    func rabbitmqctl(_ arguments: [String]) throws -> ProcessOutput {
        try ProcessRunner.run([try brokers["RABBITMQCTL"]] + arguments, timeout: .seconds(30))
    }

    @Test("JSON lines with route and connection fields; passwords from URLs and password_file never logged")
    func jsonLinesWithoutSecrets() throws {
        // A RabbitMQ user of our own, with a password that appears nowhere else.
        let user = "\(tag)-user"
        let amqpSecret = "Pw\(tag)AmqpQ7"
        let wrongSecret = "Pw\(tag)WrongZ3"
        let mqttSecret = try brokers["MQTT_PASSWORD"]
        try #require(try rabbitmqctl(["add_user", user, amqpSecret]).succeeded)
        defer { _ = try? rabbitmqctl(["delete_user", user]) }
        try #require(try rabbitmqctl(["set_permissions", "-p", "/", user, ".*", ".*", ".*"]).succeeded)
        try (mqttSecret + "\n").write(to: directory.appendingPathComponent("mqtt-password"), atomically: true, encoding: .utf8)
        let auth = try brokers.endpoint("MQTT_AUTH_URL")
        let yaml = """
            version: 1
            bridge: { name: \(tag), instance: l1, http: "127.0.0.1:{{PORT}}", shutdown_timeout: 3s }
            connections:
              plant:
                protocol: mqtt
                url: "mqtt://\(auth.host):\(auth.port)"
                username: \(try brokers["MQTT_USER"])
                password_file: mqtt-password
              mes: { protocol: amqp, url: "amqp://\(user):\(amqpSecret)@127.0.0.1:5672/%2f" }
              refused: { protocol: amqp, url: "amqp://\(user):\(wrongSecret)@127.0.0.1:5672/%2f" }
            routes:
              - name: to-mes
                from: { connection: plant, topic: "\(tag)/in/#" }
                to: { connection: mes, exchange: amq.topic, routing_key: "\(tag).out" }
              - name: small
                from: { connection: plant, topic: "\(tag)/small/#" }
                to: { connection: mes, exchange: amq.topic, routing_key: "\(tag).small" }
                max_message_size: 10
                on_error: { dead_letter: { connection: plant, topic: "\(tag)/dead" } }
              - name: from-refused
                from: { connection: refused, queue: "\(tag).q", declare: { durable: true } }
                to: { connection: plant, topic: "\(tag)/never" }
            """
        let bridge = try BridgeProcess(name: "logs", yaml: yaml, directory: directory, arguments: ["--log-level", "trace"])
        defer { _ = bridge.terminate() }
        let up = BridgeProcess.wait(30) { bridge.get("/readyz")?.contains(#""to-mes":"consuming""#) == true }
        #expect(up, "\(bridge.logTail)")
        // A message through the route, a reload, and the drain: their lines are checked too.
        let consumer = Task.detached { [brokers, tag] in
            try ProcessRunner.run(
                ["amqp-consume", "-u", try brokers["AMQP_URL"], "-e", "amq.topic", "-r", "\(tag).out", "-c", "1", "-x", "cat"], timeout: .seconds(20)
            )
        }
        Thread.sleep(forTimeInterval: 1)
        let sent = try ProcessRunner.run(
            ["mosquitto_pub", "-L", "\(try brokers["MQTT_URL"])/\(tag)/in/x", "-q", "1", "-m", "hello-\(tag)"]
        )
        #expect(sent.succeeded)
        #expect(BridgeProcess.wait(20) { RouteCounts(bridge.metrics(), route: "to-mes").acked >= 1 }, "\(bridge.logTail)")
        // Too large for the route: dead-lettered, and logged with its bridge-id.
        let large = try ProcessRunner.run(
            ["mosquitto_pub", "-L", "\(try brokers["MQTT_URL"])/\(tag)/small/x", "-q", "1", "-m", "a payload well over ten bytes"]
        )
        #expect(large.succeeded)
        #expect(BridgeProcess.wait(20) { RouteCounts(bridge.metrics(), route: "small").acked >= 1 }, "\(bridge.logTail)")
        kill(bridge.pid, SIGHUP)
        #expect(BridgeProcess.wait(20) { bridge.logText.contains(#""msg":"reloaded""#) }, "\(bridge.logTail)")
        #expect(bridge.terminate() == 0)
        consumer.cancel()

        let log = bridge.logText
        let lines = log.split(separator: "\n")
        #expect(lines.count > 10, "\(log)")
        // Nothing secret, anywhere.
        for secret in [amqpSecret, wrongSecret, mqttSecret] {
            #expect(!log.contains(secret), "the log contains a secret (\(secret.prefix(4))…)")
        }
        // One JSON object per line, with ts, level, msg.
        var objects: [[String: String]] = []
        for line in lines {
            let object = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: String]
            #expect(object != nil, "not a JSON object of strings: \(line)")
            if let object {
                #expect(object["ts"] != nil && object["level"] != nil && object["msg"] != nil, "\(line)")
                objects.append(object)
            }
        }
        // The refused login is logged, on its connection, without the password.
        #expect(objects.contains { $0["connection"] == "refused" && $0["level"] == "warning" }, "no warning for the refused login")
        // Route lines name the route and the connection.
        // Two MQTT routes subscribe concurrently: find to-mes's line, whatever the order.
        let subscribed = objects.filter { $0["msg"] == "subscribed" }
        #expect(subscribed.contains { $0["route"] == "to-mes" && $0["connection"] == "plant" }, "\(subscribed)")
        #expect(subscribed.allSatisfy { $0["route"] != nil && $0["connection"] != nil }, "\(subscribed)")
        #expect(objects.contains { $0["msg"] == "AMQP connected" && $0["connection"] == "mes" }, "no AMQP connected line on mes")
        let drained = objects.filter { $0["msg"] == "route drained" }.compactMap { $0["route"] }
        #expect(Set(drained) == ["to-mes", "small", "from-refused"], "\(drained)")
        let deadLettered = objects.first { $0["msg"] == "message dead-lettered" }
        #expect(deadLettered?["route"] == "small" && deadLettered?["reason"] == "too_large", "\(String(describing: deadLettered))")
        #expect(deadLettered?["bridge_id"]?.hasPrefix("mqtt:\(tag)-l1-small:") == true, "\(String(describing: deadLettered))")
        #expect(!log.contains("a payload well over ten bytes"), "a payload was logged")
        // Every line at warning or above that is about a connection says which one.
        for object in objects where ["warning", "error"].contains(object["level"]) && object["msg"]?.contains("AMQP") == true {
            #expect(object["connection"] != nil, "\(object)")
        }
    }
}
