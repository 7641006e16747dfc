import Foundation
import Testing

/// MQTT routes through real `message-bridge run` processes: the PUBACK held across a
/// SIGKILL (the persistent session redelivers what was not acked), and two replicas on one
/// shared subscription splitting the load, one of them killed mid-stream.
@Suite(
    .serialized, .timeLimit(.minutes(3)),
    .enabled(if: BrokerEnvironment.isConfigured, BrokerEnvironment.disabledReason)
)
struct MQTTBridgeProcessTests {
    let brokers: BrokerEnvironment
    let tag = "mq" + UUID().uuidString.prefix(6).lowercased()
    let directory: URL

    init() throws {
        brokers = try BrokerEnvironment.load()
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("mqtt-process-\(tag)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    /// A mosquitto_sub that writes every payload it gets, one per line, to a file, until killed.
    final class Collector {
        let process = Process()
        let file: URL

        init(url: String, file: URL) throws {
            self.file = file
            FileManager.default.createFile(atPath: file.path, contents: nil)
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["stdbuf", "-oL", "mosquitto_sub", "-L", url, "-q", "1"]
            process.standardOutput = try FileHandle(forWritingTo: file)
            process.standardError = FileHandle.nullDevice
            process.standardInput = FileHandle.nullDevice
            try process.run()
        }

        var lines: [Substring] {
            ((try? String(contentsOf: file, encoding: .utf8)) ?? "").split(separator: "\n")
        }

        func stop() {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    func config(instance: String, shareGroup: String? = nil) throws -> String {
        let share = shareGroup.map { ", share_group: \($0)" } ?? ""
        return """
            version: 1
            bridge: { name: \(tag), instance: \(instance), http: "127.0.0.1:{{PORT}}", shutdown_timeout: 5s }
            connections:
              src: { protocol: mqtt, url: "\(try brokers["MQTT_URL"])", mqtt_version: 5, session_expiry: 1h, keepalive: 5s }
              dst: { protocol: mqtt, url: "\(try brokers["MQTT2_URL"])", mqtt_version: 5 }
            routes:
              - name: seq
                from: { connection: src, topic: "in-\(tag)/#"\(share) }
                to: { connection: dst, topic: "out-\(tag)/{topic.1}", qos: 1 }
                max_in_flight: 200
            """
    }

    func waitConsuming(_ bridge: BridgeProcess) -> Bool {
        BridgeProcess.wait(30) { bridge.get("/readyz")?.contains(#""seq":"consuming""#) == true }
    }

    func publish(count: Int, from first: Int = 1) throws {
        let lines = (first..<(first + count)).map(String.init).joined(separator: "\n") + "\n"
        let out = try ProcessRunner.run(
            ["mosquitto_pub", "-L", "\(try brokers["MQTT_URL"])/in-\(tag)/x", "-q", "1", "-l"], input: lines, timeout: .seconds(60)
        )
        #expect(out.succeeded, "\(out)")
    }

    @Test("SIGKILL mid-stream, restart with the same session: every message arrives")
    func sigkillAndRestart() throws {
        let total = 20_000
        let collector = try Collector(url: "\(try brokers["MQTT2_URL"])/out-\(tag)/#", file: directory.appendingPathComponent("out.txt"))
        defer { collector.stop() }
        let first = try BridgeProcess(name: "first", yaml: try config(instance: "k1"), directory: directory)
        #expect(waitConsuming(first), "never consuming: \(first.logTail)")
        Thread.sleep(forTimeInterval: 0.5)  // the collector's subscription is in place
        try publish(count: total)
        // Kill it while messages are moving: some forwarded, the rest held or queued.
        let moving = BridgeProcess.wait(30) { collector.lines.count >= 500 }
        #expect(moving, "nothing arrived before the kill: \(first.logTail)")
        first.sigkill()
        let atKill = collector.lines.count
        #expect(atKill < total, "everything had arrived before the kill (\(atKill)); the test proves nothing")

        let second = try BridgeProcess(name: "second", yaml: try config(instance: "k1"), directory: directory)
        defer { _ = second.terminate() }
        let all = BridgeProcess.wait(90) { Set(collector.lines).count >= total }
        let received = collector.lines
        let unique = Set(received)
        let lost = (1...total).filter { !unique.contains(Substring(String($0))) }.count
        print("MQTT SIGKILL restart: \(total) sent, \(atKill) arrived before the kill, \(unique.count) distinct arrived, lost \(lost), duplicates \(received.count - unique.count)")
        #expect(all && lost == 0, "lost \(lost) of \(total); log: \(second.logTail)")
        let exit = second.terminate()
        #expect(exit == 0, "SIGTERM exit status \(String(describing: exit))")
    }

    @Test("two replicas on one share_group split the load; killing one loses nothing")
    func sharedSubscriptionReplicas() throws {
        let total = 10_000
        let group = "g\(tag)"
        let collector = try Collector(url: "\(try brokers["MQTT2_URL"])/out-\(tag)/#", file: directory.appendingPathComponent("shared.txt"))
        defer { collector.stop() }
        let one = try BridgeProcess(name: "one", yaml: try config(instance: "s1", shareGroup: group), directory: directory)
        defer { if one.isRunning { _ = one.terminate() } }
        var two = try BridgeProcess(name: "two", yaml: try config(instance: "s2", shareGroup: group), directory: directory)
        #expect(waitConsuming(one) && waitConsuming(two), "replicas not consuming: \(one.logTail)\n\(two.logTail)")
        Thread.sleep(forTimeInterval: 0.5)
        try publish(count: total)
        _ = BridgeProcess.wait(30) { collector.lines.count >= 1000 }
        let twoBefore = RouteCounts(two.metrics(), route: "seq").received
        two.sigkill()
        two = try BridgeProcess(name: "two-again", yaml: try config(instance: "s2", shareGroup: group), directory: directory)
        defer { _ = two.terminate() }
        let all = BridgeProcess.wait(90) { Set(collector.lines).count >= total }
        let oneCount = RouteCounts(one.metrics(), route: "seq").received
        let received = collector.lines
        let unique = Set(received)
        let lost = (1...total).filter { !unique.contains(Substring(String($0))) }.count
        print("MQTT share_group: \(total) sent, replica one received \(oneCount), replica two \(twoBefore) before its SIGKILL, lost \(lost), duplicates \(received.count - unique.count)")
        #expect(oneCount > 0 && twoBefore > 0, "the load was not split: one \(oneCount), two \(twoBefore)")
        #expect(all && lost == 0, "lost \(lost) of \(total)")
    }
}
