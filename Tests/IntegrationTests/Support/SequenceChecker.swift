import Foundation
import Synchronization
import Testing

/// What arrived of a stream of sequence-numbered messages (payload `"<n>"`, n in 0..<sent).
struct SequenceCount: CustomStringConvertible {
    let sent: Int
    /// Every arrival, duplicates included.
    let arrivals: Int
    /// Distinct sequence numbers of 0..<sent that arrived.
    let distinct: Int
    /// Sequence numbers that never arrived, lowest first.
    let missing: [Int]
    /// Arrivals that are not in 0..<sent (another test's messages, or a corrupted payload).
    let foreign: Int

    var lost: Int { missing.count }
    var duplicates: Int { arrivals - foreign - distinct }

    /// Counts `payloads` (one per arrival) against 0..<sent.
    init<S: Sequence>(sent: Int, payloads: S) where S.Element: StringProtocol {
        var seen = [Bool](repeating: false, count: sent)
        var arrivals = 0
        var distinct = 0
        var foreign = 0
        for payload in payloads {
            arrivals += 1
            guard let n = Int(payload), n >= 0, n < sent else {
                foreign += 1
                continue
            }
            if !seen[n] {
                seen[n] = true
                distinct += 1
            }
        }
        self.sent = sent
        self.arrivals = arrivals
        self.distinct = distinct
        self.foreign = foreign
        self.missing = seen.indices.filter { !seen[$0] }
    }

    var complete: Bool { distinct == sent }

    var description: String {
        "sent \(sent), received \(distinct), lost \(lost), duplicates \(duplicates)" + (foreign > 0 ? ", foreign \(foreign)" : "")
    }

    /// Prints the line the README quotes and checks that nothing was lost or mangled:
    /// `FAULT <case>: sent N, received N, lost 0, duplicates D, reconnects R`.
    func report(_ name: String, reconnects: Int? = nil, context: @autoclosure () -> String = "") {
        let line = "FAULT \(name): \(self)" + (reconnects.map { ", reconnects \($0)" } ?? "")
        print(line)
        #expect(lost == 0, "\(line); first missing \(missing.prefix(20))\n\(context())")
        #expect(foreign == 0, "\(line): payloads that are no sequence number of this test")
    }
}

/// A `mosquitto_sub` that appends every payload it receives (QoS 1), one per line, to a file
/// until stopped.
final class MQTTCollector {
    let process = Process()
    let file: URL

    /// - Parameters:
    ///   - url: `mqtt://host:port/topic-filter`.
    ///   - file: where the payloads go; appended to when it exists and `clientID` is given.
    ///   - clientID: a persistent session (`-c -i`), so that what arrives while this
    ///     collector is away waits for the next one with the same id.
    init(url: String, file: URL, clientID: String? = nil) throws {
        self.file = file
        if clientID == nil || !FileManager.default.fileExists(atPath: file.path) {
            FileManager.default.createFile(atPath: file.path, contents: nil)
        }
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["stdbuf", "-oL", "mosquitto_sub", "-L", url, "-q", "1"] + (clientID.map { ["-c", "-i", $0] } ?? [])
        let output = try FileHandle(forWritingTo: file)
        output.seekToEndOfFile()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
        // mosquitto_sub says nothing when it has subscribed; give it the time it needs on a
        // loaded machine (the tests start their publishers after this and after the bridge).
        Thread.sleep(forTimeInterval: 0.5)
    }

    var lines: [Substring] {
        ((try? String(contentsOf: file, encoding: .utf8)) ?? "").split(separator: "\n")
    }

    func count(sent: Int) -> SequenceCount { SequenceCount(sent: sent, payloads: lines) }

    func stop() {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    deinit { stop() }
}

/// `mosquitto_pub -l` fed the lines `"<first>"…"<first+count-1>"` at `rate` per second from a
/// background thread: a stream that is still flowing when a test cuts something.
final class PacedMQTTPublisher: Sendable {
    private let done = DispatchSemaphore(value: 0)
    private let result = Mutex<String?>(nil)
    private let written = Atomic<Int>(0)

