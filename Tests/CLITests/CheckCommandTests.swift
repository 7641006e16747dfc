import Foundation
import Testing

/// `message-bridge check` against the contract (CONTRACT sections 2 and 3).
@Suite("message-bridge check")
struct CheckCommandTests {
    static let connections = """
        connections:
          plant:
            protocol: mqtt
            url: mqtt://127.0.0.1:1883
          erp:
            protocol: kafka
            bootstrap_servers: 127.0.0.1:9092
          mes:
            protocol: amqp
            url: amqp://guest:guest@127.0.0.1:5672/%2f
        """

    /// A broken file, the key path its error must name, and the line it must point at.
    struct Broken: CustomTestStringConvertible, Sendable {
        var name: String
        var yaml: String
        var path: String
        var line: Int
        var testDescription: String { name }
    }

    static let broken: [Broken] = [
        Broken(name: "unknown key with suggestion", yaml: """
            version: 1
            \(connections)
            routes:
              - name: a
                from: { connection: plant, topic: "a/b" }
                to: { connection: mes, exchnage: x }
            """, path: "routes[0].to.exchnage", line: 15),
        Broken(name: "unknown connection", yaml: """
            version: 1
            \(connections)
            routes:
              - name: a
                from: { connection: plnt, topic: "a/b" }
                to: { connection: mes, exchange: x }
            """, path: "routes[0].from.connection", line: 14),
        Broken(name: "duplicate route name", yaml: """
            version: 1
            \(connections)
            routes:
              - name: a
                from: { connection: plant, topic: "a/b" }
                to: { connection: mes, exchange: x }
              - name: a
                from: { connection: plant, topic: "a/c" }
                to: { connection: mes, exchange: x }
            """, path: "routes[1].name", line: 16),
        Broken(name: "invalid route name", yaml: """
            version: 1
            \(connections)
            routes:
              - name: Batch Events
                from: { connection: plant, topic: "a/b" }
                to: { connection: mes, exchange: x }
            """, path: "routes[0].name", line: 13),
        Broken(name: "max_in_flight out of range", yaml: """
            version: 1
            \(connections)
            routes:
              - name: a
                from: { connection: plant, topic: "a/b" }
                to: { connection: mes, exchange: x }
                max_in_flight: 70000
            """, path: "routes[0].max_in_flight", line: 16),
        Broken(name: "MQTT # without allow_all", yaml: """
            version: 1
            \(connections)
            routes:
              - name: a
                from: { connection: plant, topic: "#" }
                to: { connection: mes, exchange: x }
            """, path: "routes[0].from.topic", line: 14),
        Broken(name: "header template without allow", yaml: """
            version: 1
            \(connections)
            routes:
              - name: a
                from: { connection: erp, topic: erp.orders }
                to:
                  - connection: plant
                    topic: "erp/{header.site}"
            """, path: "routes[0].to[0].allow", line: 16),
        Broken(name: "unknown template placeholder", yaml: """
            version: 1
            \(connections)
            routes:
              - name: a
                from: { connection: plant, topic: "a/b" }
                to: { connection: mes, exchange: x, routing_key: "{topik}" }
            """, path: "routes[0].to.routing_key", line: 15),
        Broken(name: "exclusive source queue", yaml: """
            version: 1
            \(connections)
            routes:
              - name: a
                from:
                  connection: mes
                  queue: q
                  declare: { durable: true, exclusive: true }
                to: { connection: erp, topic: t }
            """, path: "routes[0].from.declare.exclusive", line: 17),
        Broken(name: "auto_delete source queue", yaml: """
            version: 1
            \(connections)
            routes:
              - name: a
                from:
                  connection: mes
                  queue: q
                  declare:
                    auto_delete: true
                to: { connection: erp, topic: t }
            """, path: "routes[0].from.declare.auto_delete", line: 18),
        Broken(name: "bad exhausted policy", yaml: """
            version: 1
            \(connections)
            routes:
              - name: a
                from: { connection: plant, topic: "a/b" }
                to: { connection: mes, exchange: x }
                on_error: { exhausted: retry }
            """, path: "routes[0].on_error.exhausted", line: 16),
        Broken(name: "reject on an MQTT source", yaml: """
            version: 1
            \(connections)
            routes:
              - name: a
                from: { connection: plant, topic: "a/b" }
                to: { connection: mes, exchange: x }
                on_error:
                  exhausted: reject
            """, path: "routes[0].on_error.exhausted", line: 17),
        Broken(name: "AMQP 1.0 source without an address", yaml: """
            version: 1
            connections:
              partner:
                protocol: amqp10
                url: amqp://127.0.0.1:5672
            routes:
              - name: a
                from: { connection: partner, queue: q }
                to: { connection: partner, address: r }
            """, path: "routes[0].from.queue", line: 8),
        Broken(name: "unset environment variable", yaml: """
            version: 1
            connections:
              plant:
                protocol: mqtt
                url: ${MB_TEST_UNSET_BROKER_URL}
            routes:
              - name: a
                from: { connection: plant, topic: "a/b" }
                to: { connection: plant, topic: c }
            """, path: "connections.plant.url", line: 5),
        Broken(name: "bad duration", yaml: """
            version: 1
            bridge:
              shutdown_timeout: 20 seconds
            \(connections)
            routes:
              - name: a
                from: { connection: plant, topic: "a/b" }
                to: { connection: mes, exchange: x }
            """, path: "bridge.shutdown_timeout", line: 3),
        Broken(name: "bad size", yaml: """
            version: 1
            \(connections)
            routes:
              - name: a
                from: { connection: plant, topic: "a/b" }
                to: { connection: mes, exchange: x }
                max_message_size: 1 megabyte
            """, path: "routes[0].max_message_size", line: 16),
        Broken(name: "invalid Kafka destination topic", yaml: """
            version: 1
            \(connections)
            routes:
              - name: a
                from: { connection: plant, topic: "a/b" }
                to: { connection: erp, topic: "orders/eu" }
            """, path: "routes[0].to.topic", line: 15),
        Broken(name: "prefetch 0", yaml: """
            version: 1
            connections:
              mes:
                protocol: amqp
                url: amqp://127.0.0.1
                prefetch: 0
            routes:
              - name: a
                from: { connection: mes, queue: q }
                to: { connection: mes, exchange: x }
            """, path: "connections.mes.prefetch", line: 6),
        Broken(name: "wrong URL scheme", yaml: """
            version: 1
            connections:
              plant:
                protocol: mqtt
                url: http://127.0.0.1:1883
            routes:
              - name: a
                from: { connection: plant, topic: "a/b" }
                to: { connection: plant, topic: c }
            """, path: "connections.plant.url", line: 5),
        Broken(name: "QoS 0 subscription", yaml: """
            version: 1
            \(connections)
            routes:
              - name: a
                from: { connection: plant, topic: "a/b", qos: 0 }
                to: { connection: mes, exchange: x }
            """, path: "routes[0].from.qos", line: 14),
        Broken(name: "two routes on one Kafka topic", yaml: """
            version: 1
            \(connections)
            routes:
              - name: a
                from: { connection: erp, topic: orders }
                to: { connection: mes, exchange: x }
              - name: b
                from: { connection: erp, topic: orders }
                to: { connection: mes, exchange: y }
            """, path: "routes[1].from", line: 17),
        Broken(name: "not YAML", yaml: """
            version: 1
            routes: [ { name: a
            """, path: "", line: 3),
    ]

