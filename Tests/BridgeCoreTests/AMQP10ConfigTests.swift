import NIOCore
import Testing

@testable import BridgeCore

/// `protocol: amqp10` connections and `from: { address }` / `to: { address }` (CONTRACT section 3).
@Suite("Route file: AMQP 1.0")
struct AMQP10ConfigTests {
    func load(_ yaml: String, env: [String: String] = [:]) -> Result<LoadedConfig, ConfigErrors> {
        let loader = ConfigLoader(environment: env, hostname: "host-1") { path in
            throw ConfigError(file: path, line: nil, column: nil, path: "", message: "no such file")
        }
        return loader.parse(yaml: yaml, file: "/etc/mb/routes.yaml")
    }

    static let valid = """
        version: 1
        connections:
          partner:
            protocol: amqp10
            url: amqps://bridge:${PARTNER_PASSWORD}@partner.example:5671
            idle_timeout: 20s
            reconnect: { initial: 250ms, max: 5s }
          plain:
            protocol: amqp10
            urls: [amqp://127.0.0.1, "amqp://guest:guest@127.0.0.2:5673"]
          plant: { protocol: mqtt, url: mqtt://127.0.0.1:1883 }
        routes:
          - name: in
            from: { connection: partner, address: /queue/orders }
            to:
              - { connection: plain, address: "/exchange/events/{topic}" }
              - { connection: plant, topic: "orders/{route}" }
            on_error: { exhausted: reject }
          - name: out
            from: { connection: plant, topic: "plant/#" }
            to: { connection: partner, address: "/queue/{header.site}", allow: ["/queue/site-a", "/queue/site-b"] }
        """

    @Test("an amqp10 connection with address sources and destinations is accepted")
    func accepted() throws {
        let loaded = try load(Self.valid, env: ["PARTNER_PASSWORD": "s3cret"]).get()
        let config = loaded.config
        guard case .amqp10(let partner) = config.connection("partner")?.settings else {
            Issue.record("partner is not an amqp10 connection")
            return
        }
        #expect(partner.urls.map(\.description) == ["amqps://bridge:***@partner.example:5671"])
        #expect(partner.urls[0].password?.value == "s3cret")
        #expect(partner.urls[0].tls)
        #expect(partner.idleTimeout == .seconds(20))
        #expect(partner.reconnect == ReconnectSettings(initial: .milliseconds(250), max: .seconds(5)))
        guard case .amqp10(let plain) = config.connection("plain")?.settings else {
            Issue.record("plain is not an amqp10 connection")
            return
        }
        #expect(plain.urls.map(\.port) == [5672, 5673])
        #expect(plain.idleTimeout == .seconds(30))
        #expect(plain.reconnect == .default)

        let route = try #require(config.routes.first { $0.name == "in" })
        guard case .amqp10(let source) = route.source else {
            Issue.record("the source is not amqp10")
            return
        }
        #expect(source.connection == "partner")
        #expect(source.address == "/queue/orders")
        #expect(route.onError.exhausted == .reject)
        guard case .amqp10(let address) = route.destinations[0].target else {
            Issue.record("the destination is not amqp10")
            return
        }
        #expect(address.source == "/exchange/events/{topic}")
        #expect(route.destinations[0].description == "plain//exchange/events/{topic}")
        let out = try #require(config.routes.first { $0.name == "out" })
        #expect(out.destinations[0].allow != nil)
        // The summary names the addresses and redacts the password.
        let summary = config.summary()
        #expect(summary.contains("/queue/orders"))
        #expect(!summary.contains("s3cret"))
    }

    @Test("a computed address outside allow is not_allowed; an empty one is a template failure")
    func resolve() throws {
        let loaded = try load(Self.valid, env: ["PARTNER_PASSWORD": "x"]).get()
        let out = try #require(loaded.config.routes.first { $0.name == "out" })
        var envelope = Envelope(
            payload: ByteBuffer(string: "p"), source: SourceRef(protocol: .mqtt, connection: "plant", topic: "plant/a"), bridgeID: "b"
        )
        envelope.headers.append("site", .string("site-a"))
        #expect(try out.destinations[0].resolve(envelope, route: "out").get() == .amqp10(address: "/queue/site-a"))
        envelope.headers = [("site", .string("site-c"))]
        guard case .failure(let failure) = out.destinations[0].resolve(envelope, route: "out") else {
            Issue.record("expected not_allowed")
            return
        }
        #expect(failure.reason == .notAllowed)
    }

