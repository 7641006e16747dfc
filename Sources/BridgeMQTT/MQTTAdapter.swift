import BridgeCore
import Logging
import MQTTProtocol
import NIOConcurrencyHelpers
import NIOCore

/// The entry point for one configured MQTT connection (`protocol: mqtt`): one client
/// connection per source route (`<client_id>-<instance>-<route>`, persistent session) and
/// one shared publishing client (`<client_id>-<instance>-pub`), so that a stalled route
/// never holds another route's PUBACKs (CONTRACT 5.2).
///
/// Wiring a route whose source is on this connection:
/// ```swift
/// let source = try adapter.makeSource(route: routeConfig)
/// let delivery = RouteDelivery(policy: policy, source: source, sinks: sinks, deadLetter: deadLetterSink, clock: clock)
/// source.start(delivery)
/// // shutdown: await delivery.drain(timeout:); await source.stop(); await adapter.shutdown()
/// ```
/// and for a destination (or dead letter) on this connection:
/// `try adapter.makeSink(destination:maxMessageSize:fieldsDropped:)`.
public final class MQTTAdapter: Sendable {
    /// Connection events for metrics and `/readyz`; every closure may be called from any thread.
    public struct Hooks: Sendable {
        /// A client of this connection went up (true) or down (false): `bridge_connection_up`
        /// is 1 when every started client is up (see ``MQTTAdapter/isConnected``).
        public var connectionChanged: @Sendable () -> Void
        /// A connection was lost and is being re-established: `bridge_connection_reconnects_total`.
        public var reconnecting: @Sendable () -> Void
        /// A source reconnected and the broker had no session for it: `bridge_mqtt_sessions_lost_total`.
        public var sessionLost: @Sendable () -> Void

        public init(
            connectionChanged: @escaping @Sendable () -> Void = {},
            reconnecting: @escaping @Sendable () -> Void = {},
            sessionLost: @escaping @Sendable () -> Void = {}
        ) {
            self.connectionChanged = connectionChanged
            self.reconnecting = reconnecting
            self.sessionLost = sessionLost
        }
    }

    /// The connection name from the route file.
    public let name: String
    public let settings: MQTTConnectionSettings
    /// `<client_id>-<instance>`.
    public let clientIDPrefix: String
    private let eventLoopGroup: any EventLoopGroup
    private let logger: Logger
    private let hooks: Hooks
    private let publisher: MQTTPublisher
    private let state = NIOLockedValueBox<(clients: [MQTTClientConnection], up: Set<ObjectIdentifier>, publisherStarted: Bool)>(([], [], false))

    /// - Parameters:
    ///   - name: The connection's name in the route file.
    ///   - settings: Its settings.
    ///   - instance: `bridge.instance`.
    ///   - eventLoopGroup: Where the client connections live (one loop each).
    ///   - logger: Connection and route events.
    ///   - hooks: Connection events for metrics.
    public init(
        name: String,
        settings: MQTTConnectionSettings,
        instance: String,
        eventLoopGroup: any EventLoopGroup,
        logger: Logger,
        hooks: Hooks = Hooks()
    ) {
        self.name = name
        self.settings = settings
        self.clientIDPrefix = "\(settings.clientID)-\(instance)"
        self.eventLoopGroup = eventLoopGroup
        self.logger = logger
        self.hooks = hooks
        let options = MQTTClientOptions(
            name: name, settings: settings, clientID: "\(clientIDPrefix)-pub", persistent: false, receiveMaximum: nil
        )
        let connection = MQTTClientConnection(eventLoop: eventLoopGroup.next(), options: options, logger: logger)
        self.publisher = MQTTPublisher(connection: connection, logger: logger)
        observe(connection)
    }

    private func observe(_ connection: MQTTClientConnection) {
        let id = ObjectIdentifier(connection)
        state.withLockedValue { $0.clients.append(connection) }
        let hooks = hooks
        connection.onUpChange = { [state] up in
            state.withLockedValue { state in
                if up { state.up.insert(id) } else { state.up.remove(id) }
            }
            hooks.connectionChanged()
        }
        connection.onReconnecting = { hooks.reconnecting() }
    }

    /// True when every client started so far (sources, and the publisher once a sink was
    /// made) has an open connection.
    public var isConnected: Bool {
        state.withLockedValue { state in
            let started = state.clients.enumerated().filter { $0.offset > 0 || state.publisherStarted }.map { ObjectIdentifier($0.element) }
            return !started.isEmpty && started.allSatisfy { state.up.contains($0) }
        }
    }

    /// The source of a route whose `from:` is an MQTT topic filter on this connection.
    /// Call ``MQTTSource/start(_:)`` with the route's ``RouteDelivery``.
    ///
    /// - Parameters:
    ///   - route: The route; its `from:` must be MQTT.
    ///   - previousSubscription: On a reload that changed the route, the filter its session
    ///     subscribed so far: the new source subscribes the new filter in the kept session and
    ///     unsubscribes the old one only when the new one does not cover it.
    public func makeSource(route: RouteConfig, previousSubscription: String? = nil) throws -> MQTTSource {
        guard case .mqtt(let source) = route.source else {
            throw MQTTAdapterError("route \(route.name) does not subscribe to an MQTT topic")
        }
        let options = MQTTClientOptions(
            name: name, settings: settings, clientID: "\(clientIDPrefix)-\(route.name)", persistent: true,
            receiveMaximum: route.maxInFlight
        )
        let connection = MQTTClientConnection(eventLoop: eventLoopGroup.next(), options: options, logger: logger)
        observe(connection)
        return MQTTSource(
            route: route.name, connectionName: name, source: source, connection: connection, logger: logger,
            previousSubscription: previousSubscription, onSessionLost: hooks.sessionLost
        )
    }

    /// The sink of a destination (or dead letter) on this connection; the publishing client
    /// connects on the first call.
    ///
    /// - Parameters:
    ///   - destination: An MQTT destination.
    ///   - maxMessageSize: The route's `max_message_size`.
    ///   - fieldsDropped: The route's dropped-field counter (fields MQTT cannot carry).
    public func makeSink(destination: DestinationConfig, maxMessageSize: Int, fieldsDropped: FieldsDropped?) throws -> MQTTSink {
        let sink = try MQTTSink(destination: destination, maxMessageSize: maxMessageSize, publisher: publisher, dropped: fieldsDropped)
        state.withLockedValue { $0.publisherStarted = true }
        publisher.connection.start()
        return sink
    }

    /// Forgets a stopped source (a reload removed or replaced its route), so that
    /// ``isConnected`` no longer waits for its client.
    public func forget(_ source: MQTTSource) {
        let id = ObjectIdentifier(source.connection)
        state.withLockedValue { state in
            state.clients.removeAll { ObjectIdentifier($0) == id }
            state.up.remove(id)
        }
        hooks.connectionChanged()
    }

    /// Closes the publishing client (sources are stopped with ``MQTTSource/stop()``).
    public func shutdown() async {
        try? await publisher.connection.shutdown().get()
    }
}
