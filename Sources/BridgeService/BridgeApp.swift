import BridgeCore
import Logging
import Metrics
import NIOCore
import NIOPosix
import ServiceLifecycle

#if canImport(Glibc)
import Glibc
#endif

/// `message-bridge run`: wires a valid configuration to metrics, the HTTP endpoints and the
/// routes, and runs them as one ServiceGroup until SIGTERM or SIGINT.
public struct BridgeApp: Sendable {
    public let config: BridgeConfig
    public let configPath: String
    public let loader: ConfigLoader
    public let logger: Logger

    public init(config: BridgeConfig, configPath: String, loader: ConfigLoader, logger: Logger) {
        self.config = config
        self.configPath = configPath
        self.loader = loader
        self.logger = logger
    }

    /// The protocols whose adapters this build contains. Routes over other protocols are
    /// configured, counted and reported `down` on `/readyz`, and the log says why.
    public static let adapters: Set<BridgeProtocol> = [.kafka]

    /// Runs until SIGTERM/SIGINT, then drains within `shutdown_timeout` and returns.
    public func run() async throws {
        let metrics = MetricsBootstrap()
        metrics.bootstrapMetricsSystem()
        let readiness = ReadinessRegistry(connections: config.connections.map(\.name), routes: config.routes.map(\.name))

        // Every series with a route, connection or destination label exists from the start.
        var connectionMetrics: [String: ConnectionMetrics] = [:]
        for connection in config.connections {
            connectionMetrics[connection.name] = ConnectionMetrics(
                connection: connection.name, protocolName: connection.protocol.rawValue, readiness: readiness
            )
        }
        let policies = try config.deliveryPolicies()
        let routeMetrics = policies.map { RouteMetrics(policy: $0, factory: MetricsSystem.factory) }

        var services: [any Service] = []
        if let http = config.bridge.http {
            let server = HTTPServer(
                address: BindAddress(host: http.host, port: http.port),
                metrics: metrics.exporter,
                readiness: readiness,
                bearerToken: config.bridge.httpToken?.value,
                logger: logger
            )
            services.append(server)
        }
        let routes = RouteSupervisor(
            config: config, readiness: readiness, routeMetrics: routeMetrics, connectionMetrics: connectionMetrics, logger: logger
        )
        services.append(routes)

        let group = ServiceGroup(
            configuration: .init(
                services: services.map { .init(service: $0) },
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger
            )
        )
        logger.info(
            "starting",
            metadata: [
                "bridge": "\(config.bridge.name)", "instance": "\(config.bridge.instance)",
                "routes": "\(config.routes.count)", "connections": "\(config.connections.count)",
                "http": "\(config.bridge.http?.description ?? "off")", "version": "\(BridgeVersion.current)",
            ]
        )
        try await group.run()
        logger.info("stopped")
    }
}

/// Owns the routes: starts each with its adapters and drains them on shutdown.
///
/// Adapters plug in here as they land; a route whose source or destination protocol has no
/// adapter in this build stays `down` and the log names what is missing.
final class RouteSupervisor: Service, Sendable {
    let config: BridgeConfig
    let readiness: ReadinessRegistry
    let routeMetrics: [RouteMetrics]
    let connectionMetrics: [String: ConnectionMetrics]
    let logger: Logger

    init(
        config: BridgeConfig, readiness: ReadinessRegistry, routeMetrics: [RouteMetrics],
        connectionMetrics: [String: ConnectionMetrics], logger: Logger
    ) {
        self.config = config
        self.readiness = readiness
        self.routeMetrics = routeMetrics
        self.connectionMetrics = connectionMetrics
        self.logger = logger
    }

    func run() async throws {
        var kafkaRoutes: [RouteConfig] = []
        for route in config.routes {
            var needed = [config.connection(route.source.connection)?.protocol]
            needed += route.destinations.map { config.connection($0.connection)?.protocol }
            let missing = Set(needed.compactMap { $0 }).subtracting(BridgeApp.adapters)
            if !missing.isEmpty {
                logger.warning(
                    "route not started: this build has no adapter for \(missing.map(\.rawValue).sorted().joined(separator: ", "))",
                    metadata: ["route": "\(route.name)"]
                )
                readiness.setRoute(route.name, to: .down)
            } else {
                kafkaRoutes.append(route)
            }
        }
        let kafka = try KafkaRuntime(config: config, routes: kafkaRoutes, connectionMetrics: connectionMetrics, logger: logger)
        try kafka.start()
        // /readyz follows each route's state in the core.
        let readiness = self.readiness
        let pump = Task {
            while !Task.isCancelled {
                for route in kafka.routes {
                    let state: ReadinessRegistry.RouteState
                    switch route.delivery.routeState {
                    case .consuming: state = .consuming
                    case .paused: state = .paused
                    case .blocked: state = .blocked
                    }
                    readiness.setRoute(route.name, to: state)
                }
                try? await Task.sleep(for: .milliseconds(250))
            }
        }
        // Wait for SIGTERM/SIGINT; then the routes drain, commit, and the producers flush.
        try? await gracefulShutdown()
        logger.info("draining", metadata: ["timeout": "\(Units.format(config.bridge.shutdownTimeout))"])
        await kafka.shutdown(timeout: config.bridge.shutdownTimeout)
        pump.cancel()
    }
}
