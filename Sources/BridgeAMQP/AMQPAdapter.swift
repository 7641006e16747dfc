import BridgeCore
import CoreMetrics
import Logging
import NIOConcurrencyHelpers
import NIOCore

/// The entry point for one configured AMQP 0-9-1 connection (`protocol: amqp`): makes the
/// sources and sinks of the routes that use it, over two broker connections, one for
/// consuming and one for publishing (CONTRACT 5.2: RabbitMQ blocks a publishing connection
/// under a resource alarm, which must not stall the acks of consumers). Each source and each
/// sink has a channel of its own; both connections reconnect by themselves.
///
/// Wiring a route whose source is on this connection:
/// ```swift
/// let source = try adapter.makeSource(route: routeConfig)
/// let delivery = RouteDelivery(policy: policy, source: source, sinks: sinks, deadLetter: deadLetterSink, clock: clock)
/// source.start(delivery)
/// // shutdown: await source.stop(); await delivery.drain(timeout:); await adapter.shutdown()
/// ```
/// and for a destination (or dead letter) on this connection: `adapter.makeSink(destination:maxMessageSize:)`.
public final class AMQPAdapter: Sendable {
    /// The connection name from the route file.
    public let name: String
    public let settings: AMQPConnectionSettings
    private let consuming: AMQPConnectionSupervisor
    private let publishing: AMQPConnectionSupervisor
    private let clientPrefix: String
    private let logger: Logger

    /// - Parameters:
    ///   - name: The connection's name in the route file (`connection` label, `bridge-id`).
    ///   - settings: Its settings.
    ///   - clientPrefix: `<bridge.name>-<bridge.instance>`: prefix of the connection names
    ///     RabbitMQ shows and of consumer tags.
    ///   - eventLoopGroup: Where the two connections live (one loop each).
    ///   - logger: Connection and route events.
    ///   - metricsFactory: `bridge_connection_up`, `bridge_connection_reconnects_total`.
    public init(
        name: String,
        settings: AMQPConnectionSettings,
        clientPrefix: String,
        eventLoopGroup: any EventLoopGroup,
        logger: Logger,
        metricsFactory: any MetricsFactory = MetricsSystem.factory
    ) {
        self.name = name
        self.settings = settings
        self.clientPrefix = clientPrefix
        self.logger = logger
        let up = Gauge(
            label: MetricNames.connectionUp,
            dimensions: [(MetricNames.connection, name), (MetricNames.protocol, BridgeProtocol.amqp.rawValue)],
            factory: metricsFactory
        )
        up.record(0)
        let box = NIOLockedValueBox<[AMQPConnectionSupervisor]>([])
        let report: @Sendable () -> Void = {
            let started = box.withLockedValue { $0 }.filter(\.isStarted)
            up.record(!started.isEmpty && started.allSatisfy(\.isConnected) ? 1 : 0)
        }
        consuming = AMQPConnectionSupervisor(
            name: name, role: "consume", settings: settings, connectionName: "\(clientPrefix)-consume",
            eventLoop: eventLoopGroup.next(), logger: logger, metricsFactory: metricsFactory, onUpChange: report
        )
        publishing = AMQPConnectionSupervisor(
            name: name, role: "publish", settings: settings, connectionName: "\(clientPrefix)-publish",
            eventLoop: eventLoopGroup.next(), logger: logger, metricsFactory: metricsFactory, onUpChange: report
        )
        box.withLockedValue { $0 = [consuming, publishing] }
    }

    /// True when every connection in use (consuming, publishing) is open.
    public var isConnected: Bool {
        let used = [consuming, publishing].filter(\.isStarted)
        return used.allSatisfy(\.isConnected)
    }

    /// True while RabbitMQ blocks the publishing connection (memory or disk alarm): the sinks
    /// hold their publishes; consuming and acking go on over the other connection.
    public var isPublishingBlocked: Bool { publishing.isBlocked }

    /// The source of a route whose `from:` is an AMQP queue on this connection. Call
    /// ``AMQPSource/start(_:)`` with the route's ``RouteDelivery`` to consume.
    ///
    /// - Parameters:
    ///   - route: The route; its `from:` must be an AMQP source.
    ///   - onFieldDropped: Called with the field name of each field not carried on
    ///     (e.g. `header:x-death`): `FieldsDropped.record` of the route.
    public func makeSource(route: RouteConfig, onFieldDropped: @escaping @Sendable (String) -> Void = { _ in }) throws -> AMQPSource {
        guard case .amqp(let source) = route.source else {
            throw AMQPConnectionError.protocolError("route \(route.name) does not consume an AMQP queue")
        }
        return AMQPSource(
            route: route.name,
            connectionName: name,
            source: source,
            prefetch: Self.prefetch(settings.prefetch, maxInFlight: route.maxInFlight),
            supervisor: consuming,
            consumerTag: "\(clientPrefix)-\(route.name)",
            logger: logger,
            dropped: onFieldDropped
        )
    }

    /// The sink of a destination (or dead letter) on this connection; it connects and opens
    /// its channel at once, and checks the exchange passively.
    ///
    /// - Parameters:
    ///   - destination: An AMQP destination (`exchange` + `routing_key`).
    ///   - maxMessageSize: The route's `max_message_size`.
    ///   - onFieldDropped: As for ``makeSource(route:onFieldDropped:)``.
    public func makeSink(
        destination: DestinationConfig,
        maxMessageSize: Int,
        onFieldDropped: @escaping @Sendable (String) -> Void = { _ in }
    ) throws -> AMQPSink {
        guard case .amqp(let exchange, _) = destination.target else {
            throw AMQPConnectionError.protocolError("destination \(destination.description) is not an AMQP exchange")
        }
        let sink = AMQPSink(
            destination: destination,
            exchange: exchange,
            maxMessageSize: maxMessageSize,
            supervisor: publishing,
            logger: logger,
            dropped: onFieldDropped
        )
        sink.start()
        return sink
    }

    /// Closes both connections (`connection.close`) and stops reconnecting. Unacked
    /// deliveries go back to their queues.
    public func shutdown() async {
        _ = try? await consuming.shutdown().and(publishing.shutdown()).get()
    }

    /// The prefetch count for a route: its window (`auto`), or the configured count but never
    /// above the window (the core would refuse the surplus) and never 0 (unlimited to RabbitMQ).
    static func prefetch(_ setting: AMQPConnectionSettings.Prefetch, maxInFlight: Int) -> UInt16 {
        let window = max(1, min(maxInFlight, Int(UInt16.max)))
        switch setting {
        case .auto: return UInt16(window)
        case .count(let n): return UInt16(max(1, min(n, window)))
        }
    }
}
