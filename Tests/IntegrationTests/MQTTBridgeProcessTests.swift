import Foundation
import Testing

/// MQTT routes through real `message-bridge run` processes: two replicas on one shared
/// subscription splitting the load, one of them killed mid-stream. (One bridge killed
/// mid-stream and restarted on its persistent session: EndToEnd/FaultBridgeRestartTests.swift.)
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

    @Test("two replicas on one share_group split the load; killing one loses nothing")
    func sharedSubscriptionReplicas() throws {
        let total = 10_000
        let group = "g\(tag)"
        let collector = try MQTTCollector(url: "\(try brokers["MQTT2_URL"])/out-\(tag)/#", file: directory.appendingPathComponent("shared.txt"))
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
