import Foundation
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `message-bridge run --config routes/example.yaml` against the local brokers: a factory
/// event sent into each of the nine routes (every protocol pair, and a fan-out) arrives at
/// its destination, through one bridge process.
@Suite(
    .serialized, .timeLimit(.minutes(3)),
    .enabled(if: BrokerEnvironment.isConfigured, BrokerEnvironment.disabledReason)
)
struct ExampleRoutesTests {
    let brokers: BrokerEnvironment
    let tag = UUID().uuidString.prefix(8).lowercased()

    init() throws {
        brokers = try BrokerEnvironment.load()
    }

    static var repositoryRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    static var executable: URL {
        let bundle = Bundle.main.bundleURL
        if FileManager.default.fileExists(atPath: bundle.appendingPathComponent("message-bridge").path) {
            return bundle.appendingPathComponent("message-bridge")
        }
        return bundle.deletingLastPathComponent().appendingPathComponent("message-bridge")
    }

    /// Runs a blocking command off the cooperative pool, so a consumer can wait while the test publishes.
    static func background(_ command: [String], timeout: Duration = .seconds(30)) -> Task<ProcessOutput, any Error> {
        Task {
            try await withCheckedThrowingContinuation { continuation in
                DispatchQueue.global().async {
                    continuation.resume(with: Result { try ProcessRunner.run(command, timeout: timeout) })
                }
            }
        }
    }

    /// The `/readyz` answer: every connection's state.
    static func connections(_ url: String) async -> [String: String]? {
        var request = URLRequest(url: URL(string: url)!)
        request.timeoutInterval = 2
        guard let (data, _) = try? await URLSession.shared.data(for: request),
            let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
        else { return nil }
        return json["connections"] as? [String: String]
    }

    /// Reads a Kafka topic from the beginning until a record with `payload` shows up.
    func kafkaRecord(topic: String, containing payload: String) async throws -> String? {
        for _ in 0..<40 {
            let out = try ProcessRunner.run(
                ["kcat", "-C", "-b", try brokers["KAFKA_BOOTSTRAP"], "-t", topic, "-o", "beginning", "-e", "-q", "-f", "%k|%h|%s\n"],
                timeout: .seconds(20)
            )
            if let line = out.stdout.split(separator: "\n").first(where: { $0.hasSuffix("|\(payload)") }) { return String(line) }
            try await Task.sleep(for: .milliseconds(500))
        }
        return nil
    }