    struct Broken: CustomTestStringConvertible, Sendable {
        var name: String
        var yaml: String
        var path: String
        var line: Int
        var column: Int
        var testDescription: String { name }
    }

    static let broken: [Broken] = [
        Broken(name: "a source without an address", yaml: """
            version: 1
            connections:
              partner: { protocol: amqp10, url: "amqp://127.0.0.1" }
            routes:
              - name: a
                from: { connection: partner }
                to: { connection: partner, address: b }
            """, path: "routes[0].from.address", line: 6, column: 11),
        Broken(name: "an empty source address", yaml: """
            version: 1
            connections:
              partner: { protocol: amqp10, url: "amqp://127.0.0.1" }
            routes:
              - name: a
                from: { connection: partner, address: "" }
                to: { connection: partner, address: b }
            """, path: "routes[0].from.address", line: 6, column: 43),
        Broken(name: "an empty destination address", yaml: """
            version: 1
            connections:
              partner: { protocol: amqp10, url: "amqp://127.0.0.1" }
            routes:
              - name: a
                from: { connection: partner, address: a }
                to: { connection: partner, address: "" }
            """, path: "routes[0].to.address", line: 7, column: 41),
        Broken(name: "a 0-9-1 key on an amqp10 source", yaml: """
            version: 1
            connections:
              partner: { protocol: amqp10, url: "amqp://127.0.0.1" }
            routes:
              - name: a
                from: { connection: partner, address: a, queue: q }
                to: { connection: partner, address: b }
            """, path: "routes[0].from.queue", line: 6, column: 46),
        Broken(name: "an unknown placeholder in the address", yaml: """
            version: 1
            connections:
              partner: { protocol: amqp10, url: "amqp://127.0.0.1" }
            routes:
              - name: a
                from: { connection: partner, address: a }
                to: { connection: partner, address: "/queue/{nope}" }
            """, path: "routes[0].to.address", line: 7, column: 41),
        Broken(name: "a mqtt:// URL on an amqp10 connection", yaml: """
            version: 1
            connections:
              partner: { protocol: amqp10, url: "mqtt://127.0.0.1" }
            routes:
              - name: a
                from: { connection: partner, address: a }
                to: { connection: partner, address: b }
            """, path: "connections.partner.url", line: 3, column: 37),
        Broken(name: "a 0-9-1 key on an amqp10 connection", yaml: """
            version: 1
            connections:
              partner: { protocol: amqp10, url: "amqp://127.0.0.1", prefetch: 10 }
            routes:
              - name: a
                from: { connection: partner, address: a }
                to: { connection: partner, address: b }
            """, path: "connections.partner.prefetch", line: 3, column: 57),
        Broken(name: "a bad idle timeout", yaml: """
            version: 1
            connections:
              partner: { protocol: amqp10, url: "amqp://127.0.0.1", idle_timeout: soon }
            routes:
              - name: a
                from: { connection: partner, address: a }
                to: { connection: partner, address: b }
            """, path: "connections.partner.idle_timeout", line: 3, column: 71),
        Broken(name: "two routes reading one address", yaml: """
            version: 1
            connections:
              partner: { protocol: amqp10, url: "amqp://127.0.0.1" }
            routes:
              - name: a
                from: { connection: partner, address: q }
                to: { connection: partner, address: b }
              - name: b
                from: { connection: partner, address: q }
                to: { connection: partner, address: c }
            """, path: "routes[1].from", line: 9, column: 11),
        Broken(name: "a header template without allow", yaml: """
            version: 1
            connections:
              partner: { protocol: amqp10, url: "amqp://127.0.0.1" }
            routes:
              - name: a
                from: { connection: partner, address: a }
                to: { connection: partner, address: "/queue/{header.x}" }
            """, path: "routes[0].to.allow", line: 7, column: 9),
    ]

    @Test("errors name the file, line, column and key path", arguments: broken)
    func brokenFile(_ broken: Broken) {
        guard case .failure(let errors) = load(broken.yaml) else {
            Issue.record("expected an error at \(broken.path)")
            return
        }
        let match = errors.errors.first { $0.path == broken.path }
        #expect(match != nil, "no error at \(broken.path): \(errors)")
        #expect(match?.file == "/etc/mb/routes.yaml")
        #expect(match?.line == broken.line, "\(errors)")
        #expect(match?.column == broken.column, "\(errors)")
    }
}
