import BridgeAMQP
import BridgeCore
import BridgeKafka
import BridgeMQTT
import Logging
import Metrics
import NIOCore
import NIOPosix
import Synchronization

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
    /// The source of a route that a reload changed; `previous` is the route it replaces
    /// (MQTT keeps its session and moves the subscription). Default: ``source(for:dropped:)``.
    func source(for route: RouteConfig, dropped: FieldsDropped, replacing previous: RouteConfig?) throws -> any RouteSourceHandle
    /// Starts what the sinks need (Kafka producers); called once every sink was made.
    func start() throws
    /// Whether the connection is up, or nil when the adapter reports it itself.
    var isUp: Bool? { get async }
    /// Whether this handle can serve every route of `config` that uses it (a Kafka handle
    /// made without a producer cannot take a new destination). Default: true.
    func canServe(_ config: BridgeConfig) -> Bool
    func shutdown(timeout: TimeAmount) async
}

extension ConnectionHandle {
    func source(for route: RouteConfig, dropped: FieldsDropped, replacing previous: RouteConfig?) throws -> any RouteSourceHandle {
        try source(for: route, dropped: dropped)
    }
    func canServe(_ config: BridgeConfig) -> Bool { true }
}

/// Everything `run` runs: one adapter per connection, one ``RouteDelivery`` per route
/// with its source and sinks, and the readiness they report. ``reload(to:)`` applies a new
/// route file to the running bridge (CONTRACT section 8).
final class BridgeRuntime: Sendable {
    struct Route: Sendable {
        var config: RouteConfig
        var delivery: RouteDelivery
        var source: any RouteSourceHandle
        /// Its destinations' sinks and its dead letter's (those that hold something of their
        /// own on a kept connection are closed after the drain).
        var sinks: [any DeliverySink] = []
        /// Compares route configurations across a reload.
        var fingerprint: String
    }

    struct Connection: Sendable {
        var config: ConnectionConfig
        var handle: any ConnectionHandle
        var fingerprint: String
        /// Distinguishes a replaced handle of the same name (readiness caching).
        var epoch: Int
    }

    private struct State: Sendable {
        /// The running configuration (its `bridge:` section is the one the process started with).
        var config: BridgeConfig
        /// In file order.
        var connections: [Connection]
        var routes: [Route]
        var epoch = 0
    }

    private let state: Mutex<State>
    let readiness: ReadinessRegistry
    let logger: Logger
    private let eventLoopGroup: any EventLoopGroup
    private let clock: EventLoopDeliveryClock
    private let makeMetrics: @Sendable (ConnectionConfig) -> ConnectionMetrics?
    private let connectionMetrics: Mutex<[String: ConnectionMetrics]>

    /// The routes running now (tests, readiness).
    var routes: [Route] { state.withLock { $0.routes } }
    /// The connections open now.
    var connections: [any ConnectionHandle] { state.withLock { $0.connections.map(\.handle) } }

    /// Builds every adapter, sink, source and core of `config`. Nothing connects before
    /// ``start()``, except AMQP sinks, which check their exchange as they are made.
    ///
    /// - Parameter makeMetrics: The metrics of a connection (called again for a connection a
    ///   reload adds or changes; the series are the same when the name is).
    init(
        config: BridgeConfig,
        readiness: ReadinessRegistry,
        connectionMetrics: [String: ConnectionMetrics],
        makeMetrics: @escaping @Sendable (ConnectionConfig) -> ConnectionMetrics? = { _ in nil },
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger
    ) throws {
        self.readiness = readiness
        self.logger = logger
        self.eventLoopGroup = eventLoopGroup
        self.makeMetrics = makeMetrics
        self.connectionMetrics = Mutex(connectionMetrics)
        self.clock = EventLoopDeliveryClock(eventLoop: eventLoopGroup.next())
        self.state = Mutex(State(config: config, connections: [], routes: []))
        var connections: [Connection] = []
        for connection in config.connections {
            connections.append(try makeConnection(connection, config: config, epoch: 0))
        }
        var routes: [Route] = []
        for route in config.routes {
            routes.append(try makeRoute(route, config: config, handles: connections, replacing: nil))
        }
        state.withLock {
            $0.connections = connections
            $0.routes = routes
        }
    }

