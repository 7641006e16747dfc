import Foundation
import Testing

/// SIGHUP through a real `message-bridge run` process against RabbitMQ: a replaced or removed
/// AMQP 0-9-1 route gives back its channels (the consumer's and one per AMQP destination)
/// while its connection stays open for the other routes, so repeated reloads do not pile
/// channels up on the broker; messages sent between the reloads all arrive.
@Suite(
    .serialized, .timeLimit(.minutes(1)),
    .enabled(if: BrokerEnvironment.isConfigured, BrokerEnvironment.disabledReason)
)
struct ReloadAMQPChannelTests {
    let brokers: BrokerEnvironment
    let tag = "rc" + UUID().uuidString.prefix(6).lowercased()
    let directory: URL

    init() throws {
        brokers = try BrokerEnvironment.load()
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("reload-amqp-\(tag)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    /// `main` reads `<tag>.in` into amq.topic with routing key `<tag>.out.<version>`;
    /// `extra`, when present, reads `<tag>.in2` into `<tag>.out.extra`.
    func yaml(version: Int, extra: Bool) throws -> String {
        var text = """
            version: 1
            bridge: { name: \(tag), instance: r1, http: "127.0.0.1:{{PORT}}", shutdown_timeout: 5s }
            connections:
              mq: { protocol: amqp, url: "\(try brokers["AMQP_URL"])" }
            routes:
              - name: main
                from:
                  connection: mq
                  queue: \(tag).in
                  declare: { durable: false, bindings: [ { exchange: amq.topic, routing_key: "\(tag).in.#" } ] }
                to: { connection: mq, exchange: amq.topic, routing_key: "\(tag).out.v\(version)" }

            """
        if extra {
            text += """
                  - name: extra
                    from:
                      connection: mq
                      queue: \(tag).in2
                      declare: { durable: false, bindings: [ { exchange: amq.topic, routing_key: "\(tag).in2.#" } ] }
                    to: { connection: mq, exchange: amq.topic, routing_key: "\(tag).out.extra" }

                """
        }
        return text
    }

    /// The channels open on the bridge's connections (their `connection_name` starts with
    /// `<tag>-r1-`), and how many such connections there are; nil when rabbitmqctl fails.
    func bridgeChannels() throws -> (connections: Int, channels: Int)? {
        let output = try ProcessRunner.run(
            [try brokers["RABBITMQCTL"], "list_connections", "client_properties", "channels", "-q", "--no-table-headers"]
        )
        guard output.succeeded else { return nil }
        var connections = 0
        var channels = 0
        for line in output.stdout.split(separator: "\n") where line.contains(#""connection_name","\#(tag)-r1-"#) {
            guard let count = line.split(separator: "\t").last.flatMap({ Int($0.trimmingCharacters(in: .whitespaces)) }) else { return nil }
            connections += 1
            channels += count
        }
        return (connections, channels)
    }

    /// Waits (up to 5 s) until the bridge has `channels` channels on its two connections.
    func settles(at channels: Int) throws -> (Bool, String) {
        var last: (connections: Int, channels: Int)?
        let deadline = Date().addingTimeInterval(5)
        repeat {
            last = try bridgeChannels()
            if let last, last.connections == 2, last.channels == channels { return (true, "\(last)") }
            Thread.sleep(forTimeInterval: 0.2)
        } while Date() < deadline
        return (false, "\(String(describing: last))")
    }

    func write(_ yaml: String, for bridge: BridgeProcess) throws {
        try yaml.replacingOccurrences(of: "{{PORT}}", with: String(bridge.port)).write(to: bridge.config, atomically: true, encoding: .utf8)
    }

    /// Sends SIGHUP and waits for the reload's `reloaded` line.
    func hangup(_ bridge: BridgeProcess) -> Bool {
        func count() -> Int { bridge.logText.components(separatedBy: #""msg":"reloaded""#).count - 1 }
        let before = count()
        kill(bridge.pid, SIGHUP)
        return BridgeProcess.wait(20) { count() > before }
    }

    @Test("SIGHUP: replaced and removed AMQP routes close their channels; the count returns to where it was; nothing lost")
    func reloadsDoNotLeakChannels() throws {
        let client = try AMQPTestClient(try brokers["AMQP_URL"])
        let out = "\(tag).out"
        try client.declareQueue(out, durable: false, bindings: [("amq.topic", "\(tag).out.#")])
        try client.consume(out)
        defer {
            for queue in [out, "\(tag).in", "\(tag).in2"] { client.deleteQueue(queue) }
            client.close()
        }
        let bridge = try BridgeProcess(name: "bridge", yaml: try yaml(version: 0, extra: true), directory: directory)
        defer { _ = bridge.terminate() }
        let ready = BridgeProcess.wait(20) { bridge.get("/readyz")?.contains(#""status":"ready""#) == true }
        try #require(ready, "never ready: \(bridge.logTail)")

        // Two routes: a consumer channel each on `-consume`, a confirm channel each on `-publish`.
        let (baseline, before) = try settles(at: 4)
        try #require(baseline, "the bridge's channels before any reload: \(before), expected 4 on 2 connections")

        var sent: [String] = []
        func send(_ round: Int) throws {
            for i in 1...5 {
                let body = "m\(round)-\(i)"
                #expect(try client.publish(exchange: "amq.topic", routingKey: "\(tag).in.x", body: body))
                sent.append(body)
            }
            let body = "e\(round)"
            #expect(try client.publish(exchange: "amq.topic", routingKey: "\(tag).in2.x", body: body))
        }
        try send(0)

        // 1. `main` changes its routing key, `extra` is removed: 2 channels left.
        try write(try yaml(version: 1, extra: false), for: bridge)
        #expect(hangup(bridge), "no reload line: \(bridge.logTail)")
        let (one, afterOne) = try settles(at: 2)
        #expect(one, "after replacing main and removing extra: \(afterOne), expected 2 channels")
        try send(1)

        // 2. `main` changes again, `extra` comes back; 3. `main` changes once more.
        try write(try yaml(version: 2, extra: true), for: bridge)
        #expect(hangup(bridge), "no reload line: \(bridge.logTail)")
        try send(2)
        try write(try yaml(version: 3, extra: true), for: bridge)
        #expect(hangup(bridge), "no reload line: \(bridge.logTail)")
        let (back, afterThree) = try settles(at: 4)
        #expect(back, "after three reloads: \(afterThree), expected the 4 channels of before")
        try send(3)

        // Every message of `main` arrives; `extra` forwarded what came while it existed, and
        // what was sent while it was removed waited in its queue.
        let extras = ["e0", "e1", "e2", "e3"]
        let messages = client.waitForMessages(from: out, count: sent.count + extras.count, timeout: 10)
        let got = Set(messages.map(\.text))
        let missing = (sent + extras).filter { !got.contains($0) }
        #expect(missing.isEmpty, "missing \(missing); \(bridge.logTail)")
        // After the last reload, `main` publishes with its newest routing key.
        #expect(messages.filter { $0.text.hasPrefix("m3-") }.allSatisfy { $0.routingKey == "\(tag).out.v3" })
        let log = bridge.logText
        #expect(log.contains(#""msg":"reload: route removed (drained)","route":"extra""#), "\(bridge.logTail)")
        #expect(!log.contains("AMQP consumer channel closed"), "a closed channel was reopened: \(bridge.logTail)")
        #expect(bridge.terminate() == 0)
    }
}
