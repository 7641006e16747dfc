import BridgeCore
import Dispatch
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
            config: config, configPath: configPath, loader: loader, readiness: readiness,
            connectionMetrics: connectionMetrics, logger: logger
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
        // SIGHUP reloads the route file (RouteSupervisor); never the default (terminate).
        signal(SIGHUP, SIG_IGN)
        try await group.run()
        logger.info("stopped")
    }
}

/// Owns the routes: starts each with its adapters (``BridgeRuntime``), applies the route
/// file again on SIGHUP, and drains them on shutdown. Listed after the HTTP server, so it
/// stops first and the endpoint keeps reporting while the routes drain.
final class RouteSupervisor: Service, Sendable {
    let config: BridgeConfig
    let configPath: String
    let loader: ConfigLoader
    let readiness: ReadinessRegistry
    let connectionMetrics: [String: ConnectionMetrics]
    let logger: Logger

    init(
        config: BridgeConfig, configPath: String, loader: ConfigLoader, readiness: ReadinessRegistry,
        connectionMetrics: [String: ConnectionMetrics], logger: Logger
    ) {
        self.config = config
        self.configPath = configPath
        self.loader = loader
        self.readiness = readiness
        self.connectionMetrics = connectionMetrics
        self.logger = logger
    }

    func run() async throws {
        let readiness = readiness
        let runtime = try BridgeRuntime(
            config: config, readiness: readiness, connectionMetrics: connectionMetrics,
            makeMetrics: { connection in
                ConnectionMetrics(connection: connection.name, protocolName: connection.protocol.rawValue, readiness: readiness)
            },
            logger: logger
        )
        try runtime.start()
        let pump = Task { await runtime.reportReadiness() }
        // SIGHUP until SIGTERM/SIGINT; one reload at a time, a signal during a reload runs
        // one more after it.
        let (hangups, hangup) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        signal(SIGHUP, SIG_IGN)
        let signalSource = DispatchSource.makeSignalSource(signal: SIGHUP, queue: .global())
        signalSource.setEventHandler { hangup.yield() }
        signalSource.resume()
        await withGracefulShutdownHandler {
            for await _ in hangups {
                await reload(runtime)
            }
        } onGracefulShutdown: {
            hangup.finish()
        }
        signalSource.cancel()
        // The routes drain, commit, and the connections flush.
        logger.info("draining", metadata: ["timeout": "\(Units.format(config.bridge.shutdownTimeout))"])
        await runtime.shutdown(timeout: config.bridge.shutdownTimeout)
        pump.cancel()
    }

    /// Reads the route file again and applies it; an invalid file changes nothing.
    func reload(_ runtime: BridgeRuntime) async {
        logger.info("reload: reading the route file (SIGHUP)", metadata: ["file": "\(configPath)"])
        switch loader.load(path: configPath) {
        case .failure(let errors):
            for error in errors.errors {
                logger.error("reload: \(error.description)")
            }
            logger.error(
                "reload rejected: \(configPath): \(errors.errors.count) error\(errors.errors.count == 1 ? "" : "s"); the running routes are kept"
            )
        case .success(let loaded):
            for warning in loaded.warnings { logger.warning("\(warning.description)") }
            let summary = await runtime.reload(to: loaded.config)
            logger.info(
                "reloaded",
                metadata: [
                    "added": "\(summary.added.count)", "changed": "\(summary.replaced.count)", "removed": "\(summary.removed.count)",
                    "unchanged": "\(summary.unchanged.count)", "connections_changed": "\(summary.connectionsChanged.count)",
                    "failed": "\(summary.failed.count)",
                ]
            )
        }
    }
}
