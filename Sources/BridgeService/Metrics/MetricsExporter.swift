public import Prometheus
import BridgeCore

/// Produces the `/metrics` body: refreshes the process metrics, then emits the registry in
/// Prometheus text format 0.0.4.
public struct MetricsExporter: Sendable {
    /// The registry that is emitted.
    public let registry: PrometheusCollectorRegistry
    /// Refreshed before each emit, when present.
    public let processMetrics: ProcessMetrics?

    /// The `Content-Type` of the body.
    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    /// - Parameters:
    ///   - registry: The registry to emit.
    ///   - processMetrics: The process metrics registered in `registry`, refreshed at each scrape.
    public init(registry: PrometheusCollectorRegistry, processMetrics: ProcessMetrics? = nil) {
        self.registry = registry
        self.processMetrics = processMetrics
    }

    /// Appends the current exposition to `buffer`.
    ///
    /// Metrics of the contract that have no series yet (those with a `reason`, `field` or
    /// `partition` label appear when first used) get their `# TYPE` line anyway, so that
    /// every name of CONTRACT section 7 is visible from the first scrape.
    public func render(into buffer: inout [UInt8]) {
        self.processMetrics?.update()
        let start = buffer.count
        self.registry.emit(into: &buffer)
        let emitted = Self.declaredNames(in: buffer[start...])
        for metric in MetricNames.all where !emitted.contains(metric.name) {
            buffer.append(contentsOf: "# TYPE \(metric.name) \(metric.kind.rawValue)\n".utf8)
        }
    }

    /// The names of the `# TYPE` lines in an exposition.
    static func declaredNames(in text: ArraySlice<UInt8>) -> Set<String> {
        var names = Set<String>()
        let prefix = Array("# TYPE ".utf8)
        var lineStart = text.startIndex
        while lineStart < text.endIndex {
            let lineEnd = text[lineStart...].firstIndex(of: UInt8(ascii: "\n")) ?? text.endIndex
            let line = text[lineStart..<lineEnd]
            if line.starts(with: prefix) {
                let rest = line.dropFirst(prefix.count)
                let nameEnd = rest.firstIndex(of: UInt8(ascii: " ")) ?? rest.endIndex
                names.insert(String(decoding: rest[..<nameEnd], as: UTF8.self))
            }
            lineStart = lineEnd + 1
        }
        return names
    }

    /// The current exposition.
    public func render() -> [UInt8] {
        var buffer: [UInt8] = []
        buffer.reserveCapacity(16 * 1024)
        self.render(into: &buffer)
        return buffer
    }
}
