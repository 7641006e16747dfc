import AMQPProtocol
import BridgeCore
import BridgeTLS
import Logging
import NIOCore
import NIOPosix

/// One AMQP 0-9-1 connection on its NIO event loop: handshake, heartbeats both ways,
/// `connection.blocked`, and the channels multiplexed on it.
///
/// `@unchecked Sendable`: every mutable property is touched only on `eventLoop` (the
/// socket's loop); public entry points that may be called elsewhere hop onto it.
final class AMQPConnection: @unchecked Sendable {
    let eventLoop: any EventLoop
    let logger: Logger
    /// What the socket is, for logs: `amqp://host:port/vhost`.
    let peer: String

    private var channel: (any Channel)?
    private var handshake: ConnectionHandshake
    private let openPromise: EventLoopPromise<AMQPConnection>
    private let closedPromise: EventLoopPromise<AMQPConnectionError>
    private(set) var tuning = ConnectionHandshake.Tuning(channelMax: 2047, frameMax: 131_072, heartbeat: 0)
    private var channels: [UInt16: AMQPChannel] = [:]
    private var lastChannelID: UInt16 = 0
    private var closeReason: AMQPConnectionError?
    private var opened = false
    private var finished = false
    private var heartbeatTask: RepeatedTask?
    private var lastReceived = NIODeadline.now()
    private var flushScheduled = false
    /// Scratch buffer for outgoing frames; written out on each flush.
    private var outgoing = ByteBuffer()

    /// True while the broker blocks publishing on this connection (resource alarm).
    private(set) var isBlocked = false
    /// Called on the loop when the broker blocks (true) or unblocks (false) the connection.
    var onBlockedChange: ((Bool) -> Void)?

    /// Succeeds with why the connection ended (it never fails).
    var closeFuture: EventLoopFuture<AMQPConnectionError> { closedPromise.futureResult }
    var isOpen: Bool { closeReason == nil && channel != nil }

    private init(eventLoop: any EventLoop, request: ConnectionHandshake.Request, peer: String, logger: Logger) {
        self.eventLoop = eventLoop
        self.handshake = ConnectionHandshake(request)
        self.peer = peer
        self.logger = logger
        self.openPromise = eventLoop.makePromise()
        self.closedPromise = eventLoop.makePromise()
    }