    private func metrics(for connection: ConnectionConfig) -> ConnectionMetrics? {
        connectionMetrics.withLock { all in
            if let existing = all[connection.name] { return existing }
            let made = makeMetrics(connection)
            all[connection.name] = made
            return made
        }
    }

    /// The adapter of one connection. (A new protocol adds its case here.)
    static func makeHandle(
        _ connection: ConnectionConfig, config: BridgeConfig, metrics: ConnectionMetrics?,
        eventLoopGroup: any EventLoopGroup, logger: Logger
    ) throws -> any ConnectionHandle {
        var logger = logger
        logger[metadataKey: "connection"] = "\(connection.name)"
        switch connection.settings {
        case .kafka(let settings):
            return KafkaConnectionHandle(name: connection.name, settings: settings, config: config, metrics: metrics, logger: logger)
        case .amqp(let settings):
            return AMQPConnectionHandle(
                adapter: AMQPAdapter(
                    name: connection.name, settings: settings, clientPrefix: "\(config.bridge.name)-\(config.bridge.instance)",
                    eventLoopGroup: eventLoopGroup, logger: logger
                )
            )
        case .mqtt(let settings):
            let adapter = MQTTAdapter(
                name: connection.name, settings: settings, instance: config.bridge.instance, eventLoopGroup: eventLoopGroup,
                logger: logger,
                hooks: MQTTAdapter.Hooks(
                    reconnecting: { metrics?.recordReconnect() },
                    sessionLost: { metrics?.recordSessionLost() }
                )
            )
            return MQTTConnectionHandle(adapter: adapter)
        case .amqp10(let settings):
            return Self.amqp10Handle(name: connection.name, settings: settings, config: config, eventLoopGroup: eventLoopGroup, logger: logger)
        }
    }

    private func makeConnection(_ connection: ConnectionConfig, config: BridgeConfig, epoch: Int) throws -> Connection {
        let handle = try Self.makeHandle(
            connection, config: config, metrics: metrics(for: connection), eventLoopGroup: eventLoopGroup, logger: logger
        )
        return Connection(config: connection, handle: handle, fingerprint: Fingerprint.of(connection), epoch: epoch)
    }

    private func makeRoute(_ route: RouteConfig, config: BridgeConfig, handles: [Connection], replacing previous: RouteConfig?) throws -> Route {
        func handle(_ name: String) throws -> any ConnectionHandle {
            guard let found = handles.first(where: { $0.config.name == name }) else {
                throw BridgeRuntimeError("route \(route.name): unknown connection \(name)")
            }
            return found.handle
        }
        guard let proto = config.connection(route.source.connection)?.protocol else {
            throw BridgeRuntimeError("route \(route.name): unknown connection \(route.source.connection)")
        }
        var routeLogger = logger
        routeLogger[metadataKey: "route"] = "\(route.name)"
        let dropped = FieldsDropped(route: route.name, logger: routeLogger)
        func sink(_ destination: DestinationConfig) throws -> any DeliverySink {
            try handle(destination.connection).sink(for: destination, route: route, dropped: dropped)
        }
        let source = try handle(route.source.connection).source(for: route, dropped: dropped, replacing: previous)
        let sinks = try route.destinations.map(sink)
        let deadLetter = try route.onError.deadLetter.map(sink)
        let delivery = RouteDelivery(
            policy: try route.deliveryPolicy(bridge: config.bridge, sourceProtocol: proto),
            source: source.deliverySource,
            sinks: sinks,
            deadLetter: deadLetter.map { DeadLetterLog($0, route: route.name, logger: logger) },
            clock: clock
        )
        return Route(
            config: route, delivery: delivery, source: source, sinks: sinks + (deadLetter.map { [$0] } ?? []), fingerprint: Fingerprint.of(route)
        )
    }

