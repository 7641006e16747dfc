import AMQP10Protocol
import BridgeCore
import BridgeTLS
import DequeModule
import Logging
import NIOCore
import NIOPosix

/// What uses a link of an ``AMQP10Connection``: told on the loop about the peer's attach,
/// flow, transfers, dispositions and detach for its handle.
protocol AMQP10LinkEndpoint: AnyObject {
    /// The peer answered our attach.
    func attached(_ attach: AMQP10Attach)
    /// The peer detached the link (or closed the connection).
    func detached(_ error: AMQP10ConnectionError)
    /// A flow for this link.
    func flow(_ flow: AMQP10Flow)
    /// A transfer frame on this link (receiving links).
    func transfer(_ transfer: AMQP10Transfer)
    /// The peer's disposition of one of our deliveries on this link (sending links).
    func disposition(deliveryID: UInt32, state: AMQP10DeliveryState?, settled: Bool)
}

/// One AMQP 1.0 connection with one session (channel 0) on its NIO event loop: SASL
/// (PLAIN with the URL's credentials, else ANONYMOUS), open with our idle timeout and
/// max frame size, begin, empty frames when the peer's idle timeout asks for them, and the
/// links multiplexed on the session with session flow control both ways.
///
/// `@unchecked Sendable`: every mutable property is touched only on `eventLoop`.
final class AMQP10Connection: @unchecked Sendable {
    /// Our max-frame-size: what the peer may send us.
    static let maxFrameSize: UInt32 = 1_048_576
    /// Our session incoming window (transfer frames); topped up with every flow we send.
    static let incomingWindow: UInt32 = 1 << 20

    let eventLoop: any EventLoop
    let logger: Logger
    /// The URL without its password, for logs.
    let peer: String

    private enum State {
        case connecting
        case sasl
        case opening
        case open
        case closing
        case closed
    }

    private var channel: (any Channel)?
    private var state = State.connecting
    private let url: BrokerURL
    private let idleTimeout: TimeAmount
    private let containerID: String
    private let openPromise: EventLoopPromise<AMQP10Connection>
    private let closedPromise: EventLoopPromise<AMQP10ConnectionError>
    private var closeReason: AMQP10ConnectionError?
    private var gotOpen = false
    private var gotBegin = false
    private var outgoing = ByteBuffer()
    private var flushScheduled = false
    private var lastReceived = NIODeadline.now()
    private var lastSent = NIODeadline.now()
    private var timer: RepeatedTask?

    /// The peer's max-frame-size.
    private(set) var remoteMaxFrameSize: UInt32 = 512
    /// Half the peer's idle timeout: we write at least this often.
    private var heartbeatEvery: TimeAmount?
    /// The peer's open, for logs and the connect check.
    private(set) var remoteOpen: AMQP10Open?

    // Session.
    private var nextOutgoingID: UInt32 = 0
    private var nextIncomingID: UInt32 = 0
    private var remoteIncomingWindow: UInt32 = 0
    private var nextDeliveryID: UInt32 = 0
    private var links: [UInt32: any AMQP10LinkEndpoint] = [:]
    private var linkNames: [String: UInt32] = [:]
    private var remoteHandles: [UInt32: UInt32] = [:]
    private var nextHandle: UInt32 = 0
    /// Our unsettled deliveries: delivery id → handle of the sending link.
    private var sentDeliveries: [UInt32: UInt32] = [:]
    /// Transfer frames waiting for the peer's session window.
    private var waitingTransfers: Deque<AMQP10Transfer> = []

    /// Succeeds with why the connection ended (it never fails).
    var closeFuture: EventLoopFuture<AMQP10ConnectionError> { closedPromise.futureResult }
    var isOpen: Bool { state == .open }

