import Foundation
import Testing

/// A `message-bridge run` child process with its route file, log and HTTP port.
final class BridgeProcess {
    let port: Int
    let log: URL
    let config: URL
    private let process: Process

    /// The built executable: beside the test bundle.
    static var executable: URL {
        let bundle = Bundle.main.bundleURL
        if FileManager.default.fileExists(atPath: bundle.appendingPathComponent("message-bridge").path) {
            return bundle.appendingPathComponent("message-bridge")
        }
        return bundle.deletingLastPathComponent().appendingPathComponent("message-bridge")
    }

    /// Writes `yaml` (with `{{PORT}}` replaced by a free HTTP port) and starts the bridge.
    /// - Parameter arguments: More arguments for `run` (e.g. `--log-level trace`).
    init(name: String, yaml: String, directory: URL, arguments: [String] = []) throws {
        port = Self.freePort()
        config = directory.appendingPathComponent("\(name).yaml")
        log = directory.appendingPathComponent("\(name)-\(UUID().uuidString.prefix(4)).log")
        try yaml.replacingOccurrences(of: "{{PORT}}", with: String(port)).write(to: config, atomically: true, encoding: .utf8)
        FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        process = Process()
        process.executableURL = Self.executable
        process.arguments = ["run", "--config", config.path, "--log-format", "json"] + arguments
        process.standardOutput = handle
        process.standardError = handle
        process.standardInput = FileHandle.nullDevice
        try process.run()
    }

    var pid: Int32 { process.processIdentifier }
    var isRunning: Bool { process.isRunning }

    /// SIGTERM, then waits; returns the exit status (nil when it had to be killed).
    func terminate(within seconds: TimeInterval = 30) -> Int32? {
        kill(process.processIdentifier, SIGTERM)
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            return nil
        }
        return process.terminationStatus
    }

    func sigkill() {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    var logText: String { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }

    /// The last lines of the log, for failure messages.
    var logTail: String { logText.split(separator: "\n").suffix(25).joined(separator: "\n") }

    /// GET a path on the bridge's HTTP endpoint.
    func get(_ path: String) -> String? {
        guard let output = try? ProcessRunner.run(["curl", "-s", "-m", "5", "http://127.0.0.1:\(port)\(path)"], timeout: .seconds(10)),
            output.succeeded
        else { return nil }
        return output.stdout
    }

    /// The samples of /metrics: `name{labels}` → value.
    func metrics() -> [String: Double] {
        var out: [String: Double] = [:]
        for line in (get("/metrics") ?? "").split(separator: "\n") where !line.hasPrefix("#") {
            guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else { continue }
            out[String(line[..<space])] = value
        }
        return out
    }

    /// Waits until `condition` holds, polling every 100 ms. Returns whether it did.
    @discardableResult
    static func wait(_ seconds: TimeInterval, _ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if condition() { return true }
            Thread.sleep(forTimeInterval: 0.1)
        }
        return condition()
    }

    static func freePort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        _ = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    deinit {
        if process.isRunning { sigkill() }
    }
}

/// The route-level counters of one bridge's /metrics.
struct RouteCounts: CustomStringConvertible {
    var received = 0
    var acked = 0
    var inFlight = 0
    var abandoned = 0

    init(_ metrics: [String: Double], route: String) {
        received = Int(metrics["bridge_messages_received_total{route=\"\(route)\"}"] ?? -1)
        acked = Int(metrics["bridge_messages_acked_total{route=\"\(route)\"}"] ?? -1)
        inFlight = Int(metrics["bridge_in_flight_messages{route=\"\(route)\"}"] ?? -1)
        abandoned = Int(metrics["bridge_messages_abandoned_total{route=\"\(route)\"}"] ?? -1)
    }

    /// CONTRACT section 7: at rest, received = acked + in_flight + abandoned.
    var balanced: Bool { received >= 0 && received == acked + inFlight + abandoned }

    var description: String { "received \(received), acked \(acked), in flight \(inFlight), abandoned \(abandoned)" }
}
