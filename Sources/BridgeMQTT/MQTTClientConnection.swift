import BridgeCore
import BridgeTLS
import Logging
import MQTTProtocol
import NIOCore
import NIOPosix

/// What a client connection reports to its owner, always on the connection's event loop.
protocol MQTTClientConnectionDelegate: AnyObject {
    /// CONNACK with a success code: the session is open.
    func connected(_ connack: MQTTPacket.Connack)
    /// A packet after CONNACK (PINGRESP is handled by the connection).
    func received(_ packet: MQTTPacket)
    /// The connection closed (a reconnect follows unless it was shut down).
    func disconnected(reason: String)
}

/// One MQTT client connection that reconnects by itself: CONNECT, keepalive, backoff with
/// jitter over the `urls` in turn.
///
/// `@unchecked Sendable`: every mutable property is touched only on `eventLoop`; public
/// entry points hop onto it.
///
/// Keepalive while reads are paused: the connection still sends PINGREQ every keepalive
/// interval (so the broker keeps it), but it only declares the broker dead for a missing
/// PINGRESP while it is reading: a PINGRESP queued behind PUBLISH packets it deliberately
/// does not read proves nothing.
final class MQTTClientConnection: @unchecked Sendable {
    let eventLoop: any EventLoop
    let options: MQTTClientOptions
    private let logger: Logger
    weak var delegate: (any MQTTClientConnectionDelegate)?
    /// Called on every connection loss after a connection was up (reconnect metric).
    var onReconnecting: (@Sendable () -> Void)?
    var onUpChange: (@Sendable (Bool) -> Void)?

    private var channel: (any Channel)?
    private(set) var isConnected = false
    private var stopped = false
    private var started = false
    private var failures = 0
    private var urlIndex = 0
    private var keepaliveTask: RepeatedTask?
    private var connectTimeout: Scheduled<Void>?
    private var pingSentAt: NIODeadline?
    private var readsPaused = false
    private var flushScheduled = false
    private var reconnectTask: Scheduled<Void>?
    private var random = SystemRandomNumberGenerator()
    /// From CONNACK (MQTT 5): how many QoS ≥ 1 publishes the broker accepts unacknowledged.
    private(set) var brokerReceiveMaximum = Int(UInt16.max)
    /// From CONNACK (MQTT 5): the largest packet the broker accepts, when it announced one.
    private(set) var brokerMaximumPacketSize: Int?
    /// The last CONNACK failure or connection error, for `check --connect`.
    private(set) var lastError: String?

    init(eventLoop: any EventLoop, options: MQTTClientOptions, logger: Logger) {
        self.eventLoop = eventLoop
        self.options = options
        var logger = logger
        logger[metadataKey: "connection"] = "\(options.connectionName)"
        logger[metadataKey: "client_id"] = "\(options.clientID)"
        self.logger = logger
    }

    /// Starts connecting (idempotent).
    func start() {
        eventLoop.execute {
            guard !self.started else { return }
            self.started = true
            self.connectNow()
        }
    }

    /// Sends DISCONNECT (normal: the session is kept), closes, and stops reconnecting.
    func shutdown() -> EventLoopFuture<Void> {
        eventLoop.flatSubmit {
            self.stopped = true
            self.reconnectTask?.cancel()
            self.keepaliveTask?.cancel()
            guard let channel = self.channel else { return self.eventLoop.makeSucceededVoidFuture() }
            if self.isConnected {
                channel.writeAndFlush(MQTTPacket.disconnect(.init()), promise: nil)
            }
            return channel.close().recover { _ in }
        }
    }

    /// Writes a packet when connected (flushed at the end of this event-loop tick, so a
    /// burst of writes goes out in one flush). Must be called on the event loop.
    ///
    /// - Returns: False when there is no open connection (nothing written).
    @discardableResult
    func write(_ packet: MQTTPacket, promise: EventLoopPromise<Void>? = nil) -> Bool {
        eventLoop.preconditionInEventLoop()
        guard isConnected, let channel else {
            promise?.fail(ChannelError.ioOnClosedChannel)
            return false
        }
        channel.write(packet, promise: promise)
        scheduleFlush()
        return true
    }

    private func scheduleFlush() {
        guard !flushScheduled else { return }
        flushScheduled = true
        eventLoop.execute {
            self.flushScheduled = false
            self.channel?.flush()
        }
    }

    /// Stops or restarts reading from the socket (a source over its window). Keepalive
    /// keeps sending PINGREQ meanwhile. Must be called on the event loop.
    func setReadsPaused(_ paused: Bool) {
        eventLoop.preconditionInEventLoop()
        guard paused != readsPaused else { return }
        readsPaused = paused
        if !paused { pingSentAt = nil }
        guard let channel else { return }
        channel.setOption(ChannelOptions.autoRead, value: !paused).whenComplete { _ in }
        if !paused { channel.read() }
    }

    // MARK: Connecting

