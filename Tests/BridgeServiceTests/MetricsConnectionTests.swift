import BridgeCore
@testable import BridgeService
import Prometheus
import Testing

struct MetricsConnectionTests {
    private func lines(_ registry: PrometheusCollectorRegistry) -> Set<String> {
        Set(registry.emitToString().split(separator: "\n").map(String.init))
    }

    @Test func seriesExistAtZeroForEveryConnection() {
        let metrics = MetricsBootstrap(registry: PrometheusCollectorRegistry())
        let readiness = ReadinessRegistry(connections: [], routes: [])
        for (name, proto) in [("plant", "mqtt"), ("erp", "kafka"), ("mes", "amqp")] {
            _ = ConnectionMetrics(connection: name, protocolName: proto, readiness: readiness, factory: metrics.factory)
        }
        let lines = self.lines(metrics.registry)
        for line in [
            "# TYPE bridge_connection_up gauge",
            #"bridge_connection_up{connection="plant",protocol="mqtt"} 0.0"#,
            #"bridge_connection_up{connection="erp",protocol="kafka"} 0.0"#,
            #"bridge_connection_up{connection="mes",protocol="amqp"} 0.0"#,
            "# TYPE bridge_connection_reconnects_total counter",
            #"bridge_connection_reconnects_total{connection="plant"} 0"#,
            #"bridge_connection_reconnects_total{connection="erp"} 0"#,
            #"bridge_connection_reconnects_total{connection="mes"} 0"#,
            "# TYPE bridge_mqtt_sessions_lost_total counter",
            #"bridge_mqtt_sessions_lost_total{connection="plant"} 0"#,
            #"bridge_mqtt_sessions_lost_total{connection="erp"} 0"#,
        ] {
            #expect(lines.contains(line), "missing line: \(line)")
        }
        #expect(!lines.contains { $0.hasPrefix("bridge_kafka_consumer_lag") })
        #expect(readiness.snapshot().connections == ["plant": .down, "erp": .down, "mes": .down])
    }

    @Test func stateUpdatesGaugeAndReadinessTogether() {
        let metrics = MetricsBootstrap(registry: PrometheusCollectorRegistry())
        let readiness = ReadinessRegistry(connections: ["plant"], routes: [])
        let plant = ConnectionMetrics(
            connection: "plant",
            protocolName: "mqtt",
            readiness: readiness,
            factory: metrics.factory
        )
        let up = #"bridge_connection_up{connection="plant",protocol="mqtt"} "#

        plant.setState(.up)
        #expect(lines(metrics.registry).contains(up + "1.0"))
        #expect(readiness.snapshot().connections["plant"] == .up)

        plant.setState(.connecting)
        #expect(lines(metrics.registry).contains(up + "0.0"))
        #expect(readiness.snapshot().connections["plant"] == .connecting)

        plant.recordReconnect()
        plant.recordReconnect()
        plant.recordSessionLost()
        let lines = self.lines(metrics.registry)
        #expect(lines.contains(#"bridge_connection_reconnects_total{connection="plant"} 2"#))
        #expect(lines.contains(#"bridge_mqtt_sessions_lost_total{connection="plant"} 1"#))
    }

    @Test func kafkaLagAppearsOnFirstUseAndGoesOnRevoke() {
        let metrics = MetricsBootstrap(registry: PrometheusCollectorRegistry())
        let erp = ConnectionMetrics(connection: "erp", protocolName: "kafka", readiness: nil, factory: metrics.factory)
        erp.setConsumerLag(17, topic: "erp.orders", partition: 3)
        erp.setConsumerLag(-5, topic: "erp.orders", partition: 0)
        var lines = self.lines(metrics.registry)
        #expect(lines.contains("# TYPE bridge_kafka_consumer_lag gauge"))
        #expect(lines.contains(#"bridge_kafka_consumer_lag{connection="erp",topic="erp.orders",partition="3"} 17.0"#))
        #expect(lines.contains(#"bridge_kafka_consumer_lag{connection="erp",topic="erp.orders",partition="0"} 0.0"#))

        erp.setConsumerLag(4, topic: "erp.orders", partition: 3)
        erp.removeConsumerLag(topic: "erp.orders", partition: 0)
        lines = self.lines(metrics.registry)
        #expect(lines.contains(#"bridge_kafka_consumer_lag{connection="erp",topic="erp.orders",partition="3"} 4.0"#))
        #expect(!lines.contains { $0.contains(#"partition="0""#) })
    }

    @Test func aSecondObjectForTheSameConnectionSharesItsSeries() {
        // A reload may make a new object for a connection that keeps running: it must not trap.
        let metrics = MetricsBootstrap(registry: PrometheusCollectorRegistry())
        let first = ConnectionMetrics(connection: "mes", protocolName: "amqp", readiness: nil, factory: metrics.factory)
        first.recordReconnect()
        let second = ConnectionMetrics(
            connection: "mes",
            protocolName: "amqp",
            readiness: nil,
            factory: metrics.factory
        )
        second.recordReconnect()
        #expect(lines(metrics.registry).contains(#"bridge_connection_reconnects_total{connection="mes"} 2"#))
    }
}
