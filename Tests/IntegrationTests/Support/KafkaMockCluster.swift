import Foundation
import Testing

/// A private kafka-mock-broker process for one test: its own topics, bootstrap file and
/// control socket, so tests never see each other's messages, groups or injected faults.
final class KafkaMockCluster {
    let directory: URL
    let bootstrap: String
    let controlSocket: String
    private let process: Process

    /// Starts `KAFKA_MOCK_BROKER` (from the brokers' env file) with `topics`.
    init(topics: [String: Int], brokers: Int = 3) throws {
        let environment = try BrokerEnvironment.load()
        let binary = try environment["KAFKA_MOCK_BROKER"]
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("kafka-test-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let bootstrapFile = directory.appendingPathComponent("bootstrap").path
        controlSocket = directory.appendingPathComponent("control.sock").path
        process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        var arguments = ["--brokers", String(brokers), "--bootstrap-file", bootstrapFile, "--control", controlSocket]
        for (name, partitions) in topics.sorted(by: { $0.key < $1.key }) { arguments += ["--topic", "\(name):\(partitions)"] }
        process.arguments = arguments
        let log = directory.appendingPathComponent("mock.log")
        FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        process.standardOutput = handle
        process.standardError = handle
        process.standardInput = FileHandle.nullDevice
        try process.run()
        var text = ""
        for _ in 0..<100 {
            text = (try? String(contentsOfFile: bootstrapFile, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
            if !text.isEmpty && FileManager.default.fileExists(atPath: controlSocket) { break }
            Thread.sleep(forTimeInterval: 0.1)
        }
        guard !text.isEmpty else {
            process.terminate()
            throw BrokerEnvironment.Missing(description: "kafka-mock-broker \(binary) wrote no bootstrap file within 10 s")
        }
        bootstrap = text
    }

    /// Sends one control command (`broker down 1`, `errors produce 5 NOT_LEADER_FOR_PARTITION`,
    /// `topic create NAME 1`) and returns the answer line.
    @discardableResult
    func control(_ command: String) throws -> String {
        let output = try ProcessRunner.run(["socat", "-t", "5", "-", "UNIX-CONNECT:\(controlSocket)"], input: command + "\n")
        let answer = output.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(answer == "ok", "kafka-mock-broker control '\(command)': \(output)")
        return answer
    }

    deinit {
        if process.isRunning {
            // SIGTERM, and SIGKILL when it has not exited within 2 s (the mock can hang while
            // clients are still connected).
            process.terminate()
            let deadline = Date().addingTimeInterval(2)
            while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: directory)
    }
}
