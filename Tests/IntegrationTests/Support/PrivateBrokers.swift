import Foundation
import Testing

/// A prefix that runs a program with no signal blocked: children spawned from the test's
/// threads inherit their blocked signals, so mosquitto would never see the SIGTERM that
/// makes it write its persistence file.
let unblockingSignals = [
    "python3", "-c", "import os, signal, sys; signal.pthread_sigmask(signal.SIG_SETMASK, []); os.execvp(sys.argv[1], sys.argv[1:])",
]

/// A mosquitto of the test's own, on a free port, with the settings of deploy/brokers.sh
/// (persistence on, unbounded queues), so a test can stop and start it without touching the
/// shared brokers.
final class PrivateMosquitto {
    let port: Int
    let directory: URL
    private var process: Process?

    var url: String { "mqtt://127.0.0.1:\(port)" }

    init(tag: String) throws {
        port = BridgeProcess.freePort()
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("\(tag)-mosquitto")
        try FileManager.default.createDirectory(at: directory.appendingPathComponent("data"), withIntermediateDirectories: true)
        let config = """
            per_listener_settings true
            persistence true
            persistence_location \(directory.path)/data/
            autosave_interval 60
            max_queued_messages 0
            max_inflight_messages 1000
            log_dest file \(directory.path)/mosquitto.log
            listener \(port) 127.0.0.1
            allow_anonymous true

            """
        try config.write(to: directory.appendingPathComponent("mosquitto.conf"), atomically: true, encoding: .utf8)
        // mosquitto started as root drops to the mosquitto user, which must own the data.
        _ = try? ProcessRunner.run(["chown", "-R", "mosquitto:", directory.path])
        _ = try? ProcessRunner.run(["chmod", "755", directory.path])
        try start()
    }

    /// Starts mosquitto and waits until it answers.
    func start() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = unblockingSignals + ["mosquitto", "-c", directory.appendingPathComponent("mosquitto.conf").path]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
        self.process = process
        for _ in 0..<100 {
            let probe = try ProcessRunner.run(
                ["mosquitto_sub", "-h", "127.0.0.1", "-p", String(port), "-t", "$SYS/broker/version", "-C", "1", "-W", "1"],
                timeout: .seconds(3)
            )
            if probe.succeeded { return }
            Thread.sleep(forTimeInterval: 0.1)
        }
        throw BrokerEnvironment.Missing(description: "private mosquitto on port \(port) did not answer; log: \(directory.path)/mosquitto.log")
    }

    /// SIGTERM (mosquitto writes its persistence file) and waits for the exit.
    func stop() {
        guard let process, process.isRunning else { return }
        process.terminate()
        process.waitUntilExit()
        self.process = nil
    }

    deinit {
        stop()
        try? FileManager.default.removeItem(at: directory)
    }
}

/// The shared RabbitMQ node, stopped and started (`rabbitmqctl stop_app` / `start_app`) for
/// a broker cut. Other sessions share the node: the cut is announced by
/// `$BRIDGE_RUN_DIR/RABBIT-CUT` while it lasts, and kept short.
struct RabbitCut {
    let ctl: String
    let marker: URL

    init(_ brokers: BrokerEnvironment) throws {
        ctl = try brokers["RABBITMQCTL"]
        let runDirectory = brokers.values["BRIDGE_RUN_DIR"] ?? "/tmp/message-bridge-brokers"
        marker = URL(fileURLWithPath: runDirectory).appendingPathComponent("RABBIT-CUT")
    }

    /// Stops the RabbitMQ application, runs `whileDown`, and starts it again (always, even
    /// when `whileDown` throws).
    func cut(_ whileDown: () throws -> Void) throws {
        FileManager.default.createFile(atPath: marker.path, contents: Data("\(ProcessInfo.processInfo.processIdentifier)\n".utf8))
        defer { try? FileManager.default.removeItem(at: marker) }
        let stop = try ProcessRunner.run([ctl, "stop_app"], timeout: .seconds(60))
        var failure: (any Error)?
        do {
            try #require(stop.succeeded, "\(stop)")
            try whileDown()
        } catch { failure = error }
        let start = try ProcessRunner.run([ctl, "start_app"], timeout: .seconds(90))
        try #require(start.succeeded, "\(start)")
        if let failure { throw failure }
    }
}
