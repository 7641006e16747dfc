import BridgeCore
import CoreMetrics
import Logging
import NIOConcurrencyHelpers
import NIOCore

/// The entry point for one configured AMQP 1.0 connection (`protocol: amqp10`): makes the
/// sources and sinks of the routes that use it, over two connections, one for receiving
/// and one for sending (as for AMQP 0-9-1: a peer that throttles or blocks a sender must
/// not hold up the settlements of receivers). Each source has a receiving link; each sink
/// a sending link per address. Both connections reconnect by themselves.
///
/// Wiring a route whose source is on this connection:
/// ```swift
/// let source = try adapter.makeSource(route: routeConfig)
/// let delivery = RouteDelivery(policy: policy, source: source, sinks: sinks, deadLetter: deadLetterSink, clock: clock)
/// source.start(delivery)
/// // shutdown: await source.stop(); await delivery.drain(timeout:); await source.close(); await adapter.shutdown()
/// ```
/// and for a destination (or dead letter) on this connection: `adapter.makeSink(destination:maxMessageSize:)`.
public final class AMQP10Adapter: Sendable {
    /// The connection name from the route file.
    public let name: String
    public let settings: AMQP10ConnectionSettings
    private let receiving: AMQP10ConnectionSupervisor
    private let sending: AMQP10ConnectionSupervisor
    private let clientPrefix: String
    private let logger: Logger

    /// - Parameters:
    ///   - name: The connection's name in the route file (`connection` label, `bridge-id`).
    ///   - settings: Its settings.
    ///   - clientPrefix: `<bridge.name>-<bridge.instance>`: prefix of our container ids and
    ///     link names.
    ///   - eventLoopGroup: Where the two connections live (one loop each).
    ///   - logger: Connection and route events.
    ///   - metricsFactory: `bridge_connection_up`, `bridge_connection_reconnects_total`.
    public init(
        name: String,
        settings: AMQP10ConnectionSettings,
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
            dimensions: [(MetricNames.connection, name), (MetricNames.protocol, BridgeProtocol.amqp10.rawValue)],
            factory: metricsFactory
        )
        up.record(0)
        let box = NIOLockedValueBox<[AMQP10ConnectionSupervisor]>([])
        let report: @Sendable () -> Void = {
            let started = box.withLockedValue { $0 }.filter(\.isStarted)
            up.record(!started.isEmpty && started.allSatisfy(\.isConnected) ? 1 : 0)
        }
        receiving = AMQP10ConnectionSupervisor(
            name: name, role: "receive", settings: settings, connectionName: "\(clientPrefix)-receive",
            eventLoop: eventLoopGroup.next(), logger: logger, metricsFactory: metricsFactory, onUpChange: report
        )
        sending = AMQP10ConnectionSupervisor(
            name: name, role: "send", settings: settings, connectionName: "\(clientPrefix)-send",
            eventLoop: eventLoopGroup.next(), logger: logger, metricsFactory: metricsFactory, onUpChange: report
        )
        box.withLockedValue { $0 = [receiving, sending] }
    }

    /// True when every connection in use (receiving, sending) is open.
    public var isConnected: Bool {
        [receiving, sending].filter(\.isStarted).allSatisfy(\.isConnected)
    }

    /// The source of a route whose `from:` is an AMQP 1.0 address on this connection. Call
    /// ``AMQP10Source/start(_:)`` with the route's ``RouteDelivery`` to receive.
    ///
    /// - Parameters:
    ///   - route: The route; its `from:` must be an AMQP 1.0 source.
    ///   - onFieldDropped: Called with the field name of each field not carried on.
    public func makeSource(route: RouteConfig, onFieldDropped: @escaping @Sendable (String) -> Void = { _ in }) throws -> AMQP10Source {
        guard case .amqp10(let source) = route.source else {
            throw AMQP10ConnectionError.protocolError("route \(route.name) does not receive from an AMQP 1.0 address")
        }
        return AMQP10Source(
            route: route.name,
            connectionName: name,
            address: source.address,
            window: route.maxInFlight,
            maxMessageSize: route.maxMessageSize,
            supervisor: receiving,
            linkName: "\(clientPrefix)-\(route.name)",
            logger: logger,
            dropped: onFieldDropped
        )
    }

    /// The sink of a destination (or dead letter) on this connection; it connects at once.
    ///
    /// - Parameters:
    ///   - destination: An AMQP 1.0 destination (`address`).
    ///   - route: The route's name (part of the link names).
    ///   - maxMessageSize: The route's `max_message_size`.
    ///   - onFieldDropped: As for ``makeSource(route:onFieldDropped:)``.
    public func makeSink(
        destination: DestinationConfig,
        route: String,
        maxMessageSize: Int,
        onFieldDropped: @escaping @Sendable (String) -> Void = { _ in }
    ) throws -> AMQP10Sink {
        guard case .amqp10 = destination.target else {
            throw AMQP10ConnectionError.protocolError("destination \(destination.description) is not an AMQP 1.0 address")
        }
        let sink = AMQP10Sink(
            destination: destination,
            maxMessageSize: maxMessageSize,
            supervisor: sending,
            linkPrefix: "\(clientPrefix)-\(route)-send-\(UInt32.random(in: 0...UInt32.max))",
            logger: logger,
            dropped: onFieldDropped
        )
        sink.start()
        return sink
    }

    /// Closes both connections (`close`) and stops reconnecting. Unsettled deliveries go back
    /// to the peer.
    public func shutdown() async {
        _ = try? await receiving.shutdown().and(sending.shutdown()).get()
    }
}