    /// Starts the sinks' connections, then every source.
    func start() throws {
        let (connections, routes) = state.withLock { ($0.connections, $0.routes) }
        for connection in connections { try connection.handle.start() }
        for route in routes { try route.source.start(route.delivery) }
    }

    /// Keeps `/readyz` and `bridge_connection_up` in step with the adapters until cancelled.
    func reportReadiness() async {
        var last: [String: Bool] = [:]
        var lastRoute: [String: ReadinessRegistry.RouteState] = [:]
        while !Task.isCancelled {
            let (connections, routes) = state.withLock { ($0.connections, $0.routes) }
            for connection in connections {
                guard let up = await connection.handle.isUp else { continue }
                let key = "\(connection.config.name)#\(connection.epoch)"
                if last[key] != up {
                    last[key] = up
                    connectionMetrics.withLock { $0[connection.config.name] }?.setState(up ? .up : .down)
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
                // A reload may have taken the route away while this loop looked at it.
                guard self.state.withLock({ $0.routes.contains { $0.delivery === route.delivery } }) else { continue }
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

    /// Stops a route: no new messages, drain within `timeout`, commit and close.
    private func stop(_ route: Route, timeout: TimeAmount, why: String) async {
        await route.source.stopTaking()
        let clean = await route.delivery.drain(timeout: timeout)
        let stats = route.delivery.stats
        logger.info(
            clean ? "route drained" : "route drain timed out: the rest is left for the broker to redeliver",
            metadata: [
                "route": "\(route.config.name)", "received": "\(stats.received)", "acked": "\(stats.acked)",
                "abandoned": "\(stats.abandoned)", "why": "\(why)",
            ]
        )
        // Side by side: a broker that does not answer costs one close timeout, not one per channel.
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await route.source.close() }
            for case let sink as any ClosableSink in route.sinks { group.addTask { await sink.close() } }
        }
    }

    /// SIGTERM: every route stops taking messages and drains within `timeout`; the sources
    /// commit what was confirmed and close; then the connections flush and close. What was
    /// not confirmed stays unacked for the brokers to redeliver.
    func shutdown(timeout: TimeAmount) async {
        let deadline = NIODeadline.now() + timeout
        let (connections, routes) = state.withLock { ($0.connections, $0.routes) }
        await withTaskGroup(of: Void.self) { group in
            for route in routes {
                group.addTask { await self.stop(route, timeout: timeout, why: "shutdown") }
            }
        }
        let left = max(deadline - .now(), .seconds(1))
        await withTaskGroup(of: Void.self) { group in
            for connection in connections {
                group.addTask { await connection.handle.shutdown(timeout: left) }
            }
        }
    }

    /// What a reload changed.
    struct ReloadSummary: Sendable, Equatable {
        var added: [String] = []
        var replaced: [String] = []
        var removed: [String] = []
        var unchanged: [String] = []
        var connectionsChanged: [String] = []
        var failed: [String] = []
    }

    /// SIGHUP: applies `new` to the running bridge (CONTRACT section 8).
    ///
    /// - Routes whose configuration and connections are the same keep running, untouched.
    /// - A connection whose settings changed (or that is removed) is closed and opened again
    ///   with the new settings; every route that reads from it or publishes to it is drained
    ///   first and started again after, as a changed route.
    /// - A changed route is drained (within `shutdown_timeout`) before its replacement starts;
    ///   an MQTT source keeps its client id and so its session, and moves its subscription.
    /// - A removed route is drained and closed; an added one starts.
    /// - The `bridge:` section takes effect on the next start (a warning names what changed).
    @discardableResult
    func reload(to loaded: BridgeConfig) async -> ReloadSummary {
        var summary = ReloadSummary()
        let (old, oldConnections, oldRoutes) = state.withLock { ($0.config, $0.connections, $0.routes) }
        var new = loaded
        let changedBridge = BridgeSettingsDiff.changed(old.bridge, new.bridge)
        if !changedBridge.isEmpty {
            logger.warning(
                "reload: the bridge section changed; it takes effect when the bridge restarts",
                metadata: ["keys": "\(changedBridge.joined(separator: ","))"]
            )
        }
        new.bridge = old.bridge

        // Connections: kept when their settings are the same and they can serve the new routes.
        var kept: [String: Connection] = [:]
        for connection in oldConnections {
            guard let next = new.connection(connection.config.name) else { continue }
            if Fingerprint.of(next) == connection.fingerprint && connection.handle.canServe(new) {
                kept[next.name] = connection
            }
        }
        let touched = Set(oldConnections.map(\.config.name)).union(new.connections.map(\.name)).subtracting(kept.keys)

        // Routes: kept when the same and on kept connections only.
        let oldByName = Dictionary(oldRoutes.map { ($0.config.name, $0) }, uniquingKeysWith: { a, _ in a })
        var keptRoutes: Set<String> = []
        for route in new.routes {
            guard let previous = oldByName[route.name] else { continue }
            let uses = Set([route.source.connection] + route.destinations.map(\.connection) + (route.onError.deadLetter.map { [$0.connection] } ?? []))
            if previous.fingerprint == Fingerprint.of(route) && uses.isDisjoint(with: touched) {
                keptRoutes.insert(route.name)
            }
        }
        let newNames = Set(new.routes.map(\.name))
        let stopping = oldRoutes.filter { !keptRoutes.contains($0.config.name) }

        for connection in oldConnections where touched.contains(connection.config.name) {
            let what = new.connection(connection.config.name) == nil ? "connection removed" : "connection changed: it reconnects with the new settings and its routes restart"
            logger.info("reload: \(what)", metadata: ["connection": "\(connection.config.name)"])
            summary.connectionsChanged.append(connection.config.name)
        }
        for connection in new.connections where !oldConnections.contains(where: { $0.config.name == connection.name }) {
            logger.info("reload: connection added", metadata: ["connection": "\(connection.name)"])
        }

        // 1. Drain what stops, while everything else keeps running.
        state.withLock { state in
            state.routes.removeAll { !keptRoutes.contains($0.config.name) }
        }
        for route in stopping { readiness.setRoute(route.config.name, to: .paused) }
        let timeout = old.bridge.shutdownTimeout
        await withTaskGroup(of: Void.self) { group in
            for route in stopping {
                let why = newNames.contains(route.config.name) ? "reload: changed" : "reload: removed"
                group.addTask { await self.stop(route, timeout: timeout, why: why) }
            }
        }
        // 2. Close the connections that changed or went away.
        let closing = oldConnections.filter { touched.contains($0.config.name) }
        await withTaskGroup(of: Void.self) { group in
            for connection in closing {
                group.addTask { await connection.handle.shutdown(timeout: timeout) }
            }
        }
        for connection in closing where new.connection(connection.config.name) == nil {
            readiness.removeConnection(connection.config.name)
            _ = connectionMetrics.withLock { $0.removeValue(forKey: connection.config.name) }
        }
        for route in stopping where !newNames.contains(route.config.name) {
            readiness.removeRoute(route.config.name)
            logger.info("reload: route removed (drained)", metadata: ["route": "\(route.config.name)"])
            summary.removed.append(route.config.name)
        }

        // 3. Open the new connections, then build and start the new routes.
        let epoch = state.withLock { $0.epoch += 1; return $0.epoch }
        var connections: [Connection] = []
        var started: [Connection] = []
        for connection in new.connections {
            if let existing = kept[connection.name] {
                connections.append(existing)
                continue
            }
            _ = connectionMetrics.withLock { $0.removeValue(forKey: connection.name) }
            do {
                let made = try makeConnection(connection, config: new, epoch: epoch)
                connections.append(made)
                started.append(made)
            } catch {
                logger.error("reload: connection cannot be opened: \(error)", metadata: ["connection": "\(connection.name)"])
            }
        }
        var routes: [Route] = []
        for route in new.routes where !keptRoutes.contains(route.name) {
            let previous = oldByName[route.name]?.config
            do {
                routes.append(try makeRoute(route, config: new, handles: connections, replacing: previous))
            } catch {
                logger.error("reload: route cannot be started: \(error)", metadata: ["route": "\(route.name)"])
                summary.failed.append(route.name)
                readiness.setRoute(route.name, to: .down)
            }
        }
        for connection in started {
            do { try connection.handle.start() } catch {
                logger.error("reload: connection cannot be started: \(error)", metadata: ["connection": "\(connection.config.name)"])
            }
        }
        for route in routes {
            do {
                try route.source.start(route.delivery)
            } catch {
                logger.error("reload: route cannot be started: \(error)", metadata: ["route": "\(route.config.name)"])
                summary.failed.append(route.config.name)
                continue
            }
            if oldByName[route.config.name] != nil {
                logger.info("reload: route changed: drained and replaced", metadata: ["route": "\(route.config.name)"])
                summary.replaced.append(route.config.name)
            } else {
                logger.info("reload: route added", metadata: ["route": "\(route.config.name)"])
                summary.added.append(route.config.name)
            }
        }
        summary.unchanged = new.routes.map(\.name).filter(keptRoutes.contains)
        // The running set, in file order.
        state.withLock { state in
            let all = state.routes + routes
            state.routes = new.routes.compactMap { r in all.first { $0.config.name == r.name } }
            state.connections = connections
            state.config = new
        }
        return summary
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

    /// A handle made without a producer cannot serve a route that now publishes here.
    func canServe(_ config: BridgeConfig) -> Bool {
        producer != nil
            || !config.routes.contains { route in
                (route.destinations + (route.onError.deadLetter.map { [$0] } ?? [])).contains { $0.connection == name }
            }
    }

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

/// A sink with something of its own on a connection that other routes keep using (an AMQP
/// channel): closed once its route stopped (a reload that replaces or removes the route).
protocol ClosableSink: DeliverySink {
    func close() async
}

// MARK: - AMQP 0-9-1

extension AMQPSink: ClosableSink {
    /// `channel.close`, close-ok awaited at most 5 s.
    func close() async { await close(timeout: .seconds(5)) }
}

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
    /// `channel.close` (close-ok awaited at most 5 s); the connection stays for other routes.
    func close() async { await source.close(timeout: .seconds(5)) }
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
        try source(for: route, dropped: dropped, replacing: nil)
    }

    func source(for route: RouteConfig, dropped: FieldsDropped, replacing previous: RouteConfig?) throws -> any RouteSourceHandle {
        var subscription: String?
        if case .mqtt(let old)? = previous?.source, old.connection == name { subscription = old.subscription }
        return MQTTSourceHandle(source: try adapter.makeSource(route: route, previousSubscription: subscription), adapter: adapter)
    }

    func start() throws {}
    var isUp: Bool? { get async { adapter.isConnected } }
    func shutdown(timeout: TimeAmount) async { await adapter.shutdown() }
}

struct MQTTSourceHandle: RouteSourceHandle {
    let source: MQTTSource
    let adapter: MQTTAdapter
    var deliverySource: any DeliverySource { source }
    func start(_ delivery: RouteDelivery) throws { source.start(delivery) }
    /// The core's pause stops taking; the connection stays open so PUBACKs can go out.
    func stopTaking() async {}
    /// DISCONNECT, keeping the session: what was not acked stays with the broker.
    func close() async {
        await source.stop()
        adapter.forget(source)
    }
    var isUp: Bool { get async { await source.isSubscribed } }
}
