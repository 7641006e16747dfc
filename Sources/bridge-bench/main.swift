// bridge-bench: throughput, latency, CPU and memory of `message-bridge run` for every
// protocol pair, beside the brokers' direct ceiling and the anchors (RabbitMQ Shovel,
// mosquitto's bridge). See docs/bench/RESULTS.md and deploy/bench.sh.
import Foundation

do {
    let options = try Options(Array(CommandLine.arguments.dropFirst()))
    let bench = try Bench(options: options)
    let report = try bench.runAll()
    let markdown = report.markdown()
    print(markdown)
    if let path = options.markdown { try markdown.write(toFile: path, atomically: true, encoding: .utf8) }
    if let path = options.json {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(report).write(to: URL(fileURLWithPath: path))
    }
    let failed = report.pairs.contains { $0.error != nil || ($0.bridge.map { $0.throughput.lost > 0 } ?? false) }
        || report.memory.contains { $0.error != nil || $0.lost > 0 }
    exit(failed ? 1 : 0)
} catch {
    FileHandle.standardError.write(Data("bridge-bench: \(error)\n".utf8))
    exit(2)
}
