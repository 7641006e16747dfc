import Foundation

extension Report {
    /// The results as Markdown: one row per pair, the ceiling beside each figure.
    func markdown() -> String {
        func rate(_ value: Double) -> String { value >= 1000 ? String(format: "%.1fk", value / 1000) : String(format: "%.0f", value) }
        func ms(_ micros: Double) -> String { String(format: "%.2f", micros / 1000) }
        func mib(_ bytes: Int) -> String { String(format: "%.1f MiB", Double(bytes) / 1_048_576) }
        var lines: [String] = []
        lines.append("Run \(date) on \(machine); load average before \(loadAverageBefore), after \(loadAverageAfter).")
        lines.append("\(pairs.first?.messages ?? 0) messages of \(size) B per pass, max_in_flight \(window), at-least-once everywhere (MQTT QoS 1, AMQP publisher confirms + persistent, Kafka acks=all + idempotence). Latency at 50% of each path's own peak rate.")
        lines.append("")
        lines.append("| pair | bridge msg/s | direct ceiling msg/s (source / destination) | bridge ÷ ceiling | target | met | anchor msg/s | e2e p50 / p99 / p99.9 ms, bridge | e2e p50 / p99 ms, direct | bridge_forward_seconds p99 (bridge_delivery_seconds p50 / p99) | bridge CPU µs/msg (s per 100k) | peak RSS (idle) | lost / dup |")
        lines.append("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
        for pair in pairs {
            guard let bridge = pair.bridge else {
                lines.append("| \(pair.pair) | failed: \(pair.error?.prefix(120).replacingOccurrences(of: "|", with: "/").replacingOccurrences(of: "\n", with: " ") ?? "") | | | \(pair.target) | no | | | | | | | |")
                continue
            }
            let ceiling = "\(rate(pair.ceiling)) (\(rate(pair.sourceDirect.throughput.rate)) / \(rate(pair.destinationDirect.throughput.rate)))"
            let anchor = pair.anchor.map { "\(rate($0.throughput.rate)) (\($0.name)); bridge ÷ anchor \(String(format: "%.2f", bridge.throughput.rate / $0.throughput.rate))" } ?? "—"
            let e2e = bridge.latency.map { "\(ms($0.p50Micros)) / \(ms($0.p99Micros)) / \(ms($0.p999Micros))" } ?? "—"
            let slower = pair.sourceDirect.throughput.rate <= pair.destinationDirect.throughput.rate ? pair.sourceDirect : pair.destinationDirect
            let direct = slower.latency.map { "\(ms($0.p50Micros)) / \(ms($0.p99Micros)) (\(slower.broker))" } ?? "—"
            func bucket(_ seconds: Double?) -> String {
                seconds.map { $0.isInfinite ? "> largest bucket" : String(format: "≤ %.2f ms", $0 * 1000) } ?? "—"
            }
            let forward = "\(bucket(bridge.forwardP99Seconds)) (\(bucket(bridge.deliveryP50Seconds)) / \(bucket(bridge.deliveryP99Seconds)))"
            let cpu = String(format: "%.1f (%.2f)", bridge.cpuMicrosPerMessage, bridge.cpuSecondsPer100k)
            let met = pair.targetMet.map { $0 ? "yes" : "**no**" } ?? "—"
            lines.append("| \(pair.pair) | \(rate(bridge.throughput.rate)) | \(ceiling) | \(String(format: "%.0f%%", (pair.ratio ?? 0) * 100)) | \(pair.target) | \(met) | \(anchor) | \(e2e) | \(direct) | \(forward) | \(cpu) | \(mib(bridge.peakRSSBytes)) (\(mib(bridge.rssIdleBytes))) | \(bridge.throughput.lost) / \(bridge.throughput.duplicates) |")
        }
        let counted = pairs.compactMap { pair in pair.bridge?.instructionsPerMessage.map { (pair.pair, $0) } }
        if !counted.isEmpty {
            lines.append("")
            lines.append("Instructions per message executed by the bridge (valgrind callgrind, throughput pass): "
                + counted.map { "\($0.0) \(String(format: "%.0f", $0.1))" }.joined(separator: ", ") + ".")
        }
        if !memory.isEmpty {
            lines.append("")
            lines.append("| memory test | backlog | max_in_flight | drained in | RSS at 10% / 90% drained | RSS min / max while draining | peak RSS (VmHWM) | lost / dup |")
            lines.append("| --- | --- | --- | --- | --- | --- | --- | --- |")
            for m in memory {
                if let error = m.error {
                    lines.append("| \(m.pair) | \(m.backlog) | \(m.maxInFlight) | failed: \(error.prefix(120).replacingOccurrences(of: "|", with: "/").replacingOccurrences(of: "\n", with: " ")) | | | | |")
                    continue
                }
                lines.append("| \(m.pair) | \(m.backlog) | \(m.maxInFlight) | \(String(format: "%.1f s", m.drainSeconds)) | \(mib(m.rssAt10PercentBytes)) / \(mib(m.rssAt90PercentBytes)) | \(mib(m.rssMinBytes)) / \(mib(m.rssMaxBytes)) | \(mib(m.peakRSSBytes)) | \(m.lost) / \(m.duplicates) |")
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
