import Foundation
import Testing

/// AMQP 1.0 routes through real `message-bridge run` processes, against two independent
/// peers: RabbitMQ 3.10's AMQP 1.0 plugin (the shared broker, addresses `/queue/NAME`) and
/// a small broker written with python-qpid-proton (`Support/amqp10_broker.py`, SASL
/// ANONYMOUS, idle timeout 4 s). Messages are sent and read with python-qpid-proton, not
/// with our own codec. Each test moves 10,000 messages and checks that none is lost and
/// that every mapped property arrives (CONTRACT section 4, AMQP 1.0 column).
@Suite(
    .serialized, .timeLimit(.minutes(4)),
    .enabled(if: BrokerEnvironment.isConfigured, BrokerEnvironment.disabledReason)
)
struct AMQP10BridgeTests {
    enum Peer: String, CaseIterable, CustomTestStringConvertible, Sendable {
        case rabbitmq
        case qpidProton = "qpid-proton"
        var testDescription: String { rawValue }
    }

    static let total = 10_000

    let brokers: BrokerEnvironment
    let tag = "a10" + UUID().uuidString.prefix(6).lowercased()
    let directory: URL
    let python: AMQP10TestBroker

    init() throws {
        brokers = try BrokerEnvironment.load()
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("amqp10-\(tag)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        python = try AMQP10TestBroker(directory: directory)
    }

    /// The URL of a peer: RabbitMQ with guest/guest (SASL PLAIN), the python broker without
    /// credentials (SASL ANONYMOUS).
    func url(_ peer: Peer) throws -> String {
        switch peer {
        case .rabbitmq:
            let (host, port) = try brokers.endpoint("AMQP_URL")
            return "amqp://guest:guest@\(host):\(port)"
        case .qpidProton:
            return python.url
        }
    }

    /// A fresh address on a peer (RabbitMQ declares `/queue/NAME` on attach).
    func address(_ peer: Peer, _ name: String) -> String {
        peer == .rabbitmq ? "/queue/\(name)-\(tag)" : "\(name)-\(tag)"
    }

    func waitConsuming(_ bridge: BridgeProcess, route: String) -> Bool {
        BridgeProcess.wait(30) { bridge.get("/readyz")?.contains(#""\#(route)":"consuming""#) == true }
    }

    /// Waits until the route has been quiet (nothing received, nothing in flight) for 2 s.
    func waitQuiet(_ bridge: BridgeProcess, route: String, timeout: TimeInterval = 90) {
        var last = -1
        var since = Date()
        _ = BridgeProcess.wait(timeout) {
            let counts = RouteCounts(bridge.metrics(), route: route)
            if counts.received != last || counts.inFlight > 0 {
                last = counts.received
                since = Date()
                return false
            }
            return Date().timeIntervalSince(since) > 2
        }
    }

    /// Checks what the python client read against what it sent (`m-<tag>-<i>`).
    func checkReceived(_ records: [AMQP10Record], sentTag: String, source connection: String, _ comment: String) {
        var seen = Set<Int>()
        var wrong: [String] = []
        for record in records {
            guard let id = record.id, id.hasPrefix("m-\(sentTag)-"), let i = Int(id.dropFirst("m-\(sentTag)-".count)) else {
                wrong.append("unexpected id \(record.id ?? "nil")")
                continue
            }
            seen.insert(i)
            var problems: [String] = []
            if record.text != "payload-\(i)" || !record.inferred { problems.append("body \(record.text ?? "nil")") }
            if record.content_type != "text/plain" { problems.append("content-type \(record.content_type ?? "nil")") }
            if record.correlation_id != "c-\(i)" { problems.append("correlation-id \(record.correlation_id ?? "nil")") }
            if record.reply_to != "/queue/replies" { problems.append("reply-to") }
            if record.creation_time_ms != 1_700_000_000_123 { problems.append("creation-time \(record.creation_time_ms ?? 0)") }
            if !((3_000_000...3_600_000).contains(record.ttl_ms ?? 0)) { problems.append("ttl \(record.ttl_ms ?? 0)") }
            if !record.durable { problems.append("not durable") }
            if record.annotations["x-opt-partition-key"] != "k-\(i)" { problems.append("key \(record.annotations)") }
            if record.properties["seq"] != .int(Int64(i)) { problems.append("seq \(String(describing: record.properties["seq"]))") }
            if record.properties["site"] != .string("site-\(i % 3)") { problems.append("site") }
            if record.properties["flag"] != .bool(true) { problems.append("flag \(String(describing: record.properties["flag"]))") }
            if record.properties["traceparent"] != .string(String(format: "00-%032x-%016x-01", i + 1, i + 1)) { problems.append("traceparent") }
            if record.properties["bridge-id"] != .string("amqp10:\(connection):\(id)") { problems.append("bridge-id \(String(describing: record.properties["bridge-id"]))") }
            if record.properties["bridge-hops"] != .int(1) { problems.append("bridge-hops") }
            if !problems.isEmpty { wrong.append("\(id): \(problems.joined(separator: ", "))") }
        }
        let lost = Self.total - seen.count
        print("AMQP 1.0 \(comment): \(Self.total) sent, \(records.count) received, lost \(lost), duplicates \(records.count - seen.count)")
        #expect(lost == 0, "\(comment): lost \(lost) of \(Self.total)")
        #expect(wrong.isEmpty, "\(comment): \(wrong.count) messages differ, e.g. \(wrong.prefix(3))")
    }

    @Test("AMQP 1.0 → Kafka: 10,000 messages, key and properties as Kafka key and headers", arguments: Peer.allCases)
    func toKafka(_ peer: Peer) throws {
        let cluster = try KafkaMockCluster(topics: ["a10.out": 3], brokers: 1)
        let source = address(peer, "to-kafka")
        let sentTag = "k\(tag)"
        try AMQP10Peer.send(url: try url(peer), address: source, count: Self.total, tag: sentTag)
        let bridge = try BridgeProcess(name: "to-kafka-\(peer.rawValue)", yaml: """
            version: 1
            bridge: { name: \(tag), instance: k, http: "127.0.0.1:{{PORT}}", shutdown_timeout: 5s }
            connections:
              src: { protocol: amqp10, url: "\(try url(peer))", idle_timeout: 10s }
              k: { protocol: kafka, bootstrap_servers: "\(cluster.bootstrap)" }
            routes:
              - name: a10k
                from: { connection: src, address: "\(source)" }
                to: { connection: k, topic: a10.out }
                max_in_flight: 500
            """, directory: directory)
        defer { _ = bridge.terminate() }
        let records = try KafkaTestClient.consume("a10.out", partitions: 3, bootstrap: cluster.bootstrap, timeout: 90) { $0.count >= Self.total }
        var seen = Set<String>()
        var wrong: [String] = []
        for record in records {
            guard let id = record.header("message-id"), let i = Int(id.split(separator: "-").last ?? "") else {
                wrong.append("no message-id")
                continue
            }
            seen.insert(id)
            var problems: [String] = []
            if record.text != "payload-\(i)" { problems.append("value \(record.text)") }
            if record.key.map({ String(decoding: $0, as: UTF8.self) }) != "k-\(i)" { problems.append("key") }
            if record.header("content-type") != "text/plain" { problems.append("content-type") }
            if record.header("correlation-id") != "c-\(i)" { problems.append("correlation-id") }
            if record.header("reply-to") != "/queue/replies" { problems.append("reply-to") }
            if record.timestamp != 1_700_000_000_123 { problems.append("timestamp \(record.timestamp)") }
            if record.header("seq") != String(i) || record.header("site") != "site-\(i % 3)" || record.header("flag") != "true" {
                problems.append("application-properties \(record.headers.map(\.name))")
            }
            if record.header("bridge-id") != "amqp10:src:\(id)" { problems.append("bridge-id \(record.header("bridge-id") ?? "nil")") }
            if record.header("bridge-hops") != "1" { problems.append("bridge-hops") }
            if !problems.isEmpty { wrong.append("\(id): \(problems.joined(separator: ", "))") }
        }
        print("AMQP 1.0 (\(peer.rawValue)) → Kafka: \(Self.total) sent, \(records.count) records, lost \(Self.total - seen.count)")
        #expect(seen.count == Self.total, "lost \(Self.total - seen.count): \(bridge.logTail)")
        #expect(wrong.isEmpty, "\(wrong.count) records differ, e.g. \(wrong.prefix(3))")
        waitQuiet(bridge, route: "a10k", timeout: 10)
        let counts = RouteCounts(bridge.metrics(), route: "a10k")
        #expect(counts.acked == Self.total && counts.balanced, "\(counts)")
        #expect(bridge.terminate() == 0, "SIGTERM exits 0: \(bridge.logTail)")
    }

    @Test("MQTT 5 → AMQP 1.0: 10,000 messages, user properties as application-properties", arguments: Peer.allCases)
    func fromMQTT(_ peer: Peer) throws {
        let destination = address(peer, "from-mqtt")
        let mqtt = try brokers["MQTT_URL"]
        let bridge = try BridgeProcess(name: "from-mqtt-\(peer.rawValue)", yaml: """
            version: 1
            bridge: { name: \(tag), instance: m, http: "127.0.0.1:{{PORT}}", shutdown_timeout: 5s }
            connections:
              m: { protocol: mqtt, url: "\(mqtt)", mqtt_version: 5, session_expiry: 1h }
              dst: { protocol: amqp10, url: "\(try url(peer))", idle_timeout: 10s }
            routes:
              - name: m2a
                from: { connection: m, topic: "in-\(tag)/#" }
                to: { connection: dst, address: "\(destination)" }
                max_in_flight: 500
            """, directory: directory)
        defer { _ = bridge.terminate() }
        #expect(waitConsuming(bridge, route: "m2a"), "route not consuming: \(bridge.logTail)")
        let lines = (1...Self.total).map(String.init).joined(separator: "\n") + "\n"
        let published = try ProcessRunner.run(
            [
                "mosquitto_pub", "-L", "\(mqtt)/in-\(tag)/x", "-V", "5", "-q", "1", "-l",
                "-D", "publish", "user-property", "site", "plant-7",
                "-D", "publish", "content-type", "text/plain",
                "-D", "publish", "correlation-data", "corr-1",
                "-D", "publish", "response-topic", "replies/x",
            ],
            input: lines, timeout: .seconds(120)
        )
        #expect(published.succeeded, "\(published)")
        let records = try AMQP10Peer.receive(url: try url(peer), address: destination, count: Self.total, idle: 15)
        var seen = Set<String>()
        var wrong: [String] = []
        for record in records {
            let text = record.text ?? ""
            seen.insert(text)
            var problems: [String] = []
            if record.properties["site"] != .string("plant-7") { problems.append("site \(String(describing: record.properties["site"]))") }
            if record.content_type != "text/plain" { problems.append("content-type") }
            if record.correlation_id != "corr-1" { problems.append("correlation-id \(record.correlation_id ?? "nil")") }
            if record.reply_to != "replies/x" { problems.append("reply-to") }
            if !record.durable { problems.append("durable") }
            guard case .string(let id)? = record.properties["bridge-id"], id.hasPrefix("mqtt:") else {
                wrong.append("\(text): bridge-id \(String(describing: record.properties["bridge-id"]))")
                continue
            }
            if record.properties["bridge-hops"] != .int(1) { problems.append("bridge-hops") }
            if !problems.isEmpty { wrong.append("\(text): \(problems.joined(separator: ", "))") }
        }
        let lost = (1...Self.total).filter { !seen.contains(String($0)) }.count
        print("MQTT → AMQP 1.0 (\(peer.rawValue)): \(Self.total) sent, \(records.count) received, lost \(lost)")
        #expect(lost == 0, "lost \(lost): \(bridge.logTail)")
        #expect(wrong.isEmpty, "\(wrong.count) messages differ, e.g. \(wrong.prefix(3))")
        #expect(bridge.terminate() == 0, "SIGTERM exits 0: \(bridge.logTail)")
    }

    @Test(
        "AMQP 1.0 → AMQP 1.0 across peers: 10,000 messages, the bridge SIGKILLed mid-stream and restarted, none lost",
        arguments: [(Peer.rabbitmq, Peer.qpidProton), (Peer.qpidProton, Peer.rabbitmq)]
    )
    func amqp10ToAMQP10(_ from: Peer, _ to: Peer) throws {
        let source = address(from, "a2a-in")
        let destination = address(to, "a2a-out")
        let sentTag = "s\(tag)"
        try AMQP10Peer.send(url: try url(from), address: source, count: Self.total, tag: sentTag)
        let yaml = """
            version: 1
            bridge: { name: \(tag), instance: a, http: "127.0.0.1:{{PORT}}", shutdown_timeout: 5s }
            connections:
              src: { protocol: amqp10, url: "\(try url(from))", idle_timeout: 10s }
              dst: { protocol: amqp10, url: "\(try url(to))", idle_timeout: 10s }
            routes:
              - name: a2a
                from: { connection: src, address: "\(source)" }
                to: { connection: dst, address: "\(destination)" }
                max_in_flight: 300
            """
        let first = try BridgeProcess(name: "a2a-\(from.rawValue)-1", yaml: yaml, directory: directory)
        _ = BridgeProcess.wait(60) { RouteCounts(first.metrics(), route: "a2a").acked >= 2000 }
        let before = RouteCounts(first.metrics(), route: "a2a")
        first.sigkill()
        #expect(before.acked >= 1 && before.acked < Self.total, "not mid-stream: \(before)")
        let second = try BridgeProcess(name: "a2a-\(from.rawValue)-2", yaml: yaml, directory: directory)
        defer { _ = second.terminate() }
        #expect(waitConsuming(second, route: "a2a"), "restarted route not consuming: \(second.logTail)")
        // Every distinct message, or 10 s without one; then the restarted bridge is at rest.
        let records = try AMQP10Peer.receive(url: try url(to), address: destination, count: Self.total, idle: 10, unique: true)
        waitQuiet(second, route: "a2a", timeout: 20)
        let after = RouteCounts(second.metrics(), route: "a2a")
        checkReceived(records, sentTag: sentTag, source: "src", "\(from.rawValue) → \(to.rawValue), SIGKILL after \(before.acked) acked, then \(after.received) received by the restarted bridge")
        #expect(after.balanced, "\(after)")
        #expect(second.terminate() == 0, "SIGTERM exits 0: \(second.logTail)")
    }

    @Test("a destination that rejects: a permanent failure without retries; exhausted: reject settles the source with rejected")
    func rejected() throws {
        let count = 200
        let source = address(.qpidProton, "rej-in")
        try AMQP10Peer.send(url: python.url, address: source, count: count, tag: "r\(tag)")
        let bridge = try BridgeProcess(name: "rejected", yaml: """
            version: 1
            bridge: { name: \(tag), instance: r, http: "127.0.0.1:{{PORT}}", shutdown_timeout: 5s }
            connections:
              peer: { protocol: amqp10, url: "\(python.url)", idle_timeout: 10s }
            routes:
              - name: rej
                from: { connection: peer, address: "\(source)" }
                to: { connection: peer, address: "/reject/\(tag)" }
                max_in_flight: 50
                on_error: { retry: { attempts: 5, backoff: 1s }, exhausted: reject }
            """, directory: directory)
        defer { _ = bridge.terminate() }
        func sample(_ name: String, _ labels: [String]) -> Double {
            bridge.metrics().first { $0.key.hasPrefix(name + "{") && labels.allSatisfy($0.key.contains) }?.value ?? 0
        }
        let settled = BridgeProcess.wait(30) { sample("bridge_messages_dropped_total", [#"route="rej""#, #"reason="rejected""#]) >= Double(count) }
        waitQuiet(bridge, route: "rej", timeout: 10)
        let failed = sample("bridge_messages_failed_total", [#"route="rej""#, #"reason="rejected""#])
        let retried = sample("bridge_messages_retried_total", [#"route="rej""#])
        #expect(settled, "not every message was rejected: \(bridge.logTail)")
        #expect(failed == Double(count), "each message failed once, as permanent: \(failed)")
        #expect(retried == 0, "a rejected publish is not retried: \(retried)")
        // The source settled them with `rejected`: the peer dropped them, nothing comes back.
        #expect(try AMQP10Peer.receive(url: python.url, address: source, count: 1, idle: 2).isEmpty)
        #expect(bridge.terminate() == 0, "SIGTERM exits 0: \(bridge.logTail)")
    }

    @Test("the destination peer down: link credit holds the source at the window; restarted, the bridge reconnects and delivers everything")
    func reconnect() throws {
        let count = 300
        let window = 50
        var destination = try AMQP10TestBroker(directory: directory)
        let port = destination.port
        let source = address(.qpidProton, "rc-in")
        let bridge = try BridgeProcess(name: "reconnect", yaml: """
            version: 1
            bridge: { name: \(tag), instance: c, http: "127.0.0.1:{{PORT}}", shutdown_timeout: 5s }
            connections:
              src: { protocol: amqp10, url: "\(python.url)", idle_timeout: 10s }
              dst: { protocol: amqp10, url: "\(destination.url)", idle_timeout: 10s, reconnect: { initial: 100ms, max: 1s } }
            routes:
              - name: rc
                from: { connection: src, address: "\(source)" }
                to: { connection: dst, address: "rc-out" }
                max_in_flight: \(window)
                on_error: { retry: { attempts: 3, backoff: 100ms, max_backoff: 500ms } }
            """, directory: directory)
        defer { _ = bridge.terminate() }
        #expect(waitConsuming(bridge, route: "rc"), "route not consuming: \(bridge.logTail)")
        try AMQP10Peer.send(url: python.url, address: source, count: count, tag: "a\(tag)")
        #expect(BridgeProcess.wait(30) { RouteCounts(bridge.metrics(), route: "rc").acked == count }, "first batch: \(bridge.logTail)")
        destination.kill()
        #expect(BridgeProcess.wait(10) { bridge.get("/readyz")?.contains(#""dst":"down""#) == true }, "the lost connection is not reported: \(bridge.get("/readyz") ?? "")")
        // While the destination is down, the source peer may only send the window.
        try AMQP10Peer.send(url: python.url, address: source, count: count, start: count, tag: "b\(tag)")
        _ = BridgeProcess.wait(10) { RouteCounts(bridge.metrics(), route: "rc").inFlight >= window }
        Thread.sleep(forTimeInterval: 1)
        let held = RouteCounts(bridge.metrics(), route: "rc")
        #expect(held.inFlight == window && held.received == count + window, "link credit is not the window: \(held)")
        destination = try AMQP10TestBroker(directory: directory, port: port)
        let records = try AMQP10Peer.receive(url: destination.url, address: "rc-out", count: count, idle: 15, unique: true)
        let ids = Set(records.compactMap(\.id))
        #expect(ids == Set((count..<(2 * count)).map { "m-b\(tag)-\($0)" }), "after the restart: \(ids.count) of \(count): \(bridge.logTail)")
        let reconnects = bridge.metrics().first { $0.key.hasPrefix("bridge_connection_reconnects_total{") && $0.key.contains(#"connection="dst""#) }?.value ?? 0
        #expect(reconnects >= 1, "bridge_connection_reconnects_total{connection=dst} \(reconnects)")
        #expect(BridgeProcess.wait(10) { bridge.get("/readyz")?.contains(#""status":"ready""#) == true }, "not ready again: \(bridge.get("/readyz") ?? "")")
    }

    /// One settlement the python peer logged for a message the bridge gave back.
    struct Settled: Decodable {
        var settled: String
        var outcome: String
        var delivery_failed: Bool
        var delivery_count: Int
    }

    @Test("shutdown gives back a message a destination failed transiently as modified (delivery-failed), one never attempted as released; a restart delivers them all")
    func modifiedOnShutdown() throws {
        let count = 10
        let window = 5
        let source = address(.qpidProton, "mod-in")
        let topic = "a10/\(tag)/held"
        let sentTag = "d\(tag)"
        let mqtt = try brokers["MQTT_URL"]
        try AMQP10Peer.send(url: python.url, address: source, count: count, tag: sentTag)
        // No subscriber on the topic: mosquitto answers "no matching subscribers", a transient
        // failure. `ordering: strict` publishes one message at a time, so only the head of
        // the window is ever attempted.
        let yaml = """
            version: 1
            bridge: { name: \(tag), instance: d, http: "127.0.0.1:{{PORT}}", shutdown_timeout: 1s }
            connections:
              peer: { protocol: amqp10, url: "\(python.url)", idle_timeout: 10s }
              mq: { protocol: mqtt, url: "\(mqtt)", mqtt_version: 5 }
            routes:
              - name: mod
                from: { connection: peer, address: "\(source)" }
                to: { connection: mq, topic: "\(topic)", qos: 1, require_subscribers: true }
                max_in_flight: \(window)
                ordering: strict
                on_error: { retry: { attempts: 1000, backoff: 50ms, max_backoff: 200ms } }
            """
        let first = try BridgeProcess(name: "modified-1", yaml: yaml, directory: directory)
        defer { _ = first.terminate() }
        func failed() -> Double {
            first.metrics().first { $0.key.hasPrefix("bridge_messages_failed_total{") && $0.key.contains(#"route="mod""#) }?.value ?? 0
        }
        #expect(BridgeProcess.wait(10) { failed() >= 2 && RouteCounts(first.metrics(), route: "mod").inFlight == window }, "the head never failed: \(first.logTail)")
        #expect(first.terminate() == 0, "SIGTERM exits 0: \(first.logTail)")
        let decoder = JSONDecoder()
        let settled = python.logText.split(separator: "\n").compactMap { try? decoder.decode(Settled.self, from: Data($0.utf8)) }
            .filter { $0.settled.hasPrefix("m-\(sentTag)-") }
        let byID = Dictionary(settled.map { ($0.settled, $0) }, uniquingKeysWith: { a, _ in a })
        #expect(settled.count == window, "the window comes back, each once: \(settled)")
        let head = byID["m-\(sentTag)-0"]
        #expect(head?.outcome == "modified" && head?.delivery_failed == true && head?.delivery_count == 1, "the failed head: \(String(describing: head))")
        for i in 1..<window {
            let other = byID["m-\(sentTag)-\(i)"]
            #expect(other?.outcome == "released" && other?.delivery_failed == false && other?.delivery_count == 0, "never attempted: \(String(describing: other))")
        }
        // The destination fixed (a subscriber), a restarted bridge delivers all of them.
        let collector = try MQTTCollector(url: "\(mqtt)/\(topic)", file: directory.appendingPathComponent("mod-\(tag).txt"))
        defer { collector.stop() }
        let second = try BridgeProcess(name: "modified-2", yaml: yaml, directory: directory)
        defer { _ = second.terminate() }
        let all = Set((0..<count).map { "payload-\($0)" })
        #expect(BridgeProcess.wait(10) { Set(collector.lines.map(String.init)).isSuperset(of: all) }, "after the restart: \(collector.lines): \(second.logTail)")
        #expect(BridgeProcess.wait(5) { RouteCounts(second.metrics(), route: "mod").acked == count }, "\(RouteCounts(second.metrics(), route: "mod"))")
        #expect(second.terminate() == 0, "SIGTERM exits 0: \(second.logTail)")
        #expect(try AMQP10Peer.receive(url: python.url, address: source, count: 1, idle: 1).isEmpty, "the peer still holds messages")
    }
}
