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

    /// Runs until SIGTERM/SIGINT, then drains within `shutdown_timeout` and returns.
    public func run() async throws {
        let metrics = MetricsBootstrap()
        metrics.bootstrapMetricsSystem()
        let readiness = ReadinessRegistry(connections: config.connections.map(\.name), routes: config.routes.map(\.name))

        // Every series with a connection label exists from the start; the route and
        // destination series are registered by each route's core, built as `run` starts.
        var connectionMetrics: [String: ConnectionMetrics] = [:]
        for connection in config.connections {
            connectionMetrics[connection.name] = ConnectionMetrics(
                connection: connection.name, protocolName: connection.protocol.rawValue, readiness: readiness
            )
        }

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
            config: config, readiness: readiness, connectionMetrics: connectionMetrics, logger: logger
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

/// Owns the routes: starts each with its adapters (``BridgeRuntime``) and drains them on
/// shutdown. Listed after the HTTP server, so it stops first and the endpoint keeps
/// reporting while the routes drain.
final class RouteSupervisor: Service, Sendable {
    let config: BridgeConfig
    let readiness: ReadinessRegistry
    let connectionMetrics: [String: ConnectionMetrics]
    let logger: Logger

    init(
        config: BridgeConfig, readiness: ReadinessRegistry,
        connectionMetrics: [String: ConnectionMetrics], logger: Logger
    ) {
        self.config = config
        self.readiness = readiness
        self.connectionMetrics = connectionMetrics
        self.logger = logger
    }

    func run() async throws {
        let runtime = try BridgeRuntime(config: config, readiness: readiness, connectionMetrics: connectionMetrics, logger: logger)
        try runtime.start()
        let pump = Task { await runtime.reportReadiness() }
        // Wait for SIGTERM/SIGINT; then the routes drain, commit, and the connections flush.
        try? await gracefulShutdown()
        logger.info("draining", metadata: ["timeout": "\(Units.format(config.bridge.shutdownTimeout))"])
        await runtime.shutdown(timeout: config.bridge.shutdownTimeout)
        pump.cancel()
    }
}
