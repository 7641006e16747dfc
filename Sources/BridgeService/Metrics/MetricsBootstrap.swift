import BridgeCore
public import Prometheus
import Metrics

/// The one Prometheus registry of the process and the swift-metrics factory over it.
///
/// `@main` makes one, calls ``bootstrapMetricsSystem()`` once, and hands ``exporter`` to the
/// ``HTTPServer``. Everything else (tests included) can use ``factory`` or ``registry``
/// directly without the global bootstrap.
public struct MetricsBootstrap: Sendable {
    /// Histogram buckets for latencies from 100 µs to 30 s: `bridge_delivery_seconds`,
    /// `bridge_forward_seconds`, and every other swift-metrics `Timer`.
    public static let latencyBuckets: [Duration] = [
        .microseconds(100), .microseconds(250), .microseconds(500),
        .milliseconds(1), .microseconds(2500), .milliseconds(5),
        .milliseconds(10), .milliseconds(25), .milliseconds(50),
        .milliseconds(100), .milliseconds(250), .milliseconds(500),
        .seconds(1), .milliseconds(2500), .seconds(5),
        .seconds(10), .seconds(30),
    ]

    /// ``latencyBuckets`` in seconds, for latencies recorded as `Double` seconds through an
    /// aggregating swift-metrics `Recorder`.
    public static let latencyBucketsSeconds: [Double] = latencyBuckets.map { duration in
        let (seconds, attoseconds) = duration.components
        return Double(seconds) + Double(attoseconds) / 1e18
    }

    /// The histograms that get ``latencyBuckets`` whichever swift-metrics type records them.
    public static let latencyHistogramNames = [MetricNames.deliverySeconds, MetricNames.forwardSeconds]

    /// The registry `/metrics` emits.
    public let registry: PrometheusCollectorRegistry
    /// A swift-metrics factory over ``registry``, with latency buckets configured.
    public let factory: PrometheusMetricsFactory
    /// The `process_*` metrics, registered in ``registry``.
    public let processMetrics: ProcessMetrics

    /// Creates the factory and registers the process metrics; touches no global state.
    ///
    /// - Parameter registry: A fresh registry (the default) or one a test owns.
    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = Self.latencyBuckets
        for name in Self.latencyHistogramNames {
            factory.durationHistogramBuckets[name] = Self.latencyBuckets
            factory.valueHistogramBuckets[name] = Self.latencyBucketsSeconds
        }
        self.factory = factory
        self.processMetrics = ProcessMetrics(registry: registry)
    }

    /// What the HTTP server serves at `/metrics`.
    public var exporter: MetricsExporter {
        MetricsExporter(registry: self.registry, processMetrics: self.processMetrics)
    }

    /// Makes ``factory`` the global swift-metrics factory. Call once, from `@main`, before any
    /// metric is created: swift-metrics traps on a second bootstrap.
    public func bootstrapMetricsSystem() {
        MetricsSystem.bootstrap(self.factory)
    }
}
