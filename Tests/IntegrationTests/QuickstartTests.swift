import Foundation
import Testing

/// `deploy/quickstart.sh --non-interactive`, the README's first command, against the running
/// brokers: every sample arrives, it exits 0, it stops the bridge it started and leaves the
/// brokers it did not start running. It uses the bridge this test run built (`BRIDGE_BINARY`).
@Suite(
    .serialized, .timeLimit(.minutes(2)),
    .enabled(if: BrokerEnvironment.isConfigured, BrokerEnvironment.disabledReason)
)
struct QuickstartTests {
    let brokers: BrokerEnvironment

    init() throws {
        brokers = try BrokerEnvironment.load()
    }

    static var repositoryRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    @Test("quickstart --non-interactive: every sample arrives, exit 0, the bridge stopped, the brokers left running")
    func nonInteractive() throws {
        let root = Self.repositoryRoot
        let port = BridgeProcess.freePort()
        let runDir = try brokers["BRIDGE_RUN_DIR"]
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("quickstart-\(port).log")
        // Through sh, with the output in a file: no pipe is left to the bridge and the
        // receivers the script starts; `timeout` sends SIGTERM (its trap stops what it started).
        let environment = [
            "BRIDGE_RUN_DIR=\(runDir)", "BRIDGE_BINARY=\(BridgeProcess.executable.path)", "BRIDGE_HTTP=127.0.0.1:\(port)",
            "BRIDGE_QUICKSTART_WAIT=30",
            // Its own MQTT client ids, apart from other runs of the example routes.
            "HOSTNAME=qs-\(UUID().uuidString.prefix(6).lowercased())",
        ]
        // Detached, with its exit status in a file: the test process never waits on the
        // script as its child (it would inherit the test's blocked signals and pipes).
        let statusFile = FileManager.default.temporaryDirectory.appendingPathComponent("quickstart-\(port).status")
        try? FileManager.default.removeItem(at: statusFile)
        let command = "cd '\(root.path)' && timeout -s KILL 110 env \(environment.map { "'\($0)'" }.joined(separator: " ")) deploy/quickstart.sh --non-interactive > '\(output.path)' 2>&1; echo $? > '\(statusFile.path)'"
        let started = Date()
        let launch = try ProcessRunner.run(["sh", "-c", "(\(command)) </dev/null >/dev/null 2>&1 &"], timeout: .seconds(10))
        try #require(launch.succeeded, "\(launch)")
        let finished = BridgeProcess.wait(115) { FileManager.default.fileExists(atPath: statusFile.path) && ((try? String(contentsOf: statusFile, encoding: .utf8)) ?? "").hasSuffix("\n") }
        let status = Int32(((try? String(contentsOf: statusFile, encoding: .utf8)) ?? "").trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
        let text = (try? String(contentsOf: output, encoding: .utf8)) ?? ""
        print("quickstart --non-interactive: exit \(status) after \(String(format: "%.1f", Date().timeIntervalSince(started))) s")
        #expect(finished, "quickstart did not finish within 100 s:\n\(text)")
        #expect(status == 0, "exit \(status):\n\(text)")
        #expect(text.contains("every sample arrived"), "\(text)")
        for route in [
            "orders-started", "batch-quarantined", "telemetry-to-site2", "erp-orders-to-mes", "erp-releases-to-plant",
            "erp-shipments-archive", "inspection-results", "instructions-to-lines", "quality-alerts",
        ] {
            #expect(text.range(of: "\(route) .* arrived", options: .regularExpression) != nil, "\(route) not shown as arrived:\n\(text)")
        }
        #expect(!text.contains("MISSING"), "\(text)")
        #expect(text.contains("http://127.0.0.1:\(port)/metrics"), "metrics address not printed")
        #expect(text.contains("already run: using them"), "it did not reuse the running brokers:\n\(text)")
        // The bridge it started is gone; the brokers it did not start still run.
        let stillServing = try ProcessRunner.run(["curl", "-s", "-m", "2", "http://127.0.0.1:\(port)/healthz"]).succeeded
        #expect(!stillServing, "the bridge still runs after the quickstart")
        let brokerStatus = try ProcessRunner.run([root.appendingPathComponent("deploy/brokers.sh").path, "status"], timeout: .seconds(20))
        #expect(brokerStatus.succeeded, "brokers not all running after the quickstart: \(brokerStatus)")
    }
}