    /// Connects, authenticates and opens the vhost of `url`.
    ///
    /// - Parameters:
    ///   - url: `amqp://user:password@host:port/vhost` (guest/guest when no user is given).
    ///   - heartbeat: our heartbeat wish; the broker may lower it.
    ///   - tls: CA, client certificate, verification and server name for `amqps://`.
    ///   - connectionName: the `connection_name` client property.
    ///   - eventLoop: the loop the connection lives on.
    ///   - logger: where connection events go.
    static func connect(
        to url: BrokerURL,
        heartbeat: TimeAmount,
        tls: TLSSettings? = nil,
        connectionName: String,
        on eventLoop: any EventLoop,
        logger: Logger
    ) -> EventLoopFuture<AMQPConnection> {
        let seconds = heartbeat.nanoseconds / 1_000_000_000
        let request = ConnectionHandshake.Request(
            username: url.username ?? "guest",
            password: url.password?.value ?? "guest",
            virtualHost: AMQPConnectionSettings.vhost(of: url),
            heartbeat: UInt16(clamping: seconds),
            connectionName: connectionName
        )
        let connection = AMQPConnection(eventLoop: eventLoop, request: request, peer: url.description, logger: logger)
        let bootstrap = ClientBootstrap(group: eventLoop)
            .connectTimeout(.seconds(10))
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if url.tls {
                        try channel.pipeline.syncOperations.addHandler(try TLSSettings.clientHandler(tls, host: url.host))
                    }
                    try channel.pipeline.syncOperations.addHandlers([
                        ByteToMessageHandler(FrameDecoder(maxFrameSize: request.frameMax)),
                        AMQPFrameHandler(connection: connection),
                    ])
                }
            }
        bootstrap.connect(host: url.host, port: url.port).whenComplete { result in
            switch result {
            case .success(let channel):
                connection.channel = channel
                var header = channel.allocator.buffer(capacity: 8)
                ProtocolHeader.amqp091.encode(into: &header)
                channel.writeAndFlush(header, promise: nil)
                // A broker that never answers must not hang the connect.
                eventLoop.scheduleTask(in: .seconds(15)) {
                    if case .open = connection.handshake.state { return }
                    connection.shutdown(.handshake("no answer from the broker within 15 s"))
                }
            case .failure(let error):
                connection.shutdown(.connectionLost("\(error)"))
            }
        }
        return connection.openPromise.futureResult
    }

    // MARK: Channels

    /// Opens a new channel.
    func openChannel() -> EventLoopFuture<AMQPChannel> {
        eventLoop.flatSubmit { [self] in
            if let closeReason { return eventLoop.makeFailedFuture(closeReason) }
            guard let id = nextChannelID() else { return eventLoop.makeFailedFuture(AMQPConnectionError.noFreeChannel) }
            let amqpChannel = AMQPChannel(id: id, connection: self)
            channels[id] = amqpChannel
            return amqpChannel.call(.channelOpen(ChannelOpen())).map { _ in amqpChannel }
        }
    }

    private func nextChannelID() -> UInt16? {
        let limit = tuning.channelMax == 0 ? UInt16.max : tuning.channelMax
        for _ in 0..<Int(limit) {
            lastChannelID = lastChannelID >= limit ? 1 : lastChannelID + 1
            if channels[lastChannelID] == nil { return lastChannelID }
        }
        return nil
    }

    /// A channel is closed (by either side): forget it.
    func remove(_ channel: AMQPChannel) {
        if channels[channel.id] === channel { channels[channel.id] = nil }
    }

    // MARK: Writing

    /// Writes a frame; flushed at the end of this loop tick.
    func send(_ frame: Frame) {
        eventLoop.preconditionInEventLoop()
        guard closeReason == nil else { return }
        do {
            try frame.encode(into: &outgoing)
        } catch {
            logger.error("AMQP frame not encodable, dropped: \(error)")
            return
        }
        scheduleFlush()
    }

    /// Writes a content-carrying method with its header and body frames.
    ///
    /// - Throws: `AMQPProtocolError` when the content cannot be framed (e.g. headers too
    ///   large for frame-max); nothing is written then.
    func send(_ content: Content, channel id: UInt16) throws(AMQPProtocolError) {
        eventLoop.preconditionInEventLoop()
        guard closeReason == nil else { return }
        try content.encode(channel: id, frameMax: tuning.frameMax, into: &outgoing)
        scheduleFlush()
    }

    private func scheduleFlush() {
        // Large batches are written at once so the scratch buffer stays small.
        if outgoing.readableBytes >= 256 * 1024 {
            flush()
            return
        }
        guard !flushScheduled else { return }
        flushScheduled = true
        eventLoop.execute { [self] in
            flushScheduled = false
            flush()
        }
    }

    private func flush() {
        guard let channel, outgoing.readableBytes > 0 else { return }
        let bytes = outgoing
        outgoing = channel.allocator.buffer(capacity: 4096)
        channel.writeAndFlush(bytes, promise: nil)
    }

    // MARK: Reading

    /// A frame from the socket (on the loop).
    func received(_ frame: Frame) {
        lastReceived = .now()
        if frame.channel == 0 {
            receivedOnChannelZero(frame.payload)
            return
        }
        guard let amqpChannel = channels[frame.channel] else {
            // A frame for a channel we closed, in flight before our close: ignore.
            return
        }
        amqpChannel.received(frame.payload)
    }

    private func receivedOnChannelZero(_ payload: Frame.Payload) {
        guard case .method(let method) = payload else { return }  // heartbeats: lastReceived did it
        if case .open = handshake.state {
            switch method {
            case .connectionClose(let close):
                logger.warning("AMQP broker closed the connection: \(close.replyCode) \(close.replyText)", metadata: ["peer": "\(peer)"])
                send(Frame(channel: 0, payload: .method(.connectionCloseOk(ConnectionCloseOk()))))
                flush()
                shutdown(.connectionClosedByBroker(code: close.replyCode, text: close.replyText))
            case .connectionCloseOk:
                shutdown(closeReason ?? .closedByClient)
            case .connectionBlocked(let blocked):
                logger.warning("AMQP broker blocked the publishing connection: \(blocked.reason)", metadata: ["peer": "\(peer)"])
                isBlocked = true
                onBlockedChange?(true)
            case .connectionUnblocked:
                logger.info("AMQP broker unblocked the connection", metadata: ["peer": "\(peer)"])
                isBlocked = false
                onBlockedChange?(false)
            default:
                logger.debug("AMQP ignored \(method.name) on channel 0")
            }
            return
        }
        switch handshake.receive(method) {
        case .send(let methods):
            for method in methods { send(Frame(channel: 0, payload: .method(method))) }
        case .opened(let tuning):
            self.tuning = tuning
            opened = true
            startHeartbeats()
            openPromise.succeed(self)
        case .fail(let text, let close):
            if let close {
                send(Frame(channel: 0, payload: .method(.connectionClose(close))))
                flush()
            }
            shutdown(.handshake(text))
        }
    }

    // MARK: Heartbeats

    private func startHeartbeats() {
        guard tuning.heartbeat > 0 else { return }
        let interval = TimeAmount.seconds(Int64(tuning.heartbeat))
        let half = TimeAmount.milliseconds(Int64(tuning.heartbeat) * 500)
        lastReceived = .now()
        heartbeatTask = eventLoop.scheduleRepeatedTask(initialDelay: half, delay: half) { [weak self] _ in
            guard let self else { return }
            if NIODeadline.now() - self.lastReceived > interval * 2 {
                self.logger.warning("AMQP broker missed two heartbeat intervals; closing", metadata: ["peer": "\(self.peer)"])
                self.shutdown(.missedHeartbeats)
                return
            }
            self.send(.heartbeat)
        }
    }

    // MARK: Closing

    /// Closes the connection cleanly (`connection.close`, then the socket).
    func close() -> EventLoopFuture<Void> {
        eventLoop.flatSubmit { [self] in
            guard closeReason == nil, channel != nil, case .open = handshake.state else {
                shutdown(.closedByClient)
                return closeFuture.map { _ in }
            }
            send(Frame(channel: 0, payload: .method(.connectionClose(ConnectionClose(replyCode: 200, replyText: "bye", classID: 0, methodID: 0)))))
            flush()
            closeReason = .closedByClient
            // Wait for close-ok, but not forever.
            eventLoop.scheduleTask(in: .seconds(2)) { [self] in shutdown(.closedByClient) }
            return closeFuture.map { _ in }
        }
    }

    /// Ends the connection for `reason`: fails every channel and the open promise, closes
    /// the socket, completes `closeFuture`. Idempotent.
    func shutdown(_ reason: AMQPConnectionError) {
        eventLoop.preconditionInEventLoop()
        guard !finished else { return }
        finished = true
        if closeReason == nil { closeReason = reason }
        let reason = closeReason!
        heartbeatTask?.cancel()
        heartbeatTask = nil
        let open = channels.values
        channels = [:]
        for amqpChannel in open { amqpChannel.connectionClosed(reason) }
        if !opened { openPromise.fail(reason) }
        if let channel {
            self.channel = nil
            channel.close(promise: nil)
        }
        closedPromise.succeed(reason)
    }
}

/// Feeds decoded frames to the connection and reports the socket's end.
final class AMQPFrameHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = Frame

    // Only used on the channel's event loop, like the connection it points to.
    private let connection: AMQPConnection

    init(connection: AMQPConnection) {
        self.connection = connection
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        connection.received(unwrapInboundIn(data))
    }

    func channelInactive(context: ChannelHandlerContext) {
        connection.shutdown(.connectionLost("the broker closed the socket"))
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let error = error as? AMQPProtocolError {
            connection.shutdown(.protocolError("\(error)"))
        } else {
            connection.shutdown(.connectionLost("\(error)"))
        }
        context.close(promise: nil)
    }
}
