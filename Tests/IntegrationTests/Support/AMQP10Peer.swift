import Foundation
import Testing

/// One message as the python-qpid-proton client (`amqp10_broker.py receive`) saw it.
struct AMQP10Record: Decodable, Sendable {
    var id: String?
    /// The data section, base64 (nil when the body was not a data section).
    var body: String?
    var inferred: Bool
    var content_type: String?
    var correlation_id: String?
    var reply_to: String?
    var creation_time_ms: Int64?
    var ttl_ms: Int64?
    var durable: Bool
    var delivery_count: Int?
    var properties: [String: AMQP10PropertyValue]
    var annotations: [String: String]

    /// The data section as text.
    var text: String? { body.flatMap { Data(base64Encoded: $0) }.map { String(decoding: $0, as: UTF8.self) } }
}

/// An application-property value as JSON gives it: a number, a boolean or a string.
enum AMQP10PropertyValue: Decodable, Sendable, Equatable {
    case int(Int64)
    case bool(Bool)
    case string(String)
    case other

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let b = try? container.decode(Bool.self) {
            self = .bool(b)
        } else if let i = try? container.decode(Int64.self) {
            self = .int(i)
        } else if let s = try? container.decode(String.self) {
            self = .string(s)
        } else {
            self = .other
        }
    }
}

/// The independent AMQP 1.0 peer of the tests: `Support/amqp10_broker.py`, written with
/// python-qpid-proton (Debian `python3-qpid-proton`), run with `/usr/bin/python3`.
enum AMQP10Peer {
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("amqp10_broker.py").path
    static let python = "/usr/bin/python3"

    /// Sends `count` messages `m-<tag>-<i>` (i from `start`) to `address` and waits until
    /// the peer accepted each.
    static func send(url: String, address: String, count: Int, start: Int = 0, tag: String) throws {
        let out = try ProcessRunner.run(
            [python, script, "send", "--url", url, "--address", address, "--count", String(count), "--start", String(start), "--tag", tag],
            timeout: .seconds(120)
        )
        guard out.succeeded, out.stdout.contains("sent \(count)") else {
            throw BrokerEnvironment.Missing(description: "amqp10_broker.py send failed: \(out)")
        }
    }

    /// Receives (and accepts) from `address` until `count` messages came (`count` distinct
    /// message ids when `unique`) or `idle` seconds passed without one.
    static func receive(url: String, address: String, count: Int, idle: Double = 5, unique: Bool = false) throws -> [AMQP10Record] {
        let out = try ProcessRunner.run(
            [python, script, "receive", "--url", url, "--address", address, "--count", String(count), "--timeout", String(idle)]
                + (unique ? ["--unique"] : []),
            timeout: .seconds(180)
        )
        guard out.status == 0 else { throw BrokerEnvironment.Missing(description: "amqp10_broker.py receive failed: \(out)") }
        let decoder = JSONDecoder()
        return out.stdout.split(separator: "\n").compactMap { line in
            guard !line.hasPrefix(#"{"done""#) else { return nil }
            return try? decoder.decode(AMQP10Record.self, from: Data(line.utf8))
        }
    }
}

/// A python-qpid-proton broker of our own (`amqp10_broker.py serve`) on a free port:
/// every address a queue, held in memory; SASL ANONYMOUS; an idle timeout, so the bridge
/// must send empty frames to stay connected.
final class AMQP10TestBroker {
    let port: Int
    let url: String
    private let process: Process
    let log: URL

    /// - Parameters:
    ///   - port: The port to listen on (a free one by default; the same one to restart).
    init(directory: URL, port: Int? = nil, idleTimeout: Double = 4) throws {
        self.port = port ?? BridgeProcess.freePort()
        url = "amqp://127.0.0.1:\(self.port)"
        log = directory.appendingPathComponent("amqp10-peer-\(self.port)-\(UUID().uuidString.prefix(4)).log")
        FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        process = Process()
        process.executableURL = URL(fileURLWithPath: AMQP10Peer.python)
        process.arguments = [AMQP10Peer.script, "serve", "--port", String(self.port), "--idle-timeout", String(idleTimeout)]
        process.standardOutput = handle
        process.standardError = handle
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let listening = BridgeProcess.wait(10) {
            ((try? String(contentsOf: self.log, encoding: .utf8)) ?? "").contains("listening \(self.port)")
        }
        guard listening else {
            Foundation.kill(process.processIdentifier, SIGKILL)
            throw BrokerEnvironment.Missing(description: "amqp10_broker.py serve did not listen within 10 s: \(logText)")
        }
    }

    var logText: String { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }

    /// Kills the broker (its messages are gone with it).
    func kill() {
        if process.isRunning {
            Foundation.kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    deinit {
        if process.isRunning {
            Foundation.kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }
}