    private init(eventLoop: any EventLoop, url: BrokerURL, idleTimeout: TimeAmount, containerID: String, logger: Logger) {
        self.eventLoop = eventLoop
        self.url = url
        self.peer = url.description
        self.idleTimeout = idleTimeout
        self.containerID = containerID
        self.logger = logger
        self.openPromise = eventLoop.makePromise()
        self.closedPromise = eventLoop.makePromise()
    }

    /// Connects, authenticates, opens the connection and begins the session.
    ///
    /// - Parameters:
    ///   - url: `amqp://[user:password@]host:port[/vhost]` (`amqps://` for TLS). With a
    ///     user, SASL PLAIN; without, ANONYMOUS. A path becomes the open's hostname
    ///     `vhost:<path>` (RabbitMQ's way of naming a vhost).
    ///   - idleTimeout: Our idle timeout (the peer sends something at least every half of it).
    ///   - tls: CA, client certificate, verification and server name for `amqps://`.
    ///   - containerID: Our container id (the bridge name, instance and role).
    ///   - eventLoop: The loop the connection lives on.
    ///   - logger: Where connection events go.
    static func connect(
        to url: BrokerURL,
        idleTimeout: TimeAmount,
        tls: TLSSettings?,
        containerID: String,
        on eventLoop: any EventLoop,
        logger: Logger
    ) -> EventLoopFuture<AMQP10Connection> {
        let connection = AMQP10Connection(eventLoop: eventLoop, url: url, idleTimeout: idleTimeout, containerID: containerID, logger: logger)
        let bootstrap = ClientBootstrap(group: eventLoop)
            .connectTimeout(.seconds(10))
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if url.tls {
                        try channel.pipeline.syncOperations.addHandler(try TLSSettings.clientHandler(tls, host: url.host))
                    }
                    try channel.pipeline.syncOperations.addHandler(AMQP10FrameHandler(connection: connection))
                }
            }
        bootstrap.connect(host: url.host, port: url.port).whenComplete { result in
            switch result {
            case .success(let channel):
                connection.channel = channel
                connection.state = .sasl
                connection.sendHeader(.sasl)
                eventLoop.scheduleTask(in: .seconds(15)) {
                    if connection.state == .sasl || connection.state == .opening {
                        connection.shutdown(.handshake("no answer from the peer within 15 s"))
                    }
                }
            case .failure(let error):
                connection.shutdown(.connectionLost("\(error)"))
            }
        }
        return connection.openPromise.futureResult
    }

    // MARK: Links

    /// Attaches a link; the endpoint hears the peer's attach, flows, transfers,
    /// dispositions and detach. Returns our handle.
    func attach(_ endpoint: any AMQP10LinkEndpoint, _ attach: (UInt32) -> AMQP10Attach) -> UInt32 {
        eventLoop.preconditionInEventLoop()
        let handle = nextHandle
        nextHandle += 1
        let performative = attach(handle)
        links[handle] = endpoint
        linkNames[performative.name] = handle
        send(.attach(performative))
        return handle
    }

    /// Detaches (closes) a link; the endpoint hears nothing more.
    func detach(handle: UInt32, error: AMQP10Error? = nil) {
        eventLoop.preconditionInEventLoop()
        guard links.removeValue(forKey: handle) != nil else { return }
        linkNames = linkNames.filter { $0.value != handle }
        remoteHandles = remoteHandles.filter { $0.value != handle }
        sentDeliveries = sentDeliveries.filter { $0.value != handle }
        if state == .open { send(.detach(AMQP10Detach(handle: handle, closed: true, error: error))) }
    }

    /// A flow for a link, with the session's state.
    func sendFlow(handle: UInt32, deliveryCount: UInt32, linkCredit: UInt32, drain: Bool = false) {
        send(
            .flow(
                AMQP10Flow(
                    nextIncomingID: nextIncomingID, incomingWindow: Self.incomingWindow, nextOutgoingID: nextOutgoingID,
                    outgoingWindow: UInt32.max, handle: handle, deliveryCount: deliveryCount, linkCredit: linkCredit, drain: drain
                )
            )
        )
    }

    /// Our disposition of received deliveries `first...last` (settled).
    func sendDisposition(first: UInt32, last: UInt32, state: AMQP10DeliveryState) {
        send(.disposition(AMQP10Disposition(role: .receiver, first: first, last: first == last ? nil : last, settled: true, state: state)))
    }

    /// Sends one message on a sending link, split into frames under the peer's max frame
    /// size, unsettled. Returns its delivery id.
    func sendMessage(handle: UInt32, tag: ByteBuffer, payload: ByteBuffer) -> UInt32 {
        eventLoop.preconditionInEventLoop()
        let deliveryID = nextDeliveryID
        nextDeliveryID &+= 1
        sentDeliveries[deliveryID] = handle
        let first = AMQP10Transfer(
            handle: handle, deliveryID: deliveryID, deliveryTag: tag, messageFormat: 0, settled: false, payload: payload
        )
        do {
            for transfer in try first.split(maxFrameSize: remoteMaxFrameSize) { queueTransfer(transfer) }
        } catch {
            // Only a max-frame-size under 512, which open refuses.
            logger.error("AMQP 1.0 transfer cannot be framed: \(error)")
        }
        return deliveryID
    }

    private func queueTransfer(_ transfer: AMQP10Transfer) {
        if waitingTransfers.isEmpty && remoteIncomingWindow > 0 {
            writeTransfer(transfer)
        } else {
            waitingTransfers.append(transfer)
        }
    }

    private func writeTransfer(_ transfer: AMQP10Transfer) {
        remoteIncomingWindow &-= 1
        nextOutgoingID &+= 1
        send(.transfer(transfer))
    }

    private func pumpTransfers() {
        while remoteIncomingWindow > 0, let next = waitingTransfers.popFirst() {
            writeTransfer(next)
        }
    }

    // MARK: Writing

    private func sendHeader(_ header: AMQP10ProtocolHeader) {
        header.encode(into: &outgoing)
        scheduleFlush()
    }

    func send(_ performative: AMQP10Performative) {
        eventLoop.preconditionInEventLoop()
        guard state != .closed else { return }
        write(AMQP10Frame(channel: 0, performative))
    }

    private func write(_ frame: AMQP10Frame) {
        do {
            try frame.encode(into: &outgoing)
        } catch {
            logger.error("AMQP 1.0 frame not encodable, dropped: \(error)")
            return
        }
        scheduleFlush()
    }

    private func scheduleFlush() {
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
        lastSent = .now()
        channel.writeAndFlush(bytes, promise: nil)
    }

    // MARK: Reading

    func received(_ inbound: AMQP10Inbound) {
        lastReceived = .now()
        switch inbound {
        case .protocolHeader(let header):
            receivedHeader(header)
        case .frame(let frame):
            switch frame.body {
            case .empty: break
            case .sasl(let sasl): receivedSASL(sasl)
            case .amqp(let performative): received(performative)
            }
        }
    }

    private func receivedHeader(_ header: AMQP10ProtocolHeader) {
        switch (state, header.protocolID) {
        case (.sasl, .sasl), (.opening, .amqp):
            break
        default:
            shutdown(.handshake("the peer answered with the protocol header \(header)"))
        }
    }

    private func receivedSASL(_ sasl: AMQP10SASLPerformative) {
        guard state == .sasl else {
            shutdown(.protocolError("SASL frame after SASL"))
            return
        }
        switch sasl {
        case .mechanisms(let offered):
            let hostname = url.host
            let initial: AMQP10SASLInit
            if let username = url.username, offered.mechanisms.contains("PLAIN") {
                initial = .plain(username: username, password: url.password?.value ?? "", hostname: hostname)
            } else if offered.mechanisms.contains("ANONYMOUS") {
                initial = .anonymous(hostname: hostname)
            } else if offered.mechanisms.contains("PLAIN") {
                initial = .plain(username: "guest", password: "guest", hostname: hostname)
            } else {
                shutdown(.handshake("the peer offers none of PLAIN, ANONYMOUS: \(offered.mechanisms.joined(separator: ", "))"))
                return
            }
            write(AMQP10Frame(.initial(initial)))
        case .challenge:
            shutdown(.handshake("the peer sent a SASL challenge; PLAIN and ANONYMOUS have none"))
        case .outcome(let outcome):
            guard outcome.code == .ok else {
                shutdown(.handshake("SASL authentication failed (code \(outcome.code))"))
                return
            }
            state = .opening
            sendHeader(.amqp)
            let idleMs = UInt32(clamping: idleTimeout.nanoseconds / 1_000_000)
            let hostname = url.path.flatMap { $0.isEmpty ? nil : "vhost:\($0)" } ?? url.host
            write(
                AMQP10Frame(
                    channel: 0,
                    .open(AMQP10Open(containerID: containerID, hostname: hostname, maxFrameSize: Self.maxFrameSize, channelMax: 0, idleTimeOut: idleMs > 0 ? idleMs : nil))
                )
            )
            write(AMQP10Frame(channel: 0, .begin(AMQP10Begin(nextOutgoingID: 0, incomingWindow: Self.incomingWindow, outgoingWindow: UInt32.max))))
        case .initial, .response:
            shutdown(.protocolError("the peer sent a client's SASL frame"))
        }
    }

    private func received(_ performative: AMQP10Performative) {
        switch performative {
        case .open(let open):
            remoteOpen = open
            remoteMaxFrameSize = max(open.maxFrameSize, 512)
            if let idle = open.idleTimeOut, idle > 0 {
                heartbeatEvery = .milliseconds(Int64(idle / 2))
            }
            gotOpen = true
            checkOpened()
        case .begin(let begin):
            remoteIncomingWindow = begin.incomingWindow
            nextIncomingID = begin.nextOutgoingID
            gotBegin = true
            checkOpened()
        case .attach(let attach):
            guard let handle = linkNames[attach.name], let link = links[handle] else {
                logger.debug("AMQP 1.0 attach for an unknown link \(attach.name)")
                return
            }
            remoteHandles[attach.handle] = handle
            link.attached(attach)
        case .flow(let flow):
            remoteIncomingWindow = (flow.nextIncomingID ?? 0) &+ flow.incomingWindow &- nextOutgoingID
            pumpTransfers()
            if let remote = flow.handle, let handle = remoteHandles[remote], let link = links[handle] {
                link.flow(flow)
            }
        case .transfer(let transfer):
            nextIncomingID &+= 1
            if let handle = remoteHandles[transfer.handle], let link = links[handle] {
                link.transfer(transfer)
            }
        case .disposition(let disposition):
            guard disposition.role == .receiver else { return }  // the peer settling what we received: nothing to do
            let last = disposition.last ?? disposition.first
            var id = disposition.first
            // Ranges are short in practice (the peer settles what we sent, in runs).
            let count = last &- disposition.first
            if count > 1_000_000 { return }
            while true {
                if let handle = sentDeliveries[id], let link = links[handle] {
                    if disposition.settled { sentDeliveries[id] = nil }
                    link.disposition(deliveryID: id, state: disposition.state, settled: disposition.settled)
                }
                if id == last { break }
                id &+= 1
            }
        case .detach(let detach):
            guard let handle = remoteHandles.removeValue(forKey: detach.handle) else { return }
            let link = links.removeValue(forKey: handle)
            linkNames = linkNames.filter { $0.value != handle }
            sentDeliveries = sentDeliveries.filter { $0.value != handle }
            if link != nil, state == .open {
                // Answer the detach so the handle can be used again.
                send(.detach(AMQP10Detach(handle: handle, closed: true)))
            }
            link?.detached(.linkDetached(condition: detach.error?.condition, description: detach.error?.description))
        case .end(let end):
            if state == .open { send(.end(AMQP10End())) }
            shutdown(.sessionEnded(condition: end.error?.condition, description: end.error?.description))
        case .close(let close):
            if state == .closing {
                shutdown(closeReason ?? .closedByClient)
                return
            }
            write(AMQP10Frame(channel: 0, .close(AMQP10Close())))
            flush()
            shutdown(.closedByPeer(condition: close.error?.condition, description: close.error?.description))
        }
    }

    private func checkOpened() {
        guard state == .opening, gotOpen, gotBegin else { return }
        state = .open
        startTimer()
        openPromise.succeed(self)
    }

    // MARK: Idle timeout

    private func startTimer() {
        let tick = TimeAmount.milliseconds(250)
        timer = eventLoop.scheduleRepeatedTask(initialDelay: tick, delay: tick) { [weak self] _ in
            guard let self, self.state == .open else { return }
            let now = NIODeadline.now()
            if self.idleTimeout > .zero, now - self.lastReceived > self.idleTimeout * 2 {
                self.logger.warning("AMQP 1.0 peer sent nothing for twice the idle timeout; closing", metadata: ["peer": "\(self.peer)"])
                self.shutdown(.idleTimeout)
                return
            }
            if let every = self.heartbeatEvery, now - self.lastSent >= every - tick {
                self.write(.heartbeat)
                self.flush()
            }
        }
    }

    // MARK: Closing

    /// Closes cleanly (`close`, then the socket).
    func close() -> EventLoopFuture<Void> {
        eventLoop.flatSubmit { [self] in
            guard state == .open, channel != nil else {
                shutdown(.closedByClient)
                return closeFuture.map { _ in }
            }
            write(AMQP10Frame(channel: 0, .close(AMQP10Close())))
            flush()
            state = .closing
            closeReason = .closedByClient
            eventLoop.scheduleTask(in: .seconds(2)) { [self] in shutdown(.closedByClient) }
            return closeFuture.map { _ in }
        }
    }

    /// Ends the connection for `reason`: every link hears it, the socket closes,
    /// `closeFuture` completes. Idempotent.
    func shutdown(_ reason: AMQP10ConnectionError) {
        eventLoop.preconditionInEventLoop()
        guard state != .closed else { return }
        let wasOpen = state == .open || state == .closing
        state = .closed
        if closeReason == nil { closeReason = reason }
        let reason = closeReason!
        timer?.cancel()
        timer = nil
        let endpoints = links.values
        links = [:]
        linkNames = [:]
        remoteHandles = [:]
        sentDeliveries = [:]
        waitingTransfers = []
        for link in endpoints { link.detached(reason) }
        if !wasOpen { openPromise.fail(reason) }
        if let channel {
            self.channel = nil
            channel.close(promise: nil)
        }
        closedPromise.succeed(reason)
    }
}

/// Decodes frames with the connection's frame size, feeds them to the connection and
/// reports the socket's end.
final class AMQP10FrameHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer

    // Only used on the channel's event loop, like the connection it points to.
    private let connection: AMQP10Connection
    private var decoder = AMQP10FrameDecoder(maxFrameSize: AMQP10Connection.maxFrameSize)
    private var buffer: ByteBuffer?

    init(connection: AMQP10Connection) {
        self.connection = connection
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = unwrapInboundIn(data)
        if var pending = buffer {
            pending.writeBuffer(&bytes)
            bytes = pending
        }
        do {
            while let item = try decoder.decode(buffer: &bytes) {
                connection.received(item)
            }
        } catch {
            connection.shutdown(.protocolError("\(error)"))
            context.close(promise: nil)
            return
        }
        if bytes.readableBytes == 0 {
            buffer = nil
        } else {
            bytes.discardReadBytes()
            buffer = bytes
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        connection.shutdown(.connectionLost("the peer closed the socket"))
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        connection.shutdown(.connectionLost("\(error)"))
        context.close(promise: nil)
    }
}
