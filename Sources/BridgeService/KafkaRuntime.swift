import BridgeCore
import BridgeKafka
import Logging
import Metrics
import NIOCore
import NIOPosix

/// The Kafka side of `run`: one producer per Kafka connection that routes publish to, one
/// consumer per Kafka-sourced route, each route driven by its ``RouteDelivery``.
final class KafkaRuntime: Sendable {
    struct Route: Sendable {
        var name: String
        var delivery: RouteDelivery
        var source: KafkaSource
    }

    let routes: [Route]
    let producers: [KafkaProducer]
    private let logger: Logger

    /// Builds the producers, sinks, sources and cores of `routes` (each must have a Kafka
    /// source and Kafka destinations only). Nothing connects until ``start()``.
    init(
        config: BridgeConfig,
        routes routeConfigs: [RouteConfig],
        connectionMetrics: [String: ConnectionMetrics],
        logger: Logger
    ) throws {
        self.logger = logger
        let bridge = config.bridge
        var states: [String: KafkaConnectionState] = [:]
        func state(_ connection: String) -> KafkaConnectionState {
            if let known = states[connection] { return known }
            let made = KafkaConnectionState(observer: connectionMetrics[connection].map(ConnectionMetricsObserver.init))
            states[connection] = made
            return made
        }
        func settings(_ connection: String) throws -> KafkaConnectionSettings {
            guard case .kafka(let settings)? = config.connection(connection)?.settings else {
                throw KafkaError("connection \(connection) is not a Kafka connection")
            }
            return settings
        }

        // Producers: sized from the windows and retry policies of the routes that publish to them.
        var producerInputs: [String: (window: Int, bytes: Int, timeout: TimeAmount)] = [:]
        for route in routeConfigs {
            let targets = route.destinations + (route.onError.deadLetter.map { [$0] } ?? [])
            for connection in Set(targets.map(\.connection)) {
                var input = producerInputs[connection] ?? (0, 0, .zero)
                input.window += route.maxInFlight
                input.bytes += route.maxInFlight * route.maxMessageSize
                // A report comes back within twice the longest retry delay (5 s..300 s):
                // the core, not librdkafka, decides about further attempts.
                let timeout = TimeAmount.nanoseconds(
                    min(max(route.onError.maxBackoff.nanoseconds * 2, TimeAmount.seconds(5).nanoseconds), TimeAmount.seconds(300).nanoseconds)
                )
                input.timeout = max(input.timeout, timeout)
                producerInputs[connection] = input
            }
        }
        var producers: [String: KafkaProducer] = [:]
        for (connection, input) in producerInputs.sorted(by: { $0.key < $1.key }) {
            producers[connection] = KafkaProducer(
                connection: connection,
                settings: try settings(connection),
                clientID: "\(bridge.name)-\(bridge.instance)-pub",
                messageTimeout: input.timeout,
                queueMessages: min(max(input.window + 1000, 1000), 10_000_000),
                queueKiB: min(max(input.bytes / 1024, 16 * 1024), 1_048_576),
                connectionState: state(connection),
                logger: logger
            )
        }
        self.producers = producers.values.sorted { $0.connection < $1.connection }

        let clock = EventLoopDeliveryClock(eventLoop: MultiThreadedEventLoopGroup.singleton.next())
        var routes: [Route] = []
        for route in routeConfigs {
            guard case .kafka(let sourceConfig) = route.source else { continue }
            let policy = try route.deliveryPolicy(bridge: bridge, sourceProtocol: .kafka)
            var routeLogger = logger
            routeLogger[metadataKey: "route"] = "\(route.name)"
            let dropped = FieldsDropped(route: route.name, logger: routeLogger)
            func sink(_ destination: DestinationConfig) -> KafkaSink {
                KafkaSink(
                    destination: destination, route: route.name, maxMessageSize: route.maxMessageSize,
                    producer: producers[destination.connection]!, dropped: dropped
                )
            }
            let source = KafkaSource(
                route: route,
                source: sourceConfig,
                connection: sourceConfig.connection,
                settings: try settings(sourceConfig.connection),
                clientID: "\(bridge.name)-\(bridge.instance)-\(route.name)",
                connectionState: state(sourceConfig.connection),
                logger: logger
            )
            let delivery = RouteDelivery(
                policy: policy,
                source: source,
                sinks: route.destinations.map(sink),
                deadLetter: route.onError.deadLetter.map(sink),
                clock: clock
            )
            routes.append(Route(name: route.name, delivery: delivery, source: source))
        }
        self.routes = routes
    }

    /// Starts the producers, then the consumers.
    func start() throws {
        for producer in producers { try producer.start() }
        for route in routes { try route.source.start(delivering: route.delivery) }
    }

    /// SIGTERM: every route stops taking messages and drains within `timeout`; the sources
    /// commit what was confirmed and close; then the producers flush and close.
    func shutdown(timeout: TimeAmount) async {
        let deadline = NIODeadline.now() + timeout
        await withTaskGroup(of: Void.self) { group in
            for route in routes {
                group.addTask { [logger] in
                    let clean = await route.delivery.drain(timeout: timeout)
                    let stats = route.delivery.stats
                    logger.info(
                        clean ? "route drained" : "route drain timed out: the rest is left for the broker to redeliver",
                        metadata: [
                            "route": "\(route.name)", "received": "\(stats.received)", "acked": "\(stats.acked)",
                            "abandoned": "\(stats.abandoned)",
                        ]
                    )
                    await route.source.close()
                }
            }
        }
        let left = max(deadline - .now(), .seconds(1))
        for producer in producers { await producer.close(timeout: left) }
    }
}

/// Reports a Kafka connection's state into its ``ConnectionMetrics`` (and so `/readyz`).
final class ConnectionMetricsObserver: KafkaConnectionObserver {
    let metrics: ConnectionMetrics

    init(_ metrics: ConnectionMetrics) {
        self.metrics = metrics
    }

    func connectionUp() { metrics.setState(.up) }
    func connectionDown() { metrics.setState(.down) }
    func reconnected() { metrics.recordReconnect() }
    func consumerLag(_ lag: Int64, topic: String, partition: Int32) { metrics.setConsumerLag(lag, topic: topic, partition: partition) }
    func partitionRemoved(topic: String, partition: Int32) { metrics.removeConsumerLag(topic: topic, partition: partition) }
}
