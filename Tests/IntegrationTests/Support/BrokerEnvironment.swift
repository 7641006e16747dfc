import Foundation
import Testing

/// The brokers that `deploy/brokers.sh start` runs, read from the `KEY=value` file it writes
/// (`$BRIDGE_RUN_DIR/brokers.env`), named by `BRIDGE_BROKERS_ENV`.
struct BrokerEnvironment {
    var values: [String: String]

    /// Whether integration tests should run: when brokers are required (`BRIDGE_REQUIRE_BROKERS=1`)
    /// or an env file is named. Otherwise suites that need brokers are disabled, with a reason.
    static var isConfigured: Bool {
        let environment = ProcessInfo.processInfo.environment
        return environment["BRIDGE_REQUIRE_BROKERS"] == "1" || environment["BRIDGE_BROKERS_ENV"] != nil
    }

    static let disabledReason: Comment =
        "no brokers: run deploy/test.sh, or deploy/brokers.sh start and set BRIDGE_BROKERS_ENV=/tmp/message-bridge-brokers/brokers.env"

    struct Missing: Error, CustomStringConvertible {
        var description: String
    }

    /// Reads the file named by `BRIDGE_BROKERS_ENV`.
    /// - Throws: `Missing`, naming the file and what to run, when it is not there or lacks a key.
    static func load() throws -> BrokerEnvironment {
        let environment = ProcessInfo.processInfo.environment
        guard let path = environment["BRIDGE_BROKERS_ENV"], !path.isEmpty else {
            throw Missing(description: "BRIDGE_REQUIRE_BROKERS=1 but BRIDGE_BROKERS_ENV is not set: run deploy/test.sh")
        }
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw Missing(
                description: "broker env file \(path) (BRIDGE_BROKERS_ENV) is missing: start the brokers with deploy/brokers.sh start, or run deploy/test.sh"
            )
        }
        var values: [String: String] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let equals = line.firstIndex(of: "=") else { continue }
            values[String(line[..<equals])] = String(line[line.index(after: equals)...])
        }
        return BrokerEnvironment(values: values)
    }

    subscript(key: String) -> String {
        get throws {
            guard let value = values[key], !value.isEmpty else {
                throw Missing(description: "broker env file has no \(key): rerun deploy/brokers.sh start")
            }
            return value
        }
    }

    /// Host and port of an `mqtt://` or `mqtts://` URL from the file.
    func endpoint(_ key: String) throws -> (host: String, port: Int) {
        let text = try self[key]
        guard let url = URL(string: text), let host = url.host, let port = url.port else {
            throw Missing(description: "\(key)=\(text) is not a URL with a host and a port")
        }
        return (host, port)
    }
}
