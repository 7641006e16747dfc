import Foundation
import Synchronization
import Testing

/// Helpers of the delivery-policy suites (DeadLetterTests, BlockedRouteTests, GuardTests).
enum PolicyKit {
    /// A short random tag for the names a test creates (topics, queues, exchanges, client ids).
    static func tag(_ prefix: String) -> String { prefix + UUID().uuidString.prefix(6).lowercased() }

    /// A scratch directory for route files and logs.
    static func directory(_ tag: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("policy-\(tag)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// The `/readyz` answer: status, connection and route states; nil when it does not answer.
    static func readiness(_ bridge: BridgeProcess) -> (status: String, code: Int, routes: [String: String])? {
        guard
            let output = try? ProcessRunner.run(
                ["curl", "-s", "-m", "5", "-w", "\n%{http_code}", "http://127.0.0.1:\(bridge.port)/readyz"], timeout: .seconds(10)
            ), output.succeeded
        else { return nil }
        let lines = output.stdout.split(separator: "\n")
        guard lines.count >= 2, let code = Int(lines.last!),
            let json = try? JSONSerialization.jsonObject(with: Data(lines.dropLast().joined(separator: "\n").utf8)) as? [String: Any]
        else { return nil }
        return ((json["status"] as? String) ?? "", code, (json["routes"] as? [String: String]) ?? [:])
    }

    /// Waits until every named route reports `state` in `/readyz`.
    @discardableResult
    static func waitRoutes(_ bridge: BridgeProcess, _ routes: [String], are state: String, timeout: TimeInterval = 30) -> Bool {
        BridgeProcess.wait(timeout) {
            guard let ready = readiness(bridge) else { return false }
            return routes.allSatisfy { ready.routes[$0] == state }
        }
    }

    /// One metric sample by name and labels in the exact order the exporter writes them
    /// (`route`, then `destination`, then `reason`/`field`); 0 when the series is absent.
    static func value(_ metrics: [String: Double], _ name: String, _ labels: [(String, String)]) -> Int {
        let key = name + "{" + labels.map { "\($0.0)=\"\($0.1)\"" }.joined(separator: ",") + "}"
        return Int(metrics[key] ?? 0)
    }

    /// `mosquitto_pub` of one QoS 1 MQTT 5 message with user properties (and other `-D publish` properties).
    static func mqttPublish(_ url: String, topic: String, payload: String, userProperties: [(String, String)] = [], properties: [(String, String)] = []) throws {
        var command = ["mosquitto_pub", "-V", "mqttv5", "-L", "\(url)/\(topic)", "-q", "1", "-m", payload]
        for (name, value) in userProperties { command += ["-D", "publish", "user-property", name, value] }
        for (name, value) in properties { command += ["-D", "publish", name, value] }
        let output = try ProcessRunner.run(command)
        #expect(output.succeeded, "\(output)")
    }

    /// Ready and unacked counts of queues, from `rabbitmqctl list_queues` (about 2 s per call).
    static func queueCounts(_ brokers: BrokerEnvironment, _ queues: [String]) throws -> [String: (ready: Int, unacked: Int)] {
        let output = try ProcessRunner.run(
            [try brokers["RABBITMQCTL"], "list_queues", "-q", "--no-table-headers", "name", "messages_ready", "messages_unacknowledged"],
            timeout: .seconds(30)
        )
        var out: [String: (ready: Int, unacked: Int)] = [:]
        for line in output.stdout.split(separator: "\n") {
            let fields = line.split(whereSeparator: { $0 == "\t" || $0 == " " })
            guard fields.count == 3, queues.contains(String(fields[0])), let ready = Int(fields[1]), let unacked = Int(fields[2]) else { continue }
            out[String(fields[0])] = (ready, unacked)
        }
        return out
    }
}

/// A `mosquitto_sub -F %j` (MQTT 5) that collects every message of a filter, with its
/// user properties, until stopped.
final class PolicyMQTTReader {
    struct Message {
        var topic: String
        var payload: String
        var userProperties: [String: String]
        var properties: [String: Any]
    }

    private let process = Process()
    private let file: URL

    init(url: String, filter: String, file: URL) throws {
        self.file = file
        FileManager.default.createFile(atPath: file.path, contents: nil)
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["stdbuf", "-oL", "mosquitto_sub", "-V", "mqttv5", "-L", "\(url)/\(filter)", "-q", "1", "-F", "%j"]
        process.standardOutput = try FileHandle(forWritingTo: file)
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
        Thread.sleep(forTimeInterval: 0.3)  // subscribed before anything is published
    }

    var messages: [Message] {
        let text = (try? String(contentsOf: file, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").compactMap { line in
            guard let json = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else { return nil }
            let properties = (json["properties"] as? [String: Any]) ?? [:]
            return Message(
                topic: (json["topic"] as? String) ?? "",
                payload: (json["payload"] as? String) ?? "",
                userProperties: (properties["user-properties"] as? [String: String]) ?? [:],
                properties: properties
            )
        }
    }

    /// Waits until at least `count` messages arrived.
    func wait(for count: Int, timeout: TimeInterval) -> [Message] {
        _ = BridgeProcess.wait(timeout) { messages.count >= count }
        return messages
    }

    func stop() {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    deinit { stop() }
}
