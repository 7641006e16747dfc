import Foundation
import Synchronization

/// What a finished child process left behind.
struct ProcessOutput: CustomStringConvertible {
    var command: [String]
    var status: Int32
    var stdout: String
    var stderr: String
    var timedOut: Bool

    var succeeded: Bool { status == 0 && !timedOut }

    var description: String {
        let how = timedOut ? "timed out" : "exited with \(status)"
        return "`\(command.joined(separator: " "))` \(how); stdout: \(stdout.debugDescription); stderr: \(stderr.debugDescription)"
    }
}

/// Runs command-line tools (mosquitto_pub, kcat, amqp-get, ...) with a time limit.
enum ProcessRunner {
    /// Runs a program found on PATH and waits for it.
    /// - Parameters:
    ///   - command: the program name or path, then its arguments.
    ///   - input: bytes written to its standard input (otherwise it reads /dev/null).
    ///   - timeout: how long it may run; then it gets SIGTERM, and SIGKILL a second later.
    /// - Returns: exit status and everything it wrote.
    static func run(_ command: [String], input: String? = nil, timeout: Duration = .seconds(20)) throws -> ProcessOutput {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = command
        let stdout = Pipe()
        let stderr = Pipe()
        let stdin = Pipe()
        process.standardOutput = stdout
        process.standardError = stderr
        process.standardInput = input == nil ? FileHandle.nullDevice : stdin
        let exited = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in exited.signal() }
        try process.run()

        // Drain both pipes while the child runs, so a chatty child never blocks on a full pipe.
        let collected = Mutex<[Int: Data]>([:])
        let drained = DispatchGroup()
        for (index, handle) in [stdout.fileHandleForReading, stderr.fileHandleForReading].enumerated() {
            drained.enter()
            DispatchQueue.global().async {
                let data = handle.readDataToEndOfFile()
                collected.withLock { $0[index] = data }
                drained.leave()
            }
        }
        if let input {
            stdin.fileHandleForWriting.write(Data(input.utf8))
            try? stdin.fileHandleForWriting.close()
        }

        var timedOut = false
        if exited.wait(timeout: .now() + .milliseconds(Int(timeout.components.seconds * 1000))) == .timedOut {
            timedOut = true
            process.terminate()
            if exited.wait(timeout: .now() + .seconds(1)) == .timedOut {
                kill(process.processIdentifier, SIGKILL)
                exited.wait()
            }
        }
        drained.wait()
        let data = collected.withLock { $0 }
        return ProcessOutput(
            command: command,
            status: process.terminationStatus,
            stdout: String(decoding: data[0] ?? Data(), as: UTF8.self),
            stderr: String(decoding: data[1] ?? Data(), as: UTF8.self),
            timedOut: timedOut
        )
    }

    /// Runs `command` until it succeeds, at most `attempts` times, `pause` apart.
    /// - Returns: the first successful output, or the last failed one.
    static func retry(
        _ command: [String], attempts: Int = 20, pause: Duration = .milliseconds(250), timeout: Duration = .seconds(10)
    ) throws -> ProcessOutput {
        var output = try run(command, timeout: timeout)
        for _ in 1..<max(attempts, 1) where !output.succeeded {
            Thread.sleep(forTimeInterval: Double(pause.components.attoseconds) / 1e18 + Double(pause.components.seconds))
            output = try run(command, timeout: timeout)
        }
        return output
    }
}
