import BridgeAMQP
import BridgeCore
import BridgeKafka
import BridgeMQTT
import Logging
import Metrics
import NIOCore
import NIOPosix

/// A route's source, as the runtime drives it through start, drain and close.
protocol RouteSourceHandle: Sendable {
    /// The adapter's source, which the core acknowledges through.
    var deliverySource: any DeliverySource { get }
    /// Connects and starts handing messages to `delivery`.
    func start(_ delivery: RouteDelivery) throws
    /// Before the drain: stop taking new messages where the protocol needs more than the
    /// core's pause (AMQP `basic.cancel`).
    func stopTaking() async
    /// After the drain: commit what was confirmed and close.
    func close() async
    /// Whether the source's broker connection is up.
    var isUp: Bool { get async }
}

/// The adapter of one configured connection: makes sinks and sources on it.
protocol ConnectionHandle: Sendable {
    var name: String { get }
    func sink(for destination: DestinationConfig, route: RouteConfig, dropped: FieldsDropped) throws -> any DeliverySink
    func source(for route: RouteConfig, dropped: FieldsDropped) throws -> any RouteSourceHandle
    /// Starts what the sinks need (Kafka producers); called once every sink was made.
    func start() throws
    /// Whether the connection is up, or nil when the adapter reports it itself.
    var isUp: Bool? { get async }
    func shutdown(timeout: TimeAmount) async
}

/// Everything `run` runs: one adapter per connection, one ``RouteDelivery`` per route
/// with its source and sinks, and the readiness they report.
final class BridgeRuntime: Sendable {
    struct Route: Sendable {
        var config: RouteConfig
        var delivery: RouteDelivery
        var source: any RouteSourceHandle
    }

    let routes: [Route]
    let connections: [any ConnectionHandle]
    let readiness: ReadinessRegistry
    let connectionMetrics: [String: ConnectionMetrics]
    let logger: Logger

    /// Builds every adapter, sink, source and core of `config`. Nothing connects before
    /// ``start()``, except AMQP sinks, which check their exchange as they are made.
    init(
        config: BridgeConfig,
        readiness: ReadinessRegistry,
        connectionMetrics: [String: ConnectionMetrics],
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger
    ) throws {
        self.readiness = readiness
        self.connectionMetrics = connectionMetrics
        self.logger = logger
        var handles: [String: any ConnectionHandle] = [:]
        for connection in config.connections {
            let metrics = connectionMetrics[connection.name]
            switch connection.settings {
            case .kafka(let settings):
                handles[connection.name] = KafkaConnectionHandle(
                    name: connection.name, settings: settings, config: config, metrics: metrics, logger: logger
                )
            case .amqp(let settings):
                handles[connection.name] = AMQPConnectionHandle(
                    adapter: AMQPAdapter(
                        name: connection.name, settings: settings, clientPrefix: "\(config.bridge.name)-\(config.bridge.instance)",
                        eventLoopGroup: eventLoopGroup, logger: logger
                    )
                )
            case .mqtt(let settings):
                handles[connection.name] = MQTTConnectionHandle(
                    adapter: MQTTAdapter(
                        name: connection.name, settings: settings, instance: config.bridge.instance, eventLoopGroup: eventLoopGroup,
                        logger: logger,
                        hooks: MQTTAdapter.Hooks(
                            reconnecting: { metrics?.recordReconnect() },
                            sessionLost: { metrics?.recordSessionLost() }
                        )
                    )
                )
            case .amqp10(let settings):
                handles[connection.name] = Self.amqp10Handle(
                    name: connection.name, settings: settings, config: config, eventLoopGroup: eventLoopGroup, logger: logger
                )
            }
        }
        let clock = EventLoopDeliveryClock(eventLoop: eventLoopGroup.next())
        var routes: [Route] = []
        for route in config.routes {
            guard let sourceHandle = handles[route.source.connection], let proto = config.connection(route.source.connection)?.protocol else {
                throw BridgeRuntimeError("route \(route.name): unknown connection \(route.source.connection)")
            }
            var routeLogger = logger
            routeLogger[metadataKey: "route"] = "\(route.name)"
            let dropped = FieldsDropped(route: route.name, logger: routeLogger)
            func sink(_ destination: DestinationConfig) throws -> any DeliverySink {
                guard let handle = handles[destination.connection] else {
                    throw BridgeRuntimeError("route \(route.name): unknown connection \(destination.connection)")
                }
                return try handle.sink(for: destination, route: route, dropped: dropped)
            }
            let source = try sourceHandle.source(for: route, dropped: dropped)
            let delivery = RouteDelivery(
                policy: try route.deliveryPolicy(bridge: config.bridge, sourceProtocol: proto),
                source: source.deliverySource,
                sinks: try route.destinations.map(sink),
                deadLetter: try route.onError.deadLetter.map(sink),
                clock: clock
            )
            routes.append(Route(config: route, delivery: delivery, source: source))
        }
        self.routes = routes
        self.connections = config.connections.compactMap { handles[$0.name] }
    }

