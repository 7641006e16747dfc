import Foundation
import Testing

/// SIGHUP through a real `message-bridge run` process against mosquitto (CONTRACT section 8):
/// an invalid file is rejected with its errors and the routes keep running; an unchanged
/// route keeps flowing without a pause; a changed route is drained and replaced; an MQTT
/// source whose filter changed keeps its session; removed and added routes stop and start;
/// a changed connection restarts the routes that use it. Two paced streams run through
/// every reload, and every message of both arrives.
@Suite(
    .serialized, .timeLimit(.minutes(2)),
    .enabled(if: BrokerEnvironment.isConfigured, BrokerEnvironment.disabledReason)
)
struct ReloadTests {
    let brokers: BrokerEnvironment
    let tag = "rl" + UUID().uuidString.prefix(6).lowercased()
    let directory: URL

    init() throws {
        brokers = try BrokerEnvironment.load()
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("reload-\(tag)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    /// A mosquitto_sub writing `<unix time> <payload>` per message to a file.
    final class TimedCollector {
        let process = Process()
        let file: URL

        init(url: String, file: URL) throws {
            self.file = file
            FileManager.default.createFile(atPath: file.path, contents: nil)
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["stdbuf", "-oL", "mosquitto_sub", "-L", url, "-q", "1", "-F", "%U %t %p"]
            process.standardOutput = try FileHandle(forWritingTo: file)
            process.standardError = FileHandle.nullDevice
            process.standardInput = FileHandle.nullDevice
            try process.run()
        }

        /// (time, topic, payload) per message.
        var messages: [(time: Double, topic: Substring, payload: Substring)] {
            ((try? String(contentsOf: file, encoding: .utf8)) ?? "").split(separator: "\n").compactMap { line in
                let parts = line.split(separator: " ", maxSplits: 2)
                guard parts.count == 3, let time = Double(parts[0]) else { return nil }
                return (time, parts[1], parts[2])
            }
        }

        func stop() {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    /// Publishes 1...count to `url` at QoS 1, one message every ~20 ms, in the background.
    final class PacedPublisher {
        let process = Process()

        init(url: String, count: Int) throws {
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            process.arguments = ["-c", "for i in $(seq 1 \(count)); do echo $i; sleep 0.02; done | mosquitto_pub -L '\(url)' -q 1 -l"]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            process.standardInput = FileHandle.nullDevice
            try process.run()
        }

        func wait(_ seconds: TimeInterval) -> Bool {
            BridgeProcess.wait(seconds) { !process.isRunning }
        }

        func stop() {
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
        }
    }

    /// The route file: `steady` never changes; `changing` reads `filter`; `extra` is the
    /// route that comes or goes; `dstKeepalive` changes the destination connection.
    func yaml(filter: String, extra: String?, dstKeepalive: String = "5s") throws -> String {
        var text = """
            version: 1
            bridge: { name: \(tag), instance: r1, http: "127.0.0.1:{{PORT}}", shutdown_timeout: 5s }
            connections:
              src: { protocol: mqtt, url: "\(try brokers["MQTT_URL"])", mqtt_version: 5, session_expiry: 1h, keepalive: 5s }
              dst: { protocol: mqtt, url: "\(try brokers["MQTT2_URL"])", mqtt_version: 5, keepalive: \(dstKeepalive) }
              side: { protocol: mqtt, url: "\(try brokers["MQTT2_URL"])", mqtt_version: 5, keepalive: 5s, client_id: \(tag)-side }
            routes:
              - name: steady
                from: { connection: src, topic: "st-\(tag)/#" }
                to: { connection: side, topic: "out-\(tag)/steady" }
              - name: changing
                from: { connection: src, topic: "\(filter)" }
                to: { connection: side, topic: "out-\(tag)/changing/{topic.1}" }
              - name: via-dst
                from: { connection: src, topic: "vd-\(tag)/#" }
                to: { connection: dst, topic: "out-\(tag)/via-dst" }

            """
        if let extra {
            text += """
                  - name: \(extra)
                    from: { connection: src, topic: "\(extra)-\(tag)/#" }
                    to: { connection: side, topic: "out-\(tag)/\(extra)" }

                """
        }
        return text
    }

    func write(_ yaml: String, for bridge: BridgeProcess) throws {
        try yaml.replacingOccurrences(of: "{{PORT}}", with: String(bridge.port)).write(to: bridge.config, atomically: true, encoding: .utf8)
    }

    func count(_ text: String, in log: String) -> Int {
        log.components(separatedBy: text).count - 1
    }

    /// Sends SIGHUP and waits for the reload's last line (`reloaded` or `reload rejected`).
    func hangup(_ bridge: BridgeProcess) -> Bool {
        let before = count(#""msg":"reloaded""#, in: bridge.logText) + count("reload rejected", in: bridge.logText)
        kill(bridge.pid, SIGHUP)
        return BridgeProcess.wait(30) {
            count(#""msg":"reloaded""#, in: bridge.logText) + count("reload rejected", in: bridge.logText) > before
        }
    }

    func routes(_ bridge: BridgeProcess) -> String { bridge.get("/readyz") ?? "" }

    @Test("SIGHUP: invalid file kept out, unchanged route without a pause, changed routes drained and replaced, MQTT session kept, nothing lost")
    func reloadUnderLoad() throws {
        let src = try brokers["MQTT_URL"]
        let collector = try TimedCollector(url: "\(try brokers["MQTT2_URL"])/out-\(tag)/#", file: directory.appendingPathComponent("out.txt"))
        defer { collector.stop() }
        let bridge = try BridgeProcess(
            name: "bridge", yaml: try yaml(filter: "ch-\(tag)/a/#", extra: "gone"), directory: directory
        )
        defer { _ = bridge.terminate() }
        let ready = BridgeProcess.wait(30) { bridge.get("/readyz")?.contains(#""status":"ready""#) == true }
        try #require(ready, "never ready: \(bridge.logTail)")
        Thread.sleep(forTimeInterval: 0.5)

        let total = 600  // ~12 s at 20 ms
        let steady = try PacedPublisher(url: "\(src)/st-\(tag)/x", count: total)
        defer { steady.stop() }
        let changing = try PacedPublisher(url: "\(src)/ch-\(tag)/a", count: total)
        defer { changing.stop() }
        let viaDst = try PacedPublisher(url: "\(src)/vd-\(tag)/x", count: total)
        defer { viaDst.stop() }
        _ = BridgeProcess.wait(10) { collector.messages.count >= 100 }

        // 1. An invalid file: each error with file:line:column, the routes keep running.
        try write(try yaml(filter: "ch-\(tag)/a/#", extra: "gone") + "    max_in_flite: 5\n", for: bridge)
        #expect(hangup(bridge), "no reload line: \(bridge.logTail)")
        let log1 = bridge.logText
        #expect(log1.contains("reload rejected"), "\(bridge.logTail)")
        #expect(log1.contains("\(bridge.config.path):"), "errors do not name the file: \(bridge.logTail)")
        #expect(log1.range(of: #"\.yaml:\d+:\d+: routes\[3\]\.max_in_flite"#, options: .regularExpression) != nil, "no file:line:col: \(bridge.logTail)")
        #expect(routes(bridge).contains(#""gone":"consuming""#), "routes not kept: \(routes(bridge))")
        Thread.sleep(forTimeInterval: 0.5)

        // 2. `changing` gets a wider filter (covers the old one: no UNSUBSCRIBE), `gone` is
        // removed, `added` is added; `steady` and `via-dst` are unchanged.
        let reload2 = Date().timeIntervalSince1970
        try write(try yaml(filter: "ch-\(tag)/+/#", extra: "added"), for: bridge)
        #expect(hangup(bridge), "no reload line: \(bridge.logTail)")
        let log2 = bridge.logText
        #expect(log2.contains(#""msg":"reload: route changed: drained and replaced","route":"changing""#), "\(bridge.logTail)")
        #expect(log2.contains(#""msg":"reload: route removed (drained)","route":"gone""#), "\(bridge.logTail)")
        #expect(log2.contains(#""msg":"reload: route added","route":"added""#), "\(bridge.logTail)")
        #expect(log2.contains("filter changed on reload: subscribing the new one in the kept session"), "session not kept: \(bridge.logTail)")
        #expect(!log2.contains("unsubscribed the filter the reload replaced"), "covered filter unsubscribed")
        #expect(!log2.contains(#""route":"steady","why""#), "steady was drained: \(bridge.logTail)")
        let consuming = BridgeProcess.wait(15) {
            let r = routes(bridge)
            return r.contains(#""added":"consuming""#) && r.contains(#""changing":"consuming""#) && !r.contains(#""gone""#)
        }
        #expect(consuming, "after reload: \(routes(bridge))")
        let metrics = bridge.metrics()
        #expect(metrics["bridge_mqtt_sessions_lost_total{connection=\"src\"}"] == 0, "a session was lost")
        // The new filter takes more: a message on another level of it arrives.
        let b = try ProcessRunner.run(["mosquitto_pub", "-L", "\(src)/ch-\(tag)/b", "-q", "1", "-m", "on-b"])
        let a = try ProcessRunner.run(["mosquitto_pub", "-L", "\(src)/added-\(tag)/x", "-q", "1", "-m", "on-added"])
        #expect(b.succeeded && a.succeeded)

        // 3. The `dst` connection changes: `via-dst` restarts with it; `steady` (on `side`) does not.
        Thread.sleep(forTimeInterval: 1)
        try write(try yaml(filter: "ch-\(tag)/+/#", extra: "added", dstKeepalive: "6s"), for: bridge)
        #expect(hangup(bridge), "no reload line: \(bridge.logTail)")
        let log3 = bridge.logText
        #expect(log3.contains(#""connection":"dst","msg":"reload: connection changed"#) || log3.contains(#""msg":"reload: connection changed: it reconnects with the new settings and its routes restart","connection":"dst""#), "\(bridge.logTail)")
        #expect(log3.contains(#""msg":"reload: route changed: drained and replaced","route":"via-dst""#), "\(bridge.logTail)")
        #expect(!log3.contains(#""route":"steady","why""#), "steady was drained: \(bridge.logTail)")

        // 4. A filter that does not cover the old one: the old one is unsubscribed after the SUBACK.
        try write(try yaml(filter: "ch-\(tag)/a/#", extra: "added", dstKeepalive: "6s"), for: bridge)
        #expect(hangup(bridge), "no reload line: \(bridge.logTail)")
        #expect(BridgeProcess.wait(10) { bridge.logText.contains("unsubscribed the filter the reload replaced") }, "\(bridge.logTail)")

        #expect(steady.wait(30) && changing.wait(30) && viaDst.wait(30), "publishers did not finish")
        let all = BridgeProcess.wait(30) {
            let m = collector.messages
            return Set(m.filter { $0.topic.hasSuffix("/steady") }.map(\.payload)).count >= total
                && Set(m.filter { $0.topic.hasSuffix("/changing/a") }.map(\.payload)).count >= total
                && Set(m.filter { $0.topic.hasSuffix("/via-dst") }.map(\.payload)).count >= total
        }
        let messages = collector.messages
        func lost(_ suffix: String) -> Int {
            let got = Set(messages.filter { $0.topic.hasSuffix(suffix) }.map(\.payload))
            return (1...total).filter { !got.contains(Substring(String($0))) }.count
        }
        // The unchanged route's largest gap between arrivals, from the first reload to the end.
        let steadyTimes = messages.filter { $0.topic.hasSuffix("/steady") && $0.time >= reload2 - 1 }.map(\.time)
        let gap = zip(steadyTimes, steadyTimes.dropFirst()).map { $1 - $0 }.max() ?? 99
        let changingTimes = messages.filter { $0.topic.hasSuffix("/changing/a") && $0.time >= reload2 - 1 }.map(\.time)
        let changingGap = zip(changingTimes, changingTimes.dropFirst()).map { $1 - $0 }.max() ?? 99
        print(
            "Reload under load: \(total) per stream; lost steady \(lost("/steady")), changing \(lost("/changing/a")), via-dst \(lost("/via-dst")); largest gap steady \(String(format: "%.3f", gap)) s, changing \(String(format: "%.3f", changingGap)) s"
        )
        #expect(all && lost("/steady") == 0 && lost("/changing/a") == 0 && lost("/via-dst") == 0, "\(bridge.logTail)")
        #expect(messages.contains { $0.topic.hasSuffix("/changing/b") && $0.payload == "on-b" }, "the new filter did not take effect")
        #expect(messages.contains { $0.topic.hasSuffix("/added") && $0.payload == "on-added" }, "the added route did not forward")
        #expect(gap < 1.0, "the unchanged route paused for \(gap) s")
        let counts = RouteCounts(bridge.metrics(), route: "steady")
        #expect(counts.received >= total, "steady: \(counts)")
        #expect(bridge.terminate() == 0)
    }

    @Test("SIGHUP: changed Kafka and AMQP routes are drained and replaced under load; nothing lost")
    func reloadKafkaAndAMQPUnderLoad() throws {
        let total = 500
        let topic = "\(tag).in"
        let queue = "\(tag).q"
        func yaml(window: Int) throws -> String {
            """
            version: 1
            bridge: { name: \(tag)ka, instance: r2, http: "127.0.0.1:{{PORT}}", shutdown_timeout: 5s }
            connections:
              erp: { protocol: kafka, bootstrap_servers: "\(try brokers["KAFKA_BOOTSTRAP"])", group_id: \(tag)-group }
              mes: { protocol: amqp, url: "\(try brokers["AMQP_URL"])" }
              out: { protocol: mqtt, url: "\(try brokers["MQTT2_URL"])", mqtt_version: 5, client_id: \(tag)-out }
            routes:
              - name: from-kafka
                from: { connection: erp, topic: \(topic), start: earliest }
                to: { connection: out, topic: "out-\(tag)/kafka" }
                max_in_flight: \(window)
              - name: from-amqp
                from:
                  connection: mes
                  queue: \(queue)
                  declare: { durable: true, bindings: [ { exchange: amq.topic, routing_key: "\(tag).amqp.#" } ] }
                to: { connection: out, topic: "out-\(tag)/amqp" }
                max_in_flight: \(window)

            """
        }
        let collector = try TimedCollector(url: "\(try brokers["MQTT2_URL"])/out-\(tag)/#", file: directory.appendingPathComponent("ka.txt"))
        defer { collector.stop() }
        // The topic exists before the bridge subscribes (the mock creates it on first use).
        try KafkaTestClient.produce([OutgoingRecord(partition: 0, key: nil, value: "0")], to: topic, bootstrap: try brokers["KAFKA_BOOTSTRAP"])
        let bridge = try BridgeProcess(name: "ka", yaml: try yaml(window: 64), directory: directory)
        defer {
            _ = bridge.terminate()
            _ = try? ProcessRunner.run(["amqp-delete-queue", "-u", (try? brokers["AMQP_URL"]) ?? "", "-q", queue])
        }
        let ready = BridgeProcess.wait(30) { bridge.get("/readyz")?.contains(#""status":"ready""#) == true }
        try #require(ready, "never ready: \(bridge.logTail)")
        Thread.sleep(forTimeInterval: 1)

        // Two paced streams: Kafka records at 100/s from a thread, AMQP messages through
        // RabbitMQ's MQTT plugin (topic <tag>/amqp/x is routing key <tag>.amqp.x).
        let bootstrap = try brokers["KAFKA_BOOTSTRAP"]
        let kafkaDone = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            let records = (1...total).map { OutgoingRecord(partition: Int32($0 % 3), key: nil, value: String($0)) }
            try? KafkaTestClient.produce(records, to: topic, bootstrap: bootstrap, pace: 100)
            kafkaDone.signal()
        }
        let amqp = try PacedPublisher(url: "\(try brokers["RABBIT_MQTT_URL"])/\(tag)/amqp/x", count: total)
        defer { amqp.stop() }
        _ = BridgeProcess.wait(15) { collector.messages.count >= 150 }

        try write(try yaml(window: 32), for: bridge)
        #expect(hangup(bridge), "no reload line: \(bridge.logTail)")
        let log = bridge.logText
        for route in ["from-kafka", "from-amqp"] {
            #expect(log.contains(#""msg":"route drained","abandoned":"0""#) && log.contains(#""route":"\#(route)","why":"reload: changed""#), "\(route) not drained: \(bridge.logTail)")
            #expect(log.contains(#""msg":"reload: route changed: drained and replaced","route":"\#(route)""#), "\(route) not replaced: \(bridge.logTail)")
        }
        #expect(kafkaDone.wait(timeout: .now() + 30) == .success && amqp.wait(30), "publishers did not finish")
        func got(_ suffix: String) -> Set<Substring> {
            Set(collector.messages.filter { $0.topic.hasSuffix(suffix) }.map(\.payload))
        }
        let all = BridgeProcess.wait(45) { got("/kafka").isSuperset(of: (1...total).map { Substring(String($0)) }) && got("/amqp").count >= total }
        let lostKafka = (1...total).filter { !got("/kafka").contains(Substring(String($0))) }.count
        let lostAMQP = (1...total).filter { !got("/amqp").contains(Substring(String($0))) }.count
        let received = collector.messages
        print("Reload of Kafka and AMQP routes under load: \(total) each; lost Kafka \(lostKafka), AMQP \(lostAMQP); \(received.count) messages arrived")
        #expect(all && lostKafka == 0 && lostAMQP == 0, "\(bridge.logTail)")
        #expect(bridge.terminate() == 0)
    }
}
