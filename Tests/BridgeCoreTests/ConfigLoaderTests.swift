import NIOCore
import Testing

@testable import BridgeCore

@Suite("Route file loading")
struct ConfigLoaderTests {
    func load(_ yaml: String, env: [String: String] = [:], files: [String: String] = [:]) -> Result<LoadedConfig, ConfigErrors> {
        let loader = ConfigLoader(environment: env, hostname: "host-1") { path in
            if let text = files[path] { return text }
            throw ConfigError(file: path, line: nil, column: nil, path: "", message: "no such file")
        }
        return loader.parse(yaml: yaml, file: "/etc/mb/routes.yaml")
    }

    static let minimal = """
        version: 1
        connections:
          plant: { protocol: mqtt, url: "mqtt://${BROKER:-127.0.0.1}:1883", password_file: pw, username: u }
          erp: { protocol: kafka, bootstrap_servers: "127.0.0.1:9092" }
        routes:
          - name: batch-events
            from: { connection: plant, topic: "plant/+/batch/#" }
            to:
              - { connection: erp, topic: plant.batch, key: "{topic.1}" }
        """

    @Test("defaults, env substitution and *_file secrets")
    func defaults() throws {
        let loaded = try load(Self.minimal, files: ["/etc/mb/pw": "pa55\n"]).get()
        let c = loaded.config
        #expect(c.bridge.name == "message-bridge")
        #expect(c.bridge.instance == "host-1")
        #expect(c.bridge.http == HostPort(host: "127.0.0.1", port: 9464))
        #expect(c.bridge.maxInFlight == 1024)
        #expect(c.bridge.maxMessageSize == 1_000_000)
        guard case .mqtt(let m) = c.connections[0].settings else { Issue.record("not mqtt"); return }
        #expect(m.urls[0].host == "127.0.0.1")
        #expect(m.password?.value == "pa55")
        #expect(m.clientID == "message-bridge")
        #expect(m.version == .v5)
        guard case .kafka(let k) = c.connections[1].settings else { Issue.record("not kafka"); return }
        #expect(k.groupID == "message-bridge")
        let route = c.routes[0]
        #expect(route.onError.exhausted == .block)
        #expect(route.onError.attempts == 5)
        let policy = try route.deliveryPolicy(bridge: c.bridge, sourceProtocol: .mqtt)
        #expect(policy.ackOrder == .ordered)
        #expect(policy.maxInFlight == 1024)
        let overridden = try load(Self.minimal, env: ["BROKER": "broker.plant"], files: ["/etc/mb/pw": "x"]).get()
        guard case .mqtt(let m2) = overridden.config.connections[0].settings else { return }
        #expect(m2.urls[0].host == "broker.plant")
    }

    @Test("sizes and durations use powers of ten and two as written", arguments: [
        ("512KB", 512_000), ("1MB", 1_000_000), ("512KiB", 524_288), ("1MiB", 1_048_576), ("100", 100),
    ])
    func sizes(text: String, bytes: Int) {
        #expect(Units.size(text) == bytes)
    }

    @Test("durations")
    func durations() {
        #expect(Units.duration("250ms") == .milliseconds(250))
        #expect(Units.duration("10s") == .seconds(10))
        #expect(Units.duration("5m") == .minutes(5))
        #expect(Units.duration("1h") == .hours(1))
        #expect(Units.duration("10") == nil)
        #expect(Units.duration("1.5s") == nil)
    }

    @Test("a missing secret file and an unset variable are both reported, with lines")
    func missingSecret() throws {
        let yaml = Self.minimal.replacingOccurrences(of: "${BROKER:-127.0.0.1}", with: "${BROKER}")
        guard case .failure(let errors) = load(yaml) else { Issue.record("expected errors"); return }
        #expect(errors.errors.count == 2)
        #expect(errors.errors.contains { $0.path == "connections.plant.password_file" && $0.line == 3 })
        #expect(errors.errors.contains { $0.path == "connections.plant.url" && $0.message.contains("BROKER") })
    }