    @Test("every route of routes/example.yaml carries a factory event end to end")
    func exampleRoutes() async throws {
        let amqp = try brokers["AMQP_URL"]
        let kafka = try brokers["KAFKA_BOOTSTRAP"]
        // AMQP consumers first: their queues, bound to the destination exchanges, must exist
        // before the bridge publishes (mandatory: an unroutable message is a failure). They
        // collect for a while rather than stop at the first message, so a message an earlier
        // run left unacked does not hide ours.
        let orderConsumer = Self.background(["amqp-consume", "-u", amqp, "-e", "amq.topic", "-r", "plant.line1.order.started", "-x", "cat"], timeout: .seconds(25))
        let erpOrderConsumer = Self.background(["amqp-consume", "-u", amqp, "-e", "amq.topic", "-r", "erp.orders", "-x", "cat"], timeout: .seconds(25))
        let alertConsumer = Self.background(["amqp-consume", "-u", amqp, "-e", "amq.fanout", "-r", "ignored-by-fanout", "-x", "cat"], timeout: .seconds(25))

        let port = Int.random(in: 20_000..<40_000)
        let process = Process()
        process.executableURL = Self.executable
        process.arguments = ["run", "--config", Self.repositoryRoot.appendingPathComponent("routes/example.yaml").path, "--log-format", "json"]
        var environment = ProcessInfo.processInfo.environment
        for (key, value) in brokers.values { environment[key] = value }
        environment["BRIDGE_HTTP"] = "127.0.0.1:\(port)"
        process.environment = environment
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("example-routes-\(tag).log")
        FileManager.default.createFile(atPath: log.path, contents: nil)
        let logHandle = try FileHandle(forWritingTo: log)
        process.standardOutput = logHandle
        process.standardError = logHandle
        try process.run()
        defer {
            if process.isRunning { process.terminate() }
        }
        // Connected everywhere (a route may still be blocked by a message an earlier run left).
        var up = false
        for _ in 0..<150 where !up {
            let states = await Self.connections("http://127.0.0.1:\(port)/readyz")
            up = states.map { $0.count == 4 && $0.values.allSatisfy { $0 == "up" } } ?? false
            if !up { try await Task.sleep(for: .milliseconds(200)) }
        }
        #expect(up, "the bridge never connected; log: \((try? String(contentsOf: log, encoding: .utf8)) ?? "")")
        guard up else { return }
        try await Task.sleep(for: .seconds(1))  // MQTT subscriptions and Kafka assignments settle

        // MQTT subscribers: a topic of their own each, so the first message is ours.
        // MQTT -> MQTT: telemetry to the second broker.
        let telemetryConsumer = Self.background(["mosquitto_sub", "-L", "\(try brokers["MQTT2_URL"])/site1/plant/line1/telemetry/\(tag)", "-q", "1", "-C", "1", "-W", "25"])
        // Kafka -> MQTT: an order release for site eu1, topic from a header.
        let releaseConsumer = Self.background(["mosquitto_sub", "-L", "\(try brokers["MQTT_URL"])/erp/releases/eu1-\(tag)", "-q", "1", "-C", "1", "-W", "25"])
        // AMQP -> MQTT: work instructions to line 3.
        let instructionConsumer = Self.background(["mosquitto_sub", "-L", "\(try brokers["MQTT_URL"])/plant/line3-\(tag)/instructions", "-q", "1", "-C", "1", "-W", "25"])
        try await Task.sleep(for: .seconds(1))

        let mqtt = try brokers["MQTT_URL"]
        func mqttPublish(_ topic: String, _ payload: String) throws {
            let out = try ProcessRunner.run(["mosquitto_pub", "-L", "\(mqtt)/\(topic)", "-q", "1", "-m", payload])
            #expect(out.succeeded, "\(out)")
        }
        func kafkaProduce(_ topic: String, _ payload: String, headers: [String] = [], key: String? = nil) throws {
            var command = ["kcat", "-P", "-b", kafka, "-t", topic]
            for header in headers { command += ["-H", header] }
            var line = payload
            if let key {
                command += ["-K", "|"]
                line = "\(key)|\(payload)"
            }
            let out = try ProcessRunner.run(command, input: line + "\n")
            #expect(out.succeeded, "\(out)")
        }
        func amqpPublish(_ routingKey: String, _ payload: String, headers: [String] = []) throws {
            var command = ["amqp-publish", "-u", amqp, "-e", "amq.topic", "-r", routingKey, "-p", "-b", payload]
            for header in headers { command += ["-H", header] }
            let out = try ProcessRunner.run(command)
            #expect(out.succeeded, "\(out)")
        }

        let orderStarted = #"{"event":"order started","order":"4711","tag":"\#(tag)"}"#
        let quarantined = #"{"event":"batch quarantined","batch":"B-17","tag":"\#(tag)"}"#
        let telemetry = #"{"spindle_rpm":1200,"tag":"\#(tag)"}"#
        let erpOrder = #"{"event":"order planned","order":"4712","tag":"\#(tag)"}"#
        let release = #"{"event":"order released","order":"4713","tag":"\#(tag)"}"#
        let shipment = #"{"event":"shipped","order":"4714","tag":"\#(tag)"}"#
        let inspection = #"{"event":"inspection passed","batch":"B-18","tag":"\#(tag)"}"#
        let instruction = #"{"event":"set temperature","value":180,"tag":"\#(tag)"}"#
        let alert = #"{"event":"quality alert","batch":"B-19","tag":"\#(tag)"}"#

        try mqttPublish("plant/line1/order/started", orderStarted)
        try mqttPublish("plant/line1/batch/quarantined", quarantined)
        try mqttPublish("plant/line1/telemetry/\(tag)", telemetry)
        try kafkaProduce("erp.orders", erpOrder)
        try kafkaProduce("erp.releases", release, headers: ["site=eu1-\(tag)"])
        try kafkaProduce("erp.shipments", shipment, key: "order-4714")
        try amqpPublish("quality.inspection.passed", inspection, headers: ["batch: B-18-\(tag)"])
        try amqpPublish("mes.instructions.line3-\(tag)", instruction)
        try amqpPublish("mes.alerts.temperature", alert)

        // MQTT -> AMQP
        let order = try await orderConsumer.value
        #expect(order.stdout.contains(orderStarted), "orders-started: \(order)")
        // MQTT -> Kafka, keyed by the line
        let quarantinedRecord = try await kafkaRecord(topic: "plant.batch.quarantined", containing: quarantined)
        #expect(quarantinedRecord?.hasPrefix("line1|") == true, "batch-quarantined: \(quarantinedRecord ?? "nothing")")
        // MQTT -> MQTT
        let telemetryOut = try await telemetryConsumer.value
        #expect(telemetryOut.stdout.contains(telemetry), "telemetry-to-site2: \(telemetryOut)")
        // Kafka -> AMQP
        let erpOrderOut = try await erpOrderConsumer.value
        #expect(erpOrderOut.stdout.contains(erpOrder), "erp-orders-to-mes: \(erpOrderOut)")
        // Kafka -> MQTT, topic from a header
        let releaseOut = try await releaseConsumer.value
        #expect(releaseOut.stdout.contains(release), "erp-releases-to-plant: \(releaseOut)")
        // Kafka -> Kafka, key kept, bridge headers added
        let shipmentRecord = try await kafkaRecord(topic: "archive.erp.shipments", containing: shipment)
        #expect(shipmentRecord?.hasPrefix("order-4714|") == true, "erp-shipments-archive: \(shipmentRecord ?? "nothing")")
        #expect(shipmentRecord?.contains("bridge-id=kafka:erp:erp.shipments:") == true, "bridge-id: \(shipmentRecord ?? "nothing")")
        #expect(shipmentRecord?.contains("bridge-hops=1") == true, "bridge-hops: \(shipmentRecord ?? "nothing")")
        // AMQP -> Kafka, keyed by a header
        let inspectionRecord = try await kafkaRecord(topic: "quality.inspections", containing: inspection)
        #expect(inspectionRecord?.hasPrefix("B-18-\(tag)|") == true, "inspection-results: \(inspectionRecord ?? "nothing")")
        // AMQP -> MQTT, topic from a routing key segment
        let instructionOut = try await instructionConsumer.value
        #expect(instructionOut.stdout.contains(instruction), "instructions-to-lines: \(instructionOut)")
        // AMQP -> AMQP and Kafka (fan-out)
        let alertOut = try await alertConsumer.value
        #expect(alertOut.stdout.contains(alert), "quality-alerts to amq.fanout: \(alertOut)")
        let alertRecord = try await kafkaRecord(topic: "quality.alerts", containing: alert)
        #expect(alertRecord != nil, "quality-alerts to Kafka")

        // SIGTERM drains and exits 0.
        process.terminate()
        let deadline = Date().addingTimeInterval(30)
        while process.isRunning, Date() < deadline { try await Task.sleep(for: .milliseconds(100)) }
        #expect(!process.isRunning, "run did not stop within 30 s of SIGTERM")
        process.waitUntilExit()
        #expect(process.terminationReason == .exit && process.terminationStatus == 0, "exit status \(process.terminationStatus)")
    }
}
