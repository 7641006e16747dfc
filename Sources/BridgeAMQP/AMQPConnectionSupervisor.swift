import BridgeCore
import CoreMetrics
import Logging
import NIOConcurrencyHelpers
import NIOCore

/// What uses a supervised connection: told on the loop when it is up and when it is gone,
/// so it can open its channels and re-declare (and fail what was in flight).
protocol AMQPConnectionUser: AnyObject, Sendable {
    /// The connection is open (again). Called on its event loop.
    func connected(_ connection: AMQPConnection)
    /// The connection ended. Called on its event loop.
    func disconnected(_ reason: AMQPConnectionError)
    /// The broker blocked (true) or unblocked (false) the connection.
    func blockedChanged(_ blocked: Bool)
}

extension AMQPConnectionUser {
    func blockedChanged(_ blocked: Bool) {}
}

/// Keeps one AMQP connection up (CONTRACT 5.8): connects, and after every loss reconnects
/// with exponential backoff and jitter, trying `urls` in turn. Users get ``AMQPConnectionUser/connected(_:)``
/// after each (re)connect and re-declare what they need.
///
/// `@unchecked Sendable`: mutable state only on `eventLoop`.
final class AMQPConnectionSupervisor: @unchecked Sendable {
    let name: String
    /// "consume" or "publish": the two connections of one configured connection.
    let role: String
    let settings: AMQPConnectionSettings
    let eventLoop: any EventLoop
    private let logger: Logger
    private let connectionName: String
    private let onUpChange: @Sendable () -> Void
    private let reconnects: Counter

    private var users: [any AMQPConnectionUser] = []
    private var connection: AMQPConnection?
    private var started = false
    private var stopped = false
    private var urlIndex = 0
    private var failures = 0
    private var everConnected = false

    init(
        name: String,
        role: String,
        settings: AMQPConnectionSettings,
        connectionName: String,
        eventLoop: any EventLoop,
        logger: Logger,
        metricsFactory: any MetricsFactory,
        onUpChange: @escaping @Sendable () -> Void
    ) {
        self.name = name
        self.role = role
        self.settings = settings
        self.connectionName = connectionName
        self.eventLoop = eventLoop
        var logger = logger
        logger[metadataKey: "connection"] = "\(name)"
        logger[metadataKey: "role"] = "\(role)"
        self.logger = logger
        self.onUpChange = onUpChange
        self.reconnects = Counter(label: MetricNames.connectionReconnects, dimensions: [(MetricNames.connection, name)], factory: metricsFactory)
    }

    private let up = NIOLockedValueBox(false)

    /// True once a user asked for the connection.
    var isStarted: Bool { startedBox.withLockedValue { $0 } }
    private let startedBox = NIOLockedValueBox(false)

    private let blockedBox = NIOLockedValueBox(false)

    /// True while the broker blocks the connection (`connection.blocked`, a resource alarm).
    var isBlocked: Bool { blockedBox.withLockedValue { $0 } }

    /// True while the connection is open (readable from any thread).
    var isConnected: Bool { up.withLockedValue { $0 } }

    /// Adds a user; it is told at once when the connection is already open. Starts the
    /// connection on first use.
    func add(_ user: any AMQPConnectionUser) {
        eventLoop.execute { [self] in
            users.append(user)
            if let connection, connection.isOpen { user.connected(connection) }
            if !started {
                started = true
                startedBox.withLockedValue { $0 = true }
                connect()
            }
        }
    }

    /// Forgets a user (a source or sink that closed): it is told nothing more, so it opens
    /// no channel again after a reconnect. The connection stays open for the others.
    func remove(_ user: any AMQPConnectionUser) {
        eventLoop.preconditionInEventLoop()
        users.removeAll { $0 === user }
    }

    /// Closes the connection and stops reconnecting.
    func shutdown() -> EventLoopFuture<Void> {
        eventLoop.flatSubmit { [self] in
            stopped = true
            guard let connection else { return eventLoop.makeSucceededVoidFuture() }
            return connection.close()
        }
    }

    private func connect() {
        guard !stopped, !settings.urls.isEmpty else { return }
        let url = settings.urls[urlIndex % settings.urls.count]
        AMQPConnection.connect(to: url, heartbeat: settings.heartbeat, tls: settings.tls, connectionName: connectionName, on: eventLoop, logger: logger)
            .whenComplete { [self] result in
                switch result {
                case .success(let connection):
                    if stopped {
                        _ = connection.close()
                        return
                    }
                    if everConnected { reconnects.increment() }
                    everConnected = true
                    failures = 0
                    logger.info("AMQP connected", metadata: ["url": "\(url)", "frame_max": "\(connection.tuning.frameMax)", "heartbeat": "\(connection.tuning.heartbeat)"])
                    self.connection = connection
                    up.withLockedValue { $0 = true }
                    onUpChange()
                    connection.onBlockedChange = { [self] blocked in
                        blockedBox.withLockedValue { $0 = blocked }
                        for user in users { user.blockedChanged(blocked) }
                    }
                    connection.closeFuture.whenSuccess { [self] reason in
                        self.connection = nil
                        up.withLockedValue { $0 = false }
                        blockedBox.withLockedValue { $0 = false }
                        onUpChange()
                        if !stopped { logger.warning("AMQP connection lost: \(reason)", metadata: ["url": "\(url)"]) }
                        for user in users { user.disconnected(reason) }
                        scheduleReconnect()
                    }
                    for user in users { user.connected(connection) }
                case .failure(let error):
                    logger.warning("AMQP connect failed: \(error)", metadata: ["url": "\(url)"])
                    urlIndex += 1
                    scheduleReconnect()
                }
            }
    }

    private func scheduleReconnect() {
        guard !stopped else { return }
        let delay = settings.reconnect.delay(afterFailures: failures, jitter: Double.random(in: 0.5...1.0))
        failures += 1
        eventLoop.scheduleTask(in: delay) { [self] in connect() }
    }
}
