public import Logging
public import NIOCore
import NIOHTTP1
import NIOPosix
public import ServiceLifecycle
import Synchronization

/// The HTTP endpoint (`/metrics`, `/healthz`, `/readyz`) as a `Service`.
///
/// ``run()`` binds, serves until graceful shutdown or cancellation, then closes the
/// listening socket and every open connection, and returns. List it first in the
/// `ServiceGroup`: services stop in reverse order, so the endpoint stays up (and keeps
/// reporting) while the routes drain.
public final class HTTPServer: Service, Sendable {
    /// The server could not listen on its address.
    public struct BindError: Error, CustomStringConvertible {
        /// The address it tried.
        public var address: BindAddress
        /// What NIO reported.
        public var underlying: any Error

        public var description: String {
            "cannot listen for HTTP on \(self.address): \(self.underlying)"
        }
    }

    private enum State {
        case idle(waiters: [CheckedContinuation<SocketAddress, any Error>])
        case running(server: any Channel, address: SocketAddress)
        case finished(Result<SocketAddress, any Error>)
    }

    /// A connection that sends nothing for this long is closed, so idle keep-alive
    /// connections cannot pile up. Prometheus scrapes every 15 to 60 s on one connection.
    public let idleTimeout: TimeAmount

    /// Where the server listens (port 0 picks a free port; see ``boundAddress()``).
    public let address: BindAddress
    /// The routes.
    public let endpoints: HTTPEndpoints
    private let eventLoopGroup: any EventLoopGroup
    private let logger: Logger
    private let state: Mutex<State>
    private let connections: Mutex<[ObjectIdentifier: any Channel]>

    /// - Parameters:
    ///   - address: Where to listen.
    ///   - endpoints: The routes.
    ///   - idleTimeout: How long a connection may send nothing before it is closed.
    ///   - eventLoopGroup: The loops that serve; NIO's shared group by default.
    ///   - logger: Logs the bound address and failures.
    public init(
        address: BindAddress,
        endpoints: HTTPEndpoints,
        idleTimeout: TimeAmount = .seconds(120),
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger
    ) {
        self.address = address
        self.idleTimeout = idleTimeout
        self.endpoints = endpoints
        self.eventLoopGroup = eventLoopGroup
        self.logger = logger
        self.state = Mutex(.idle(waiters: []))
        self.connections = Mutex([:])
    }

    /// - Parameters:
    ///   - address: Where to listen.
    ///   - metrics: What `/metrics` serves (``MetricsBootstrap/exporter``).
    ///   - readiness: What `/readyz` and `/healthz` report.
    ///   - bearerToken: The token `/metrics` requires (the contents of `bridge.http_token_file`), or `nil`.
    ///   - eventLoopGroup: The loops that serve; NIO's shared group by default.
    ///   - logger: Logs the bound address and failures.
    public convenience init(
        address: BindAddress,
        metrics: MetricsExporter,
        readiness: ReadinessRegistry,
        bearerToken: String? = nil,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger
    ) {
        self.init(
            address: address,
            endpoints: HTTPEndpoints(metrics: metrics, readiness: readiness, bearerToken: bearerToken),
            eventLoopGroup: eventLoopGroup,
            logger: logger
        )
    }

    /// The address the server listens on, once bound; `nil` before and after.
    public var localAddress: SocketAddress? {
        self.state.withLock { state in
            if case .running(_, let address) = state { return address }
            return nil
        }
    }

    /// Waits until the server is bound and returns the address (with the real port when
    /// ``address`` has port 0).
    ///
    /// - Throws: The bind error when binding failed; `CancellationError` when the server
    ///   stopped before it was bound.
    public func boundAddress() async throws -> SocketAddress {
        try await withCheckedThrowingContinuation { continuation in
            let result: Result<SocketAddress, any Error>? = self.state.withLock { state in
                switch state {
                case .idle(var waiters):
                    waiters.append(continuation)
                    state = .idle(waiters: waiters)
                    return nil
                case .running(_, let address):
                    return .success(address)
                case .finished(let result):
                    return result
                }
            }
            if let result {
                continuation.resume(with: result)
            }
        }
    }

    /// Binds, serves until graceful shutdown or cancellation, then closes every socket.
    ///
    /// - Throws: ``BindError`` when the address cannot be bound.
    public func run() async throws {
        let endpoints = self.endpoints
        let idleTimeout = self.idleTimeout
        let server: any Channel
        do {
            server = try await ServerBootstrap(group: self.eventLoopGroup)
                .serverChannelOption(.backlog, value: 64)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .childChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .childChannelInitializer { channel in
                    self.track(channel)
                    return channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(IdleStateHandler(readTimeout: idleTimeout))
                        try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                        try channel.pipeline.syncOperations.addHandler(HTTPRequestHandler(endpoints: endpoints))
                    }
                }
                .bind(host: self.address.host, port: self.address.port)
                .get()
        } catch {
            let bindError = BindError(address: self.address, underlying: error)
            self.finish(.failure(bindError))
            self.logger.error(
                "HTTP endpoint cannot listen",
                metadata: ["address": "\(self.address)", "error": "\(error)"]
            )
            throw bindError
        }
        guard let local = server.localAddress else {
            try? await server.close()
            self.finish(.failure(ChannelError.ioOnClosedChannel))
            throw ChannelError.ioOnClosedChannel
        }
        let waiters = self.state.withLock { state -> [CheckedContinuation<SocketAddress, any Error>] in
            guard case .idle(let waiters) = state else {
                return []
            }
            state = .running(server: server, address: local)
            return waiters
        }
        for waiter in waiters {
            waiter.resume(returning: local)
        }
        self.logger.info("HTTP endpoint listening", metadata: ["address": "\(local)"])

        // Returns on graceful shutdown, throws on cancellation: both mean stop.
        try? await gracefulShutdown()

        try? await server.close()
        let open = self.connections.withLock { connections in
            defer { connections.removeAll() }
            return Array(connections.values)
        }
        for connection in open {
            try? await connection.close()
        }
        self.finish(.failure(CancellationError()))
        self.logger.info("HTTP endpoint stopped", metadata: ["address": "\(local)"])
    }

    private func track(_ channel: any Channel) {
        let id = ObjectIdentifier(channel)
        self.connections.withLock { $0[id] = channel }
        channel.closeFuture.whenComplete { _ in
            _ = self.connections.withLock { $0.removeValue(forKey: id) }
        }
    }

    /// Moves to `finished`, resuming whoever still waits for the bound address.
    private func finish(_ result: Result<SocketAddress, any Error>) {
        let waiters = self.state.withLock { state -> [CheckedContinuation<SocketAddress, any Error>] in
            let waiters: [CheckedContinuation<SocketAddress, any Error>]
            if case .idle(let pending) = state {
                waiters = pending
            } else {
                waiters = []
            }
            state = .finished(result)
            return waiters
        }
        for waiter in waiters {
            waiter.resume(with: result)
        }
    }
}