    /// - Parameters:
    ///   - url: `mqtt://host:port/topic`.
    ///   - version: mosquitto_pub's `-V` (`5`, `311`).
    init(url: String, range: Range<Int>, rate: Int, version: String = "5") throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["mosquitto_pub", "-L", url, "-q", "1", "-V", version, "-l"]
        let input = Pipe()
        let errors = Pipe()
        process.standardInput = input
        process.standardOutput = FileHandle.nullDevice
        process.standardError = errors
        try process.run()
        DispatchQueue.global().async { [self] in
            let started = Date()
            let chunk = max(rate / 20, 1)
            var next = range.lowerBound
            while next < range.upperBound {
                let end = min(next + chunk, range.upperBound)
                let text = (next..<end).map(String.init).joined(separator: "\n") + "\n"
                do { try input.fileHandleForWriting.write(contentsOf: Data(text.utf8)) } catch { break }
                written.add(end - next, ordering: .relaxed)
                next = end
                let due = started.addingTimeInterval(Double(next - range.lowerBound) / Double(rate))
                let wait = due.timeIntervalSinceNow
                if wait > 0 { Thread.sleep(forTimeInterval: wait) }
            }
            try? input.fileHandleForWriting.close()
            process.waitUntilExit()
            let stderr = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            if process.terminationStatus != 0 || next < range.upperBound {
                result.withLock { $0 = "mosquitto_pub exited with \(process.terminationStatus) after \(next - range.lowerBound) lines: \(stderr)" }
            }
            done.signal()
        }
    }

    /// Lines handed to mosquitto_pub so far.
    var linesWritten: Int { written.load(ordering: .relaxed) }

    /// Waits for mosquitto_pub to finish; returns its error, if any.
    func wait() -> String? {
        done.wait()
        return result.withLock { $0 }
    }
}

/// Produces sequence-numbered Kafka records (value `"<n>"`, partition n % partitions) in the
/// background at `rate` per second; `wait()` returns the error, if any.
final class PacedKafkaProducer: Sendable {
    private let done = DispatchSemaphore(value: 0)
    private let error = Mutex<String?>(nil)

    init(topic: String, range: Range<Int>, partitions: Int32, bootstrap: String, rate: Int) {
        let records = range.map { OutgoingRecord(partition: Int32($0) % partitions, key: nil, value: String($0)) }
        DispatchQueue.global().async { [self] in
            do { try KafkaTestClient.produce(records, to: topic, bootstrap: bootstrap, pace: rate) } catch {
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

extension KafkaTestClient {
    /// Reads `topic` until every sequence number in 0..<sent arrived or `timeout` passed.
    static func sequences(_ topic: String, partitions: Int, bootstrap: String, sent: Int, timeout: TimeInterval) throws -> SequenceCount {
        let records = try consume(topic, partitions: partitions, bootstrap: bootstrap, timeout: timeout) { records in
            // Cheap test first: a complete read has at least `sent` records.
            records.count >= sent && SequenceCount(sent: sent, payloads: records.map(\.text)).complete
        }
        return SequenceCount(sent: sent, payloads: records.map(\.text))
    }
}

/// Polls a bridge's `/readyz` in the background and keeps every distinct status it saw, in
/// order (`ready`, `not_ready`, or `none` when the endpoint did not answer).
final class ReadinessWatcher: Sendable {
    private let seen = Mutex<[String]>([])
    private let running = Atomic<Bool>(true)
    private let done = DispatchSemaphore(value: 0)

    init(_ bridge: BridgeProcess) {
        let port = bridge.port
        DispatchQueue.global().async { [self] in
            while running.load(ordering: .relaxed) {
                let output = try? ProcessRunner.run(["curl", "-s", "-m", "2", "http://127.0.0.1:\(port)/readyz"], timeout: .seconds(5))
                let body = output?.stdout ?? ""
                let status =
                    body.contains(#""status":"not_ready""#) ? "not_ready" : body.contains(#""status":"ready""#) ? "ready" : "none"
                seen.withLock { if $0.last != status { $0.append(status) } }
                Thread.sleep(forTimeInterval: 0.2)
            }
            done.signal()
        }
    }

    /// The statuses seen, each change once.
    var statuses: [String] { seen.withLock { $0 } }

    func stop() -> [String] {
        if running.exchange(false, ordering: .relaxed) { done.wait() }
        return statuses
    }
}

extension BridgeProcess {
    /// `bridge_connection_reconnects_total{connection}` now (-1 when the series is missing).
    func reconnects(_ connection: String) -> Int {
        Int(metrics()["bridge_connection_reconnects_total{connection=\"\(connection)\"}"] ?? -1)
    }

    /// The `route drained` / `route drain timed out` lines of the log, by route.
    func drainLines() -> [String: String] {
        var out: [String: String] = [:]
        for line in logText.split(separator: "\n") where line.contains("route drain") {
            if let range = line.range(of: #""route":""#) {
                let rest = line[range.upperBound...]
                if let end = rest.firstIndex(of: "\"") { out[String(rest[..<end])] = String(line) }
            }
        }
        return out
    }
}