    /// Starts the sinks' connections, then every source.
    func start() throws {
        for connection in connections { try connection.start() }
        for route in routes { try route.source.start(route.delivery) }
    }

    /// Keeps `/readyz` and `bridge_connection_up` in step with the adapters until cancelled.
    func reportReadiness() async {
        var last: [String: Bool] = [:]
        var lastRoute: [String: ReadinessRegistry.RouteState] = [:]
        while !Task.isCancelled {
            for connection in connections {
                guard let up = await connection.isUp else { continue }
                if last[connection.name] != up {
                    last[connection.name] = up
                    connectionMetrics[connection.name]?.setState(up ? .up : .down)
                }
            }
            for route in routes {
                let state: ReadinessRegistry.RouteState
                if await !route.source.isUp {
                    state = .down
                } else {
                    switch route.delivery.routeState {
                    case .consuming: state = .consuming
                    case .paused: state = .paused
                    case .blocked: state = .blocked
                    }
                }
                readiness.setRoute(route.config.name, to: state)
                if lastRoute[route.config.name] != state {
                    let stats = route.delivery.stats
                    let metadata: Logger.Metadata = [
                        "route": "\(route.config.name)", "state": "\(state.rawValue)", "in_flight": "\(stats.inFlight)",
                    ]
                    if state == .blocked {
                        logger.warning("route blocked: a message failed for good and on_error.exhausted is block; it is retried at max_backoff (see bridge_messages_failed_total for the reason)", metadata: metadata)
                    } else if lastRoute[route.config.name] != nil || state != .consuming {
                        logger.info("route \(state.rawValue)", metadata: metadata)
                    }
                    lastRoute[route.config.name] = state
                }
            }
            try? await Task.sleep(for: .milliseconds(250))
        }
    }

    /// SIGTERM: every route stops taking messages and drains within `timeout`; the sources
    /// commit what was confirmed and close; then the connections flush and close. What was
    /// not confirmed stays unacked for the brokers to redeliver.
    func shutdown(timeout: TimeAmount) async {
        let deadline = NIODeadline.now() + timeout
        await withTaskGroup(of: Void.self) { group in
            for route in routes {
                group.addTask { [logger] in
                    await route.source.stopTaking()
                    let clean = await route.delivery.drain(timeout: timeout)
                    let stats = route.delivery.stats
                    logger.info(
                        clean ? "route drained" : "route drain timed out: the rest is left for the broker to redeliver",
                        metadata: [
                            "route": "\(route.config.name)", "received": "\(stats.received)", "acked": "\(stats.acked)",
                            "abandoned": "\(stats.abandoned)",
                        ]
                    )
                    await route.source.close()
                }
            }
        }
        let left = max(deadline - .now(), .seconds(1))
        await withTaskGroup(of: Void.self) { group in
            for connection in connections {
                group.addTask { await connection.shutdown(timeout: left) }
            }
        }
    }
}

struct BridgeRuntimeError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

// MARK: - Kafka

final class KafkaConnectionHandle: ConnectionHandle {
    let name: String
    let settings: KafkaConnectionSettings
    let bridge: BridgeSettings
    let state: KafkaConnectionState
    let producer: KafkaProducer?
    let logger: Logger

    init(name: String, settings: KafkaConnectionSettings, config: BridgeConfig, metrics: ConnectionMetrics?, logger: Logger) {
        self.name = name
        self.settings = settings
        self.bridge = config.bridge
        self.logger = logger
        self.state = KafkaConnectionState(observer: metrics.map(ConnectionMetricsObserver.init))
        // One producer for every route that publishes here, sized from their windows and
        // retry policies: a delivery report comes back within twice the longest retry delay
        // (5 s..300 s), and the core, not librdkafka, decides about further attempts.
        var window = 0
        var bytes = 0
        var timeout = TimeAmount.zero
        var used = false
        for route in config.routes {
            let targets = route.destinations + (route.onError.deadLetter.map { [$0] } ?? [])
            guard targets.contains(where: { $0.connection == name }) else { continue }
            used = true
            window += route.maxInFlight
            bytes += route.maxInFlight * route.maxMessageSize
            let t = min(max(route.onError.maxBackoff.nanoseconds * 2, TimeAmount.seconds(5).nanoseconds), TimeAmount.seconds(300).nanoseconds)
            timeout = max(timeout, .nanoseconds(t))
        }
        self.producer =
            used
            ? KafkaProducer(
                connection: name,
                settings: settings,
                clientID: "\(config.bridge.name)-\(config.bridge.instance)-pub",
                messageTimeout: timeout,
                queueMessages: min(max(window + 1000, 1000), 10_000_000),
                queueKiB: min(max(bytes / 1024, 16 * 1024), 1_048_576),
                connectionState: state,
                logger: logger
            ) : nil
    }

