import BridgeCore
@testable import BridgeService
import Testing

/// How a reload tells changed routes and connections from unchanged ones: fingerprints of
/// the parsed configuration, secrets compared by value (librdkafka properties in file
/// order: a reordered list counts as a change, which only restarts the connection).
struct ReloadFingerprintTests {
    func load(_ yaml: String) throws -> BridgeConfig {
        let loader = ConfigLoader(environment: [:], hostname: "h1")
        switch loader.parse(yaml: yaml, file: "routes.yaml") {
        case .success(let loaded): return loaded.config
        case .failure(let errors): throw errors
        }
    }

    func file(password: String = "p1", filter: String = "a/#", properties: String = "{ linger.ms: \"5\", client.rack: r1 }", http: String = "127.0.0.1:9464") -> String {
        """
        version: 1
        bridge: { name: b, http: "\(http)" }
        connections:
          mes: { protocol: amqp, url: "amqp://u:\(password)@127.0.0.1:5672/%2f" }
          erp: { protocol: kafka, bootstrap_servers: "127.0.0.1:9092", properties: \(properties) }
          plant: { protocol: mqtt, url: "mqtt://127.0.0.1:1883" }
        routes:
          - name: one
            from: { connection: plant, topic: "\(filter)" }
            to: { connection: mes, exchange: x, routing_key: k }
          - name: two
            from: { connection: plant, topic: "b/#" }
            to: { connection: erp, topic: t }
        """
    }

    func connection(_ config: BridgeConfig, _ name: String) -> String { Fingerprint.of(config.connection(name)!) }
    func route(_ config: BridgeConfig, _ name: String) -> String { Fingerprint.of(config.routes.first { $0.name == name }!) }

    @Test func sameFileSameFingerprints() throws {
        let a = try load(file())
        let b = try load(file())
        for name in ["mes", "erp", "plant"] { #expect(connection(a, name) == connection(b, name)) }
        for name in ["one", "two"] { #expect(route(a, name) == route(b, name)) }
    }

    @Test func aChangedPasswordChangesTheConnectionOnly() throws {
        let a = try load(file(password: "p1"))
        let b = try load(file(password: "p2"))
        #expect(connection(a, "mes") != connection(b, "mes"))
        #expect(connection(a, "erp") == connection(b, "erp") && connection(a, "plant") == connection(b, "plant"))
        #expect(route(a, "one") == route(b, "one"))
        // The fingerprint holds the secret; the printed configuration never does.
        #expect(!String(describing: a.connection("mes")!).contains("p1"))
    }

    @Test func aChangedKafkaPropertyChangesTheConnection() throws {
        let a = try load(file(properties: "{ linger.ms: \"5\", client.rack: r1 }"))
        let b = try load(file(properties: "{ linger.ms: \"5\", client.rack: r1 }"))
        let c = try load(file(properties: "{ linger.ms: \"5\", client.rack: r2 }"))
        #expect(connection(a, "erp") == connection(b, "erp"))
        #expect(connection(a, "erp") != connection(c, "erp"))
    }

    @Test func aChangedFilterChangesThatRouteOnly() throws {
        let a = try load(file(filter: "a/#"))
        let b = try load(file(filter: "a/+/x"))
        #expect(route(a, "one") != route(b, "one"))
        #expect(route(a, "two") == route(b, "two"))
    }

    @Test func bridgeSectionChangesAreNamed() throws {
        let a = try load(file(http: "127.0.0.1:9464"))
        let b = try load(file(http: "0.0.0.0:9464"))
        #expect(BridgeSettingsDiff.changed(a.bridge, b.bridge) == ["http"])
        #expect(BridgeSettingsDiff.changed(a.bridge, a.bridge).isEmpty)
    }
}
