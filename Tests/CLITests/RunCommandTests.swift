import Foundation
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `message-bridge run`: endpoints, metrics names and a clean exit on SIGTERM (CONTRACT 2, 6, 7).
@Suite("message-bridge run", .serialized, .timeLimit(.minutes(2)))
struct RunCommandTests {
    static let metricNames = [
        "bridge_messages_received_total", "bridge_messages_published_total", "bridge_messages_confirmed_total",
        "bridge_messages_acked_total", "bridge_messages_retried_total", "bridge_messages_failed_total",
        "bridge_messages_dead_lettered_total", "bridge_messages_dropped_total", "bridge_messages_abandoned_total",
        "bridge_fields_dropped_total", "bridge_in_flight_messages", "bridge_delivery_seconds", "bridge_forward_seconds",
        "bridge_connection_up", "bridge_connection_reconnects_total", "bridge_mqtt_sessions_lost_total",
        "bridge_kafka_consumer_lag", "process_resident_memory_bytes", "process_cpu_seconds_total", "process_start_time_seconds",
    ]

    /// A free TCP port on 127.0.0.1.
    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = 0
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) } }
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        return Int(UInt16(bigEndian: addr.sin_port))
    }

    static func get(_ url: String, token: String? = nil) async -> (Int, String)? {
        var request = URLRequest(url: URL(string: url)!)
        request.timeoutInterval = 2
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        guard let (data, response) = try? await URLSession.shared.data(for: request), let http = response as? HTTPURLResponse else { return nil }
        return (http.statusCode, String(decoding: data, as: UTF8.self))
    }

    @Test("run serves /metrics with every contract name, /healthz and /readyz, and exits 0 on SIGTERM")
    func runAndStop() async throws {
        let port = try Self.freePort()
        let tokenFile = try BridgeCLI.writeTemp("t0ken\n", name: "token")
        let config = try BridgeCLI.writeTemp("""
            version: 1
            bridge:
              name: run-test
              http: 127.0.0.1:\(port)
              http_token_file: \(tokenFile)
              shutdown_timeout: 2s
            connections:
              plant: { protocol: mqtt, url: "mqtt://127.0.0.1:1" }
              erp: { protocol: kafka, bootstrap_servers: "127.0.0.1:1" }
              mes: { protocol: amqp, url: "amqp://127.0.0.1:1" }
            routes:
              - name: batch-events
                from: { connection: plant, topic: "plant/+/batch/#" }
                to:
                  - { connection: mes, exchange: x, routing_key: "{topic:dots}" }
                  - { connection: erp, topic: plant.batch }
                on_error:
                  dead_letter: { connection: mes, exchange: dead, routing_key: "{route}" }
            """)
        let process = Process()
        process.executableURL = BridgeCLI.executable
        process.arguments = ["run", "--config", config, "--log-format", "json"]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = out
        try process.run()
        defer { if process.isRunning { process.terminate() } }

        var metrics: (Int, String)?
        for _ in 0..<100 {
            metrics = await Self.get("http://127.0.0.1:\(port)/metrics", token: "t0ken")
            if metrics != nil { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        let (status, body) = try #require(metrics, "the endpoint never answered")
        #expect(status == 200)
        for name in Self.metricNames {
            #expect(body.contains("# TYPE \(name) "), "missing \(name)")
        }
        #expect(body.contains(#"bridge_messages_received_total{route="batch-events"} 0"#))
        #expect(body.contains(#"bridge_connection_up{connection="plant",protocol="mqtt"} 0"#) || body.contains(#"bridge_connection_up{protocol="mqtt",connection="plant"} 0"#))

        let unauthorized = await Self.get("http://127.0.0.1:\(port)/metrics")
        #expect(unauthorized?.0 == 401)
        let health = await Self.get("http://127.0.0.1:\(port)/healthz")
        #expect(health?.0 == 200)
        let ready = try #require(await Self.get("http://127.0.0.1:\(port)/readyz"))
        #expect(ready.0 == 503, "no adapter is connected, so the bridge is not ready")
        let json = try JSONSerialization.jsonObject(with: Data(ready.1.utf8)) as? [String: Any]
        #expect(json?["status"] as? String == "not_ready")
        #expect((json?["routes"] as? [String: String])?["batch-events"] == "down")
        #expect((json?["connections"] as? [String: String])?.keys.sorted() == ["erp", "mes", "plant"])

        process.terminate()  // SIGTERM
        let deadline = Date().addingTimeInterval(10)
        while process.isRunning, Date() < deadline { try await Task.sleep(for: .milliseconds(50)) }
        #expect(!process.isRunning, "run did not stop within 10 s of SIGTERM")
        process.waitUntilExit()
        #expect(process.terminationReason == .exit)
        #expect(process.terminationStatus == 0)
        let log = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(log.contains(#""msg":"starting""#))
        #expect(log.contains(#""msg":"stopped""#))
    }

    @Test("run with an invalid file fails before it connects anywhere")
    func runInvalid() throws {
        let config = try BridgeCLI.writeTemp("""
            version: 1
            connections: { plant: { protocol: mqtt, url: "mqtt://127.0.0.1:1" } }
            routes: [ { name: a, from: { connection: plant, topic: "#" }, to: { connection: plant, topic: b } } ]
            """)
        let result = try BridgeCLI.run(["run", "--config", config])
        #expect(result.status == 1)
        #expect(result.stderr.contains("routes[0].from.topic"))
        #expect(result.stderr.contains("not starting"))
    }
}
