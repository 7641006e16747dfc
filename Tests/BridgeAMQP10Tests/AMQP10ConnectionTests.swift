@testable import BridgeCore
import Foundation
import Logging
import NIOCore
import NIOPosix
import Testing

@testable import BridgeAMQP10

/// The AMQP 1.0 connection against RabbitMQ 3.10's AMQP 1.0 plugin (the shared broker):
/// SASL PLAIN, open and begin; a refused password; `amqps://` through a TLS terminator.
@Suite(
    .serialized, .timeLimit(.minutes(1)),
    .enabled(if: ProcessInfo.processInfo.environment["BRIDGE_BROKERS_ENV"] != nil, "no brokers: set BRIDGE_BROKERS_ENV")
)
struct AMQP10ConnectionTests {
    let values: [String: String]
    let logger = Logger(label: "amqp10-connection-test")
    let loop = MultiThreadedEventLoopGroup.singleton.next()

    init() throws {
        let path = try #require(ProcessInfo.processInfo.environment["BRIDGE_BROKERS_ENV"])
        let text = try String(contentsOfFile: path, encoding: .utf8)
        var values: [String: String] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let equals = line.firstIndex(of: "=") else { continue }
            values[String(line[..<equals])] = String(line[line.index(after: equals)...])
        }
        self.values = values
    }

    /// RabbitMQ's host and port from AMQP_URL.
    func rabbit() throws -> (host: String, port: Int) {
        let url = try BrokerURL.parse(try #require(values["AMQP_URL"]), defaultPorts: ["amqp": 5672]).get()
        return (url.host, url.port)
    }

    func connect(_ text: String, tls: TLSSettings? = nil) async throws -> AMQP10Connection {
        let url = try BrokerURL.parse(text, defaultPorts: ["amqp": 5672, "amqps": 5671]).get()
        return try await AMQP10Connection.connect(
            to: url, idleTimeout: .seconds(10), tls: tls, containerID: "amqp10-connection-test", on: loop, logger: logger
        ).get()
    }

    @Test("SASL PLAIN, open and begin against RabbitMQ; a wrong password is a handshake failure")
    func plain() async throws {
        let (host, port) = try rabbit()
        let connection = try await connect("amqp://guest:guest@\(host):\(port)")
        #expect(connection.remoteOpen?.containerID.isEmpty == false)
        #expect(try await loop.submit { connection.isOpen }.get())
        try await connection.close().get()
        let reason = try await connection.closeFuture.get()
        #expect(reason == .closedByClient)

        await #expect(throws: AMQP10ConnectionError.self) {
            _ = try await connect("amqp://guest:wrong@\(host):\(port)")
        }
    }

    @Test("amqps through a TLS terminator: verified against the test CA; a CA not trusted is refused")
    func tls() async throws {
        let (host, rabbitPort) = try rabbit()
        let caFile = try #require(values["MQTT_CA_FILE"])
        let directory = URL(fileURLWithPath: caFile).deletingLastPathComponent().path
        let port = Int.random(in: 30_000...39_999)
        let socat = Process()
        socat.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        socat.arguments = [
            "socat",
            "openssl-listen:\(port),reuseaddr,fork,bind=127.0.0.1,cert=\(directory)/server.crt,key=\(directory)/server.key,verify=0",
            "tcp:\(host):\(rabbitPort)",
        ]
        socat.standardOutput = FileHandle.nullDevice
        socat.standardError = FileHandle.nullDevice
        try socat.run()
        defer {
            // socat forks a child per connection: end those (by pid), then the listener.
            let children = Process()
            children.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            children.arguments = ["pgrep", "-P", String(socat.processIdentifier)]
            let pipe = Pipe()
            children.standardOutput = pipe
            try? children.run()
            children.waitUntilExit()
            let pids = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).split(separator: "\n").compactMap { Int32($0) }
            for pid in pids { kill(pid, SIGKILL) }
            kill(socat.processIdentifier, SIGKILL)
            socat.waitUntilExit()
        }
        let trusted = TLSSettings(caFile: caFile, certFile: nil, keyFile: nil, verify: true, serverName: nil)
        var connection: AMQP10Connection?
        for _ in 0..<50 where connection == nil {
            connection = try? await connect("amqps://guest:guest@127.0.0.1:\(port)", tls: trusted)
            if connection == nil { try await Task.sleep(for: .milliseconds(100)) }
        }
        let opened = try #require(connection, "no AMQP 1.0 connection through TLS")
        try await opened.close().get()

        let systemRoots = TLSSettings(caFile: nil, certFile: nil, keyFile: nil, verify: true, serverName: nil)
        await #expect(throws: AMQP10ConnectionError.self, "a certificate from a CA not trusted is refused") {
            _ = try await connect("amqps://guest:guest@127.0.0.1:\(port)", tls: systemRoots)
        }
    }
}