    @Test("two MQTT connections to one broker with one client id are refused; distinct ids or brokers pass")
    func mqttClientIDsCollide() throws {
        func file(_ a: String, _ b: String) -> String {
            """
            version: 1
            bridge: { name: plant }
            connections:
              a: { protocol: mqtt, url: "mqtt://127.0.0.1:1883"\(a) }
              b:
                protocol: mqtt
                url: "mqtt://127.0.0.1:\(b)"
            routes:
              - name: r
                from: { connection: a, topic: "in/x" }
                to: { connection: b, topic: out }
            """
        }
        guard case .failure(let errors) = load(file("", "1883")) else { Issue.record("expected an error"); return }
        #expect(errors.errors.count == 1)
        let error = try #require(errors.errors.first)
        #expect(error.path == "connections.b.client_id")
        #expect(error.line == 5)
        #expect(error.message.contains("'a' and 'b'") && error.message.contains("127.0.0.1:1883") && error.message.contains("'plant'"))
        #expect(error.hint == "set a different client_id on one of them")
        // A second broker, or a client id of its own, is fine.
        #expect((try? load(file("", "1893")).get()) != nil)
        #expect((try? load(file(", client_id: plant-a", "1883")).get()) != nil)
    }

    @Test("reserved librdkafka properties are refused with the reason")
    func reservedKafkaProperties() {
        let yaml = """
            version: 1
            connections:
              erp:
                protocol: kafka
                bootstrap_servers: 127.0.0.1:9092
                properties: { acks: "1", enable.auto.offset.store: "true", sasl.password: "x" }
            routes:
              - name: r
                from: { connection: erp, topic: a }
                to: { connection: erp, topic: b }
            """
        guard case .failure(let errors) = load(yaml) else { Issue.record("expected errors"); return }
        #expect(errors.errors.map(\.path).sorted() == ["connections.erp.properties.acks", "connections.erp.properties.enable.auto.offset.store"])
    }

    @Test("AMQP URLs: vhost, credentials redacted, default port")
    func amqpURL() throws {
        let url = try BrokerURL.parse("amqp://guest:se%2Fcret@rabbit/%2f", defaultPorts: ["amqp": 5672]).get()
        #expect(url.port == 5672)
        #expect(url.password?.value == "se/cret")
        #expect(AMQPConnectionSettings.vhost(of: url) == "/")
        #expect(url.description == "amqp://guest:***@rabbit:5672/%2F")
        let b = try BrokerURL.parse("amqps://u:p@[::1]:5671/b", defaultPorts: ["amqps": 5671]).get()
        #expect(b.host == "::1")
        #expect(AMQPConnectionSettings.vhost(of: b) == "b")
    }
}

@Suite("Environment substitution")
struct SubstitutionTests {
    func substitute(_ text: String, _ env: [String: String]) -> (String?, [ConfigError]) {
        let reader = YAMLReader(file: "f", environment: env)
        let value = reader.substitute(text, .scalar(.init(text)), "p")
        return (value, reader.errors)
    }

    @Test("${VAR}, ${VAR:-default}, nested defaults and unset variables")
    func substitution() {
        #expect(substitute("a-${X}-b", ["X": "1"]).0 == "a-1-b")
        #expect(substitute("${X:-d}", [:]).0 == "d")
        #expect(substitute("${X:-}", [:]).0 == "")
        #expect(substitute("${A:-${B}}", ["B": "b"]).0 == "b")
        #expect(substitute("${A:-${B:-c}}x", [:]).0 == "cx")
        #expect(substitute("${A:-${B}}", ["A": "a"]).0 == "a")
        let (value, errors) = substitute("${MISSING}", [:])
        #expect(value == nil)
        #expect(errors.count == 1 && errors[0].message.contains("MISSING"))
        #expect(substitute("${A", [:]).0 == nil)
        #expect(substitute("${1-x}", [:]).1.count == 1)
    }
}