    private func connectNow() {
        guard !stopped else { return }
        let url = options.urls[urlIndex % options.urls.count]
        let useTLS = url.tls
        let tls = options.tls
        let version = options.version
        let bootstrap = ClientBootstrap(group: eventLoop)
            .connectTimeout(options.connectTimeout)
            .channelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { [weak self] channel in
                do {
                    let handler = MQTTChannelHandler(connection: self)
                    if useTLS {
                        try channel.pipeline.syncOperations.addHandler(try TLSSettings.clientHandler(tls, host: url.host))
                    }
                    try channel.pipeline.syncOperations.addHandlers([
                        ByteToMessageHandler(MQTTPacketDecoder(version: version)),
                        MessageToByteHandler(MQTTPacketEncoder(version: version)),
                        handler,
                    ])
                    return channel.eventLoop.makeSucceededVoidFuture()
                } catch {
                    return channel.eventLoop.makeFailedFuture(error)
                }
            }
        bootstrap.connect(host: url.host, port: url.port).hop(to: eventLoop).whenComplete { result in
            switch result {
            case .success(let channel):
                guard !self.stopped else {
                    channel.close(promise: nil)
                    return
                }
                self.channel = channel
                self.readsPaused = false
                self.pingSentAt = nil
                channel.writeAndFlush(MQTTPacket.connect(self.options.connectPacket()), promise: nil)
                self.connectTimeout = self.eventLoop.scheduleTask(in: self.options.connectTimeout) {
                    self.lastError = "no CONNACK within \(self.options.connectTimeout)"
                    channel.close(promise: nil)
                }
            case .failure(let error):
                self.lastError = "\(error)"
                self.logger.warning("connect failed: \(error)", metadata: ["url": "\(url)"])
                self.scheduleReconnect()
            }
        }
    }

    private func scheduleReconnect() {
        guard !stopped else { return }
        failures += 1
        urlIndex += 1
        let initial = max(options.reconnect.initial.nanoseconds, 1_000_000)
        let cap = max(options.reconnect.max.nanoseconds, initial)
        let exponent = min(failures - 1, 30)
        let base = min(cap, initial << exponent)
        // Jitter: between half and the whole delay.
        let delay = base / 2 + Int64.random(in: 0...(base / 2), using: &random)
        reconnectTask = eventLoop.scheduleTask(in: .nanoseconds(delay)) { self.connectNow() }
    }

    // MARK: Events from the handler

    fileprivate func channelRead(_ packet: MQTTPacket, on channel: any Channel) {
        guard channel === self.channel else { return }
        switch packet {
        case .connack(let connack):
            connectTimeout?.cancel()
            connectTimeout = nil
            guard !connack.reasonCode.isFailure else {
                lastError = "CONNACK \(connack.reasonCode)"
                    + (connack.properties.reasonString.map { ": \($0)" } ?? "")
                logger.error("broker refused the connection: \(lastError!)")
                channel.close(promise: nil)
                return
            }
            failures = 0
            lastError = nil
            brokerReceiveMaximum = Int(connack.properties.receiveMaximum ?? UInt16.max)
            brokerMaximumPacketSize = connack.properties.maximumPacketSize.map(Int.init)
            isConnected = true
            onUpChange?(true)
            startKeepalive(serverKeepAlive: connack.properties.serverKeepAlive)
            logger.info("connected", metadata: ["session_present": "\(connack.sessionPresent)"])
            delegate?.connected(connack)
        case .pingresp:
            pingSentAt = nil
        case .disconnect(let disconnect):
            lastError = "DISCONNECT \(disconnect.reasonCode)" + (disconnect.properties.reasonString.map { ": \($0)" } ?? "")
            logger.warning("broker disconnected: \(lastError!)")
        default:
            guard isConnected else { return }
            delegate?.received(packet)
        }
    }

    fileprivate func channelInactive(_ channel: any Channel) {
        guard channel === self.channel else { return }
        self.channel = nil
        connectTimeout?.cancel()
        keepaliveTask?.cancel()
        keepaliveTask = nil
        let wasConnected = isConnected
        isConnected = false
        if wasConnected {
            onUpChange?(false)
            if stopped {
                logger.debug("disconnected")
            } else {
                logger.warning("connection lost", metadata: ["error": "\(lastError ?? "closed")"])
            }
            delegate?.disconnected(reason: lastError ?? "connection closed")
            if !stopped { onReconnecting?() }
        }
        scheduleReconnect()
    }

    fileprivate func errorCaught(_ error: any Error, on channel: any Channel) {
        lastError = "\(error)"
        logger.warning("connection error: \(error)")
        channel.close(promise: nil)
    }

    private func startKeepalive(serverKeepAlive: UInt16?) {
        keepaliveTask?.cancel()
        let interval: TimeAmount = serverKeepAlive.map { .seconds(Int64($0)) } ?? options.keepalive
        guard interval.nanoseconds > 0 else { return }
        keepaliveTask = eventLoop.scheduleRepeatedTask(initialDelay: interval, delay: interval) { [weak self] _ in
            self?.keepaliveTick(interval: interval)
        }
    }

    private func keepaliveTick(interval: TimeAmount) {
        guard isConnected, let channel else { return }
        if let sent = pingSentAt, !readsPaused, NIODeadline.now() - sent >= .nanoseconds(interval.nanoseconds * 3 / 2) {
            lastError = "no PINGRESP within \(interval)"
            logger.warning("keepalive: broker unresponsive, reconnecting")
            channel.close(promise: nil)
            return
        }
        if pingSentAt == nil || readsPaused { pingSentAt = pingSentAt ?? .now() }
        channel.writeAndFlush(MQTTPacket.pingreq, promise: nil)
    }
}

/// Feeds decoded packets and channel events to the connection. Loop-bound.
final class MQTTChannelHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = MQTTPacket
    private weak var connection: MQTTClientConnection?

    init(connection: MQTTClientConnection?) {
        self.connection = connection
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        connection?.channelRead(unwrapInboundIn(data), on: context.channel)
    }

    func channelInactive(context: ChannelHandlerContext) {
        connection?.channelInactive(context.channel)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        connection?.errorCaught(error, on: context.channel)
    }
}