    @Test("a broken file exits 1 naming file, line and key path", arguments: broken)
    func brokenFile(_ broken: Broken) throws {
        let path = try BridgeCLI.writeTemp(broken.yaml)
        let result = try BridgeCLI.run(["check", "--config", path])
        #expect(result.status == 1, "stdout: \(result.stdout)")
        let expected = "\(path):\(broken.line):"
        let line = result.stderr.split(separator: "\n").first { $0.hasPrefix(expected) && (broken.path.isEmpty || $0.contains(" \(broken.path): ")) }
        #expect(line != nil, "expected an error at \(expected) naming '\(broken.path)', got:\n\(result.stderr)")
        #expect(result.stdout.isEmpty, "an invalid file prints no route table")
    }

    @Test("every error of a file is reported together")
    func allErrorsTogether() throws {
        let path = try BridgeCLI.writeTemp("""
            version: 1
            \(Self.connections)
            routes:
              - name: a
                from: { connection: plant, topic: "#" }
                to: { connection: mes, exchange: x, routing_key: "{nope}" }
                max_in_flight: 0
            """)
        let result = try BridgeCLI.run(["check", "--config", path])
        #expect(result.status == 1)
        #expect(result.stderr.contains("routes[0].from.topic"))
        #expect(result.stderr.contains("routes[0].to.routing_key"))
        #expect(result.stderr.contains("routes[0].max_in_flight"))
        #expect(result.stderr.contains("3 errors"))
    }

    @Test("the example routes are valid and secrets are redacted")
    func exampleRoutes() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let routes = root.appendingPathComponent("routes")
        let files = try FileManager.default.contentsOfDirectory(atPath: routes.path).filter { $0.hasSuffix(".yaml") }
        #expect(files.contains("example.yaml"))
        for file in files {
            let result = try BridgeCLI.run(
                ["check", "--config", routes.appendingPathComponent(file).path],
                environment: ["AMQP_URL": "amqp://guest:s3cr3t-pw@127.0.0.1:5672/%2f", "PLANT_PASSWORD": "s3cr3t-pw", "PARTNER_PASSWORD": "s3cr3t-pw"]
            )
            #expect(result.status == 0, "\(file): \(result.stderr)")
            #expect(result.stdout.contains("routes:"), "\(file) prints the route table")
            #expect(!result.stdout.contains("s3cr3t-pw"), "\(file): a secret was printed")
        }
    }

    @Test("BRIDGE_CONFIG stands in for --config; warnings go to stderr")
    func environmentConfig() throws {
        let path = try BridgeCLI.writeTemp("""
            version: 1
            \(Self.connections)
            routes:
              - name: qos-zero
                from: { connection: erp, topic: erp.orders }
                to: { connection: plant, topic: out, qos: 0 }
            """)
        let result = try BridgeCLI.run(["check"], environment: ["BRIDGE_CONFIG": path])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.split(separator: "\n").contains { $0.hasPrefix("warning: route qos-zero:") && $0.contains("QoS 0") })
    }

    @Test("password_file is read and never printed")
    func passwordFile() throws {
        let secretPath = try BridgeCLI.writeTemp("file-secret-value\n", name: "plant.pw")
        let path = try BridgeCLI.writeTemp("""
            version: 1
            connections:
              plant:
                protocol: mqtt
                url: mqtt://127.0.0.1:1883
                username: bridge
                password_file: \(secretPath)
            routes:
              - name: a
                from: { connection: plant, topic: "a/b" }
                to: { connection: plant, topic: c }
            """)
        let result = try BridgeCLI.run(["check", "--config", path])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("password ***"))
        #expect(!result.stdout.contains("file-secret-value"))
    }

    @Test("--version prints the version")
    func version() throws {
        let result = try BridgeCLI.run(["--version"])
        #expect(result.status == 0)
        #expect(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ".").count == 3)
    }
}