    func sink(for destination: DestinationConfig, route: RouteConfig, dropped: FieldsDropped) throws -> any DeliverySink {
        guard let producer else { throw BridgeRuntimeError("connection \(name) has no producer") }
        return KafkaSink(destination: destination, route: route.name, maxMessageSize: route.maxMessageSize, producer: producer, dropped: dropped)
    }

    func source(for route: RouteConfig, dropped: FieldsDropped) throws -> any RouteSourceHandle {
        guard case .kafka(let sourceConfig) = route.source else { throw BridgeRuntimeError("route \(route.name) does not read Kafka") }
        return KafkaSourceHandle(
            source: KafkaSource(
                route: route, source: sourceConfig, connection: name, settings: settings,
                clientID: "\(bridge.name)-\(bridge.instance)-\(route.name)", connectionState: state, logger: logger
            )
        )
    }

    func start() throws { try producer?.start() }

    var isUp: Bool? { get async { nil } }

    func shutdown(timeout: TimeAmount) async { await producer?.close(timeout: timeout) }
}

struct KafkaSourceHandle: RouteSourceHandle {
    let source: KafkaSource
    var deliverySource: any DeliverySource { source }
    func start(_ delivery: RouteDelivery) throws { try source.start(delivering: delivery) }
    func stopTaking() async {}
    func close() async { await source.close() }
    var isUp: Bool { get async { true } }
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

// MARK: - AMQP 0-9-1

struct AMQPConnectionHandle: ConnectionHandle {
    let adapter: AMQPAdapter
    var name: String { adapter.name }

    func sink(for destination: DestinationConfig, route: RouteConfig, dropped: FieldsDropped) throws -> any DeliverySink {
        try adapter.makeSink(destination: destination, maxMessageSize: route.maxMessageSize) { dropped.record($0) }
    }

    func source(for route: RouteConfig, dropped: FieldsDropped) throws -> any RouteSourceHandle {
        AMQPSourceHandle(source: try adapter.makeSource(route: route) { dropped.record($0) }, adapter: adapter)
    }

    func start() throws {}
    var isUp: Bool? { get async { adapter.isConnected } }
    func shutdown(timeout: TimeAmount) async { await adapter.shutdown() }
}

struct AMQPSourceHandle: RouteSourceHandle {
    let source: AMQPSource
    var deliverySource: any DeliverySource { source }
    let adapter: AMQPAdapter
    func start(_ delivery: RouteDelivery) throws { source.start(delivery) }
    /// `basic.cancel`: the broker sends nothing more; acks of what is in flight still go out.
    func stopTaking() async { await source.stop() }
    func close() async {}
    var isUp: Bool { get async { source.isConsuming } }
}

// MARK: - MQTT

struct MQTTConnectionHandle: ConnectionHandle {
    let adapter: MQTTAdapter
    var name: String { adapter.name }

    func sink(for destination: DestinationConfig, route: RouteConfig, dropped: FieldsDropped) throws -> any DeliverySink {
        try adapter.makeSink(destination: destination, maxMessageSize: route.maxMessageSize, fieldsDropped: dropped)
    }

    func source(for route: RouteConfig, dropped: FieldsDropped) throws -> any RouteSourceHandle {
        MQTTSourceHandle(source: try adapter.makeSource(route: route))
    }

    func start() throws {}
    var isUp: Bool? { get async { adapter.isConnected } }
    func shutdown(timeout: TimeAmount) async { await adapter.shutdown() }
}

struct MQTTSourceHandle: RouteSourceHandle {
    let source: MQTTSource
    var deliverySource: any DeliverySource { source }
    func start(_ delivery: RouteDelivery) throws { source.start(delivery) }
    /// The core's pause stops taking; the connection stays open so PUBACKs can go out.
    func stopTaking() async {}
    /// DISCONNECT, keeping the session: what was not acked stays with the broker.
    func close() async { await source.stop() }
    var isUp: Bool { get async { await source.isSubscribed } }
}
