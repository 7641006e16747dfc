import BridgeCore
@testable import BridgeService
import Metrics
import Prometheus
import Testing

struct MetricsBootstrapTests {
    @Test func latencyBucketsSpan100MicrosecondsTo30Seconds() {
        let buckets = MetricsBootstrap.latencyBuckets
        #expect(buckets.first == .microseconds(100))
        #expect(buckets.last == .seconds(30))
        #expect(zip(buckets, buckets.dropFirst()).allSatisfy { $0 < $1 })
        #expect(MetricsBootstrap.latencyBucketsSeconds.first == 0.0001)
        #expect(MetricsBootstrap.latencyBucketsSeconds.last == 30)
    }

    @Test func bothLatencyHistogramsGetTheBucketsAsTimersAndAsRecorders() {
        let metrics = MetricsBootstrap(registry: PrometheusCollectorRegistry())
        Metrics.Timer(label: MetricNames.forwardSeconds, dimensions: [("route", "r")], factory: metrics.factory)
            .recordMicroseconds(150)
        Recorder(label: MetricNames.deliverySeconds, dimensions: [("route", "r")], factory: metrics.factory)
            .record(12.5)
        let lines = Set(metrics.registry.emitToString().split(separator: "\n").map(String.init))
        for line in [
            #"bridge_forward_seconds_bucket{route="r",le="0.0001"} 0"#,
            #"bridge_forward_seconds_bucket{route="r",le="0.00025"} 1"#,
            #"bridge_forward_seconds_bucket{route="r",le="30.0"} 1"#,
            #"bridge_delivery_seconds_bucket{route="r",le="10.0"} 0"#,
            #"bridge_delivery_seconds_bucket{route="r",le="30.0"} 1"#,
            #"bridge_delivery_seconds_sum{route="r"} 12.5"#,
        ] {
            #expect(lines.contains(line), "missing line: \(line)")
        }
    }

    @Test func connectionAndProcessMetricsShareOneRegistry() {
        // The connection and process names through one registry, as @main wires it.
        let metrics = MetricsBootstrap(registry: PrometheusCollectorRegistry())
        _ = ConnectionMetrics(connection: "plant", protocolName: "mqtt", readiness: nil, factory: metrics.factory)
        let text = String(decoding: metrics.exporter.render(), as: UTF8.self)
        for name in [
            MetricNames.connectionUp, MetricNames.connectionReconnects, MetricNames.mqttSessionsLost,
            MetricNames.processResidentMemory, MetricNames.processCPUSeconds, MetricNames.processStartTime,
        ] {
            #expect(text.contains("# TYPE \(name) "), "missing \(name)")
        }
    }
}
