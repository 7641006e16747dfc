import Foundation
import Testing

/// Small helpers the end-to-end mapping, matrix and template tests share.
enum Peers {
    /// A short random tag for names that must not collide with parallel work.
    static func tag() -> String { String(UUID().uuidString.prefix(6)).lowercased() }

    /// A fresh temporary directory for route files and logs.
    static func directory(_ name: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("\(name)-\(tag())")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// The first 8 hex digits of SHA-256 over `bytes`, from `sha256sum` (independent of the
    /// bridge's own SHA-256), for the MQTT `bridge-id` without a `message-id`.
    static func sha256Prefix(_ bytes: [UInt8]) throws -> String {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("sha-\(tag())")
        try Data(bytes).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let output = try ProcessRunner.run(["sha256sum", file.path])
        return String(output.stdout.prefix(8))
    }

    /// `bytes` as lower-case hex, shortened for messages.
    static func hex(_ bytes: [UInt8]?, limit: Int = 24) -> String {
        guard let bytes else { return "nil" }
        let shown = bytes.prefix(limit).map { String(format: "%02x", $0) }.joined()
        return bytes.count > limit ? "\(shown)… (\(bytes.count) bytes)" : shown
    }
}

extension BridgeProcess {
    /// Waits until `/readyz` answers `"status":"ready"`; records an issue (with the log) when not.
    @discardableResult
    func waitUntilReady(timeout: TimeInterval = 30, sourceLocation: SourceLocation = #_sourceLocation) -> Bool {
        let ready = Self.wait(timeout) { !isRunning || get("/readyz")?.contains("\"status\":\"ready\"") == true } && isRunning
        if !ready {
            Issue.record("the bridge is not ready after \(timeout) s: \(get("/readyz") ?? "no answer")\n\(logTail)", sourceLocation: sourceLocation)
        }
        return ready
    }

    /// `bridge_fields_dropped_total` of `route`, by field.
    func fieldsDropped(route: String) -> [String: Int] {
        var out: [String: Int] = [:]
        for sample in MetricSample.parse(metrics()) where sample.name == "bridge_fields_dropped_total" && sample.labels["route"] == route {
            out[sample.labels["field"] ?? "", default: 0] += Int(sample.value)
        }
        return out.filter { $0.value != 0 }
    }

    /// A counter of `route` summed over every series matching `labels`.
    func counter(_ name: String, route: String, _ labels: [String: String] = [:]) -> Int {
        RouteCounts.sum(MetricSample.parse(metrics()), name, route: route, labels)
    }
}
