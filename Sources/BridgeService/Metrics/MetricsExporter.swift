public import Prometheus

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
    public func render(into buffer: inout [UInt8]) {
        self.processMetrics?.update()
        self.registry.emit(into: &buffer)
    }

    /// The current exposition.
    public func render() -> [UInt8] {
        var buffer: [UInt8] = []
        buffer.reserveCapacity(16 * 1024)
        self.render(into: &buffer)
        return buffer
    }
}
