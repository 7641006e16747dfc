import Foundation
import Synchronization
import Testing

/// Kafka → Kafka through real `message-bridge run` processes against a private
/// kafka-mock-broker per test (CONTRACT section 5; issue 4's "Done when"). The bridge
/// killed mid-stream and the brokers cut are in EndToEnd/Fault*Tests.swift.
@Suite(
    .serialized, .timeLimit(.minutes(3)),
    .enabled(if: BrokerEnvironment.isConfigured, BrokerEnvironment.disabledReason)
)
struct KafkaBridgeTests {
    let directory: URL

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("kafka-bridge-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    /// A route file with one connection `k` and the given routes.
    func yaml(_ cluster: KafkaMockCluster, instance: String = "a", group: String = "bridge", maxInFlight: Int = 256,
              shutdown: String = "10s", routes: String) -> String {
        """
        version: 1
        bridge:
          name: kt
          instance: \(instance)
          http: 127.0.0.1:{{PORT}}
          shutdown_timeout: \(shutdown)
          max_in_flight: \(maxInFlight)
        connections:
          k:
            protocol: kafka
            bootstrap_servers: \(cluster.bootstrap)
            group_id: \(group)
            properties:
              session.timeout.ms: "6000"
              auto.commit.interval.ms: "500"
        routes:
        \(routes)
        """
    }

    static let forward = """
          - name: fwd
            from: { connection: k, topic: src, start: earliest }
            to: { connection: k, topic: dst }
        """

    /// Records keyed by source partition, so that each source partition's records land in
    /// one destination partition and their order there can be checked.
    static func records(_ count: Int, partitions: Int32, from start: Int = 0) -> [OutgoingRecord] {
        (start..<(start + count)).map { i in
            let partition = Int32(i) % partitions
            return OutgoingRecord(
                partition: partition, key: "p\(partition)", value: i % 1000 == 3 ? "" : "s\(i)",
                headers: [("seq", "\(i)"), ("content-type", "text/plain"), ("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")]
            )
        }
    }

    /// The distinct `seq` headers read so far.
    static func sequences(_ records: [KafkaRecord]) -> Set<Int> {
        Set(records.compactMap { $0.header("seq").flatMap(Int.init) })
    }

    /// Produces in the background; `wait()` returns the error, if any.
    final class BackgroundProducer: Sendable {
        private let done = DispatchSemaphore(value: 0)
        private let error = Mutex<String?>(nil)

        init(_ records: [OutgoingRecord], to topic: String, bootstrap: String, pace: Int) {
            let records = records
            DispatchQueue.global().async { [self] in
                do { try KafkaTestClient.produce(records, to: topic, bootstrap: bootstrap, pace: pace) } catch {
                    self.error.withLock { $0 = "\(error)" }
                }
                done.signal()
            }
        }

        func wait() -> String? {
            done.wait()
            return error.withLock { $0 }
        }
    }

    /// Reads `dst` until every sequence in 0..<count arrived; reports duplicates.
    func readAll(_ cluster: KafkaMockCluster, count: Int, partitions: Int, timeout: TimeInterval = 60) throws -> (records: [KafkaRecord], missing: [Int], duplicates: Int) {
        // The cheap test first: the full check runs after every record read, and building the
        // set of 10,000 sequences each time made the read itself take a minute.
        let records = try KafkaTestClient.consume("dst", partitions: partitions, bootstrap: cluster.bootstrap, timeout: timeout) {
            $0.count >= count && Self.sequences($0).count >= count
        }
        let seen = Self.sequences(records)
        let missing = (0..<count).filter { !seen.contains($0) }
        return (records, missing, records.count - seen.count)
    }

    // MARK: - Tests

    @Test func tenThousandMessagesOverThreePartitionsArriveInOrderWithKeysAndHeaders() throws {
        let cluster = try KafkaMockCluster(topics: ["src": 3, "dst": 3])
        try KafkaTestClient.produce(Self.records(10_000, partitions: 3), to: "src", bootstrap: cluster.bootstrap)
        let bridge = try BridgeProcess(name: "ten-thousand", yaml: yaml(cluster, routes: Self.forward), directory: directory)
        let (records, missing, duplicates) = try readAll(cluster, count: 10_000, partitions: 3)
        print("Kafka→Kafka: \(records.count) records read for 10,000 sent; \(missing.count) missing, \(duplicates) duplicates")
        #expect(missing.isEmpty, "missing \(missing.prefix(20)); bridge log:\n\(bridge.logTail)")
        #expect(duplicates == 0)

        var lastSourceOffset: [String: Int64] = [:]
        var orderViolations = 0
        var checked = 0
        for record in records.sorted(by: { ($0.partition, $0.offset) < ($1.partition, $1.offset) }) {
            // bridge-id = kafka:<connection>:<topic>:<partition>:<offset>
            let id = record.header("bridge-id") ?? ""
            let parts = id.split(separator: ":")
            guard parts.count == 5, parts[0] == "kafka", parts[1] == "k", parts[2] == "src", let offset = Int64(parts[4]) else {
                Issue.record("bad bridge-id '\(id)'")
                continue
            }
            let sourcePartition = String(parts[3])
            if let last = lastSourceOffset[sourcePartition], offset <= last { orderViolations += 1 }
            lastSourceOffset[sourcePartition] = offset
            let seq = Int(record.header("seq") ?? "") ?? -1
            #expect(record.key.map { String(decoding: $0, as: UTF8.self) } == "p\(sourcePartition)")
            #expect(record.header("bridge-hops") == "1")
            #expect(record.header("content-type") == "text/plain")
            #expect(record.header("traceparent") == "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
            if seq % 1000 == 3 {
                #expect(record.value == [], "an empty payload stays an empty value, not null (seq \(seq))")
            } else {
                #expect(record.text == "s\(seq)")
            }
            checked += 1
        }
        #expect(orderViolations == 0, "records of one source partition out of order")
        #expect(checked == 10_000)

        var counts = RouteCounts([:], route: "fwd")
        BridgeProcess.wait(10) {
            counts = RouteCounts(bridge.metrics(), route: "fwd")
            return counts.acked == 10_000 && counts.inFlight == 0
        }
        let metrics = bridge.metrics()
        print("Kafka→Kafka metrics: \(counts)")
        #expect(counts.received == 10_000 && counts.acked == 10_000 && counts.balanced, "\(counts)")
        #expect(metrics["bridge_messages_confirmed_total{route=\"fwd\",destination=\"k\"}"] == 10_000)
        #expect(metrics["bridge_connection_up{connection=\"k\",protocol=\"kafka\"}"] == 1)
        #expect(bridge.get("/readyz")?.contains("\"fwd\":\"consuming\"") == true)
        #expect(bridge.terminate() == 0, "SIGTERM exits 0 after the drain:\n\(bridge.logTail)")
        let committed = try KafkaTestClient.committed(group: "bridge", topic: "src", partitions: 3, bootstrap: cluster.bootstrap)
        #expect(committed.reduce(0, +) == 10_000, "committed \(committed) after a clean shutdown")
    }

    @Test func committedOffsetNeverPassesTheFirstUnconfirmedMessage() throws {
        let cluster = try KafkaMockCluster(topics: ["src": 1, "kb.out": 1], brokers: 1)
        let routes = """
              - name: gate
                from: { connection: k, topic: src, start: earliest }
                to: { connection: k, topic: "{header.dest}", allow: ["kb.*"] }
                on_error: { retry: { attempts: 2, backoff: 100ms, max_backoff: 1s }, exhausted: block }
            """
        // Message 10 names a destination outside `allow`: a permanent failure that `block`
        // keeps retrying, so it is never confirmed. (The mock broker creates unknown topics
        // on demand, so a missing topic cannot stand in for a failing destination here.)
        // The 19 after it are confirmed at kb.out but must not be committed.
        let records = (0..<30).map { i in
            OutgoingRecord(partition: 0, key: nil, value: "s\(i)", headers: [("seq", "\(i)"), ("dest", i == 10 ? "other.out" : "kb.out")])
        }
        try KafkaTestClient.produce(records, to: "src", bootstrap: cluster.bootstrap)
        let bridge = try BridgeProcess(
            name: "gate", yaml: yaml(cluster, group: "gate", shutdown: "2s", routes: routes), directory: directory
        )
        let out = try KafkaTestClient.consume("kb.out", partitions: 1, bootstrap: cluster.bootstrap, timeout: 30) { $0.count >= 29 }
        #expect(out.count == 29, "kb.out: \(out.count) records; log:\n\(bridge.logTail)")

        var committed: [Int64] = []
        BridgeProcess.wait(10) {
            committed = (try? KafkaTestClient.committed(group: "gate", topic: "src", partitions: 1, bootstrap: cluster.bootstrap)) ?? []
            return committed == [10]
        }
        Thread.sleep(forTimeInterval: 2)  // four auto-commit intervals more
        committed = try KafkaTestClient.committed(group: "gate", topic: "src", partitions: 1, bootstrap: cluster.bootstrap)
        print("blocked at message 10: 29 of 30 confirmed at the destination, committed offset \(committed)")
        #expect(committed == [10], "the committed offset must stop at the first unconfirmed message (10)")
        let metrics = bridge.metrics()
        let counts = RouteCounts(metrics, route: "gate")
        #expect(counts.received == 30 && counts.acked == 10 && counts.inFlight == 20 && counts.balanced, "\(counts)")
        #expect((metrics["bridge_messages_failed_total{route=\"gate\",destination=\"k\",reason=\"not_allowed\"}"] ?? 0) >= 1)
        #expect(bridge.get("/readyz")?.contains("\"gate\":\"blocked\"") == true)

        // SIGTERM: the drain gives up after shutdown_timeout; the final commit does not pass 10 either.
        #expect(bridge.terminate() == 0, "\(bridge.logTail)")
        committed = try KafkaTestClient.committed(group: "gate", topic: "src", partitions: 1, bootstrap: cluster.bootstrap)
        print("after SIGTERM with 20 unacked: committed offset \(committed)")
        #expect(committed == [10])
        #expect(bridge.logText.contains("\"abandoned\":\"20\""), "the 20 unacked are abandoned for redelivery")
    }

    @Test func permanentFailuresGoToTheDeadLetterWithTheBridgeHeaders() throws {
        let cluster = try KafkaMockCluster(topics: ["src": 1, "kb.out": 1, "kb.dead": 1], brokers: 1)
        let routes = """
              - name: dl
                from: { connection: k, topic: src, start: earliest }
                to: { connection: k, topic: "{header.dest}", allow: ["kb.*"] }
                max_message_size: 100
                on_error:
                  retry: { attempts: 3, backoff: 100ms, max_backoff: 1s }
                  dead_letter: { connection: k, topic: kb.dead }
            """
        // 0: fine; 1: outside allow (not_allowed); 2: over max_message_size (too_large); 3: no dest (template).
        let records = [
            OutgoingRecord(partition: 0, key: "a", value: "s0", headers: [("seq", "0"), ("dest", "kb.out")]),
            OutgoingRecord(partition: 0, key: "b", value: "s1", headers: [("seq", "1"), ("dest", "other.out")]),
            OutgoingRecord(partition: 0, key: "c", value: String(repeating: "x", count: 200), headers: [("seq", "2"), ("dest", "kb.out")]),
            OutgoingRecord(partition: 0, key: "d", value: "s3", headers: [("seq", "3")]),
        ]
        try KafkaTestClient.produce(records, to: "src", bootstrap: cluster.bootstrap)
        let bridge = try BridgeProcess(name: "dl", yaml: yaml(cluster, group: "dl", routes: routes), directory: directory)
        let dead = try KafkaTestClient.consume("kb.dead", partitions: 1, bootstrap: cluster.bootstrap, timeout: 30) { $0.count >= 3 }
        let out = try KafkaTestClient.consume("kb.out", partitions: 1, bootstrap: cluster.bootstrap, timeout: 5) { $0.count >= 1 }
        #expect(out.map(\.text) == ["s0"], "log:\n\(bridge.logTail)")
        #expect(dead.count == 3, "log:\n\(bridge.logTail)")
        let errors = dead.map { $0.header("bridge-error") ?? "" }
        print("dead letters: \(dead.count); bridge-error: \(errors)")
        #expect(errors.count == 3 && errors[0].hasPrefix("not_allowed:") && errors[1].hasPrefix("too_large:") && errors[2].hasPrefix("template:"))
        for (index, record) in dead.enumerated() {
            let offset = index + 1
            #expect(record.header("bridge-route") == "dl")
            #expect(record.header("bridge-source") == "kafka://k/src#0:\(offset)")
            #expect(record.header("bridge-destination") == "k/{header.dest}")
            #expect(record.header("bridge-attempts") == "1", "permanent failures skip retries")
            #expect(record.header("bridge-id") == "kafka:k:src:0:\(offset)")
            #expect(record.header("seq") == "\(offset)")
            #expect(record.key.map { String(decoding: $0, as: UTF8.self) } == ["b", "c", "d"][index])
        }
        var committed: [Int64] = []
        BridgeProcess.wait(10) {
            committed = (try? KafkaTestClient.committed(group: "dl", topic: "src", partitions: 1, bootstrap: cluster.bootstrap)) ?? []
            return committed == [4]
        }
        #expect(committed == [4], "dead-lettered messages are acked")
        let metrics = bridge.metrics()
        #expect(metrics["bridge_messages_dead_lettered_total{route=\"dl\",reason=\"too_large\"}"] == 1)
        #expect(metrics["bridge_messages_dead_lettered_total{route=\"dl\",reason=\"not_allowed\"}"] == 1)
        #expect(metrics["bridge_messages_dead_lettered_total{route=\"dl\",reason=\"template\"}"] == 1)
        let counts = RouteCounts(metrics, route: "dl")
        #expect(counts.received == 4 && counts.acked == 4 && counts.balanced, "\(counts)")
        #expect(bridge.terminate() == 0)
    }

    /// Two instances share the group; one leaves (SIGTERM or SIGKILL) mid-stream.
    func twoInstances(stopWithSIGKILL: Bool) throws {
        let cluster = try KafkaMockCluster(topics: ["src": 4, "dst": 4])
        let group = stopWithSIGKILL ? "pair-kill" : "pair-term"
        let a = try BridgeProcess(name: "\(group)-a", yaml: yaml(cluster, instance: "a", group: group, maxInFlight: 100, routes: Self.forward), directory: directory)
        BridgeProcess.wait(20) { a.metrics().keys.contains { $0.hasPrefix("bridge_kafka_consumer_lag") } }
        let b = try BridgeProcess(name: "\(group)-b", yaml: yaml(cluster, instance: "b", group: group, maxInFlight: 100, routes: Self.forward), directory: directory)
        func owned(_ bridge: BridgeProcess) -> Set<String> {
            Set(bridge.metrics().keys.filter { $0.hasPrefix("bridge_kafka_consumer_lag") }.compactMap {
                $0.split(separator: "partition=\"").last.map { String($0.prefix { $0 != "\"" }) }
            })
        }
        var split: (Set<String>, Set<String>) = ([], [])
        let didSplit = BridgeProcess.wait(30) {
            split = (owned(a), owned(b))
            return !split.0.isEmpty && !split.1.isEmpty && split.0.isDisjoint(with: split.1) && split.0.union(split.1).count == 4
        }
        print("group \(group): a owns partitions \(split.0.sorted()), b owns \(split.1.sorted())")
        #expect(didSplit, "the two instances split the 4 partitions: a \(split.0.sorted()), b \(split.1.sorted())\n\(b.logTail)")

        let producer = BackgroundProducer(Self.records(4000, partitions: 4), to: "src", bootstrap: cluster.bootstrap, pace: 1000)
        BridgeProcess.wait(20) { RouteCounts(b.metrics(), route: "fwd").acked >= 300 }
        let bBefore = RouteCounts(b.metrics(), route: "fwd")
        if stopWithSIGKILL {
            b.sigkill()
        } else {
            #expect(b.terminate() == 0, "SIGTERM of one instance exits 0:\n\(b.logTail)")
        }
        #expect(producer.wait() == nil)
        let (records, missing, duplicates) = try readAll(cluster, count: 4000, partitions: 4, timeout: 90)
        print("\(stopWithSIGKILL ? "SIGKILL" : "SIGTERM") of b after it acked \(bBefore.acked): \(records.count) records read for 4,000 sent, \(missing.count) missing, \(duplicates) duplicates")
        #expect(missing.isEmpty, "missing \(missing.prefix(20)); a:\n\(a.logTail)")
        let takeover = BridgeProcess.wait(20) { owned(a).count == 4 }
        #expect(takeover, "the survivor owns all 4 partitions: \(owned(a).sorted())")
        BridgeProcess.wait(10) { RouteCounts(a.metrics(), route: "fwd").inFlight == 0 }
        let counts = RouteCounts(a.metrics(), route: "fwd")
        print("survivor a: \(counts)")
        #expect(counts.balanced, "\(counts)")
        if !stopWithSIGKILL {
            #expect(b.logText.contains("\"abandoned\":\"0\""), "b drained without abandoning")
        }
        #expect(a.terminate() == 0)
    }

    @Test func twoInstancesSplitAndSIGTERMMovesPartitions() throws {
        try twoInstances(stopWithSIGKILL: false)
    }

    @Test func twoInstancesSplitAndSIGKILLMovesPartitions() throws {
        try twoInstances(stopWithSIGKILL: true)
    }

    @Test func fatalProducerErrorReplacesTheProducerAndLosesNothing() throws {
        let cluster = try KafkaMockCluster(topics: ["src": 1, "dst": 1], brokers: 1)
        try KafkaTestClient.produce(Self.records(50, partitions: 1), to: "src", bootstrap: cluster.bootstrap)
        // An out-of-order sequence is fatal for librdkafka's idempotent producer.
        try cluster.control("errors produce 3 OUT_OF_ORDER_SEQUENCE_NUMBER")
        let bridge = try BridgeProcess(name: "fatal", yaml: yaml(cluster, group: "fatal", routes: Self.forward), directory: directory)
        let (records, missing, duplicates) = try readAll(cluster, count: 50, partitions: 1, timeout: 30)
        let replaced = bridge.logText.components(separatedBy: "kafka producer replaced").count - 1
        print("fatal producer errors: producer replaced \(replaced) times; \(records.count) records read for 50 sent, \(missing.count) missing, \(duplicates) duplicates")
        #expect(missing.isEmpty, "missing \(missing); log:\n\(bridge.logTail)")
        #expect(replaced >= 1)
        BridgeProcess.wait(10) { RouteCounts(bridge.metrics(), route: "fwd").acked == 50 }
        let counts = RouteCounts(bridge.metrics(), route: "fwd")
        #expect(counts.acked == 50 && counts.balanced, "\(counts)")
        #expect(bridge.terminate() == 0)
    }

    @Test func stalledDestinationPausesTheSourceAtTheWindow() throws {
        let cluster = try KafkaMockCluster(topics: ["src": 2], brokers: 1)
        let routes = """
              - name: stall
                from: { connection: k, topic: src, start: earliest }
                to: { connection: k, topic: "{header.dest}", allow: ["kb.*"] }
                on_error: { retry: { attempts: 2, backoff: 100ms, max_backoff: 1s }, exhausted: block }
            """
        // The records have no `dest` header: the template cannot be filled, a permanent
        // failure that `block` retries forever, so nothing is ever confirmed.
        try KafkaTestClient.produce(Self.records(400, partitions: 2), to: "src", bootstrap: cluster.bootstrap)
        let bridge = try BridgeProcess(
            name: "stall", yaml: yaml(cluster, group: "stall", maxInFlight: 20, shutdown: "2s", routes: routes), directory: directory
        )
        BridgeProcess.wait(20) { RouteCounts(bridge.metrics(), route: "stall").inFlight >= 20 }
        var peak = 0
        for _ in 0..<20 {
            peak = max(peak, RouteCounts(bridge.metrics(), route: "stall").inFlight)
            Thread.sleep(forTimeInterval: 0.15)
        }
        let counts = RouteCounts(bridge.metrics(), route: "stall")
        print("stalled destination, max_in_flight 20, 400 waiting: \(counts), peak in flight \(peak)")
        #expect(counts.inFlight == 20 && peak <= 20, "\(counts), peak \(peak)")
        #expect(counts.received == 20, "the paused source took no more than the window: \(counts)")
        #expect(counts.balanced)
        #expect(bridge.get("/readyz")?.contains("\"stall\":\"blocked\"") == true)
        let committed = try KafkaTestClient.committed(group: "stall", topic: "src", partitions: 2, bootstrap: cluster.bootstrap)
        #expect(committed.allSatisfy { $0 < 0 }, "nothing confirmed, nothing committed: \(committed)")
        #expect(bridge.terminate() == 0, "SIGTERM with 20 unconfirmed exits 0 after shutdown_timeout:\n\(bridge.logTail)")
        #expect(bridge.logText.contains("\"abandoned\":\"20\""), "the 20 unconfirmed are abandoned for redelivery")
    }
}
