import AMQPProtocol
import DequeModule
import NIOCore

/// One channel of an ``AMQPConnection``: synchronous methods answered in order, content
/// reassembled per channel, and callbacks for what the broker sends on its own
/// (deliveries, confirms, returns, cancels, close).
///
/// `@unchecked Sendable`: confined to the connection's event loop like the connection.
final class AMQPChannel: @unchecked Sendable {
    let id: UInt16
    // Strong: the connection drops its channels when it ends, which breaks the cycle.
    private let connection: AMQPConnection
    private var assembler = ContentAssembler()
    /// Promises of the synchronous methods sent, answered in order.
    private var pending: Deque<EventLoopPromise<Method>> = []
    private let closedPromise: EventLoopPromise<AMQPConnectionError>
    private(set) var closeReason: AMQPConnectionError?

    /// `basic.deliver` with its content.
    var onDelivery: ((BasicDeliver, Content) -> Void)?
    /// `basic.return` with its content.
    var onReturn: ((BasicReturn, Content) -> Void)?
    /// Publisher confirms: `basic.ack` (delivery tag, multiple).
    var onAck: ((UInt64, Bool) -> Void)?
    /// Publisher confirms: `basic.nack` (delivery tag, multiple).
    var onNack: ((UInt64, Bool) -> Void)?
    /// The broker cancelled a consumer (queue deleted, failover): `consumer_cancel_notify`.
    var onCancel: ((String) -> Void)?

    /// Succeeds with why the channel ended (it never fails).
    var closeFuture: EventLoopFuture<AMQPConnectionError> { closedPromise.futureResult }
    var eventLoop: any EventLoop { connection.eventLoop }
    var isOpen: Bool { closeReason == nil }

    init(id: UInt16, connection: AMQPConnection) {
        self.id = id
        self.connection = connection
        self.closedPromise = connection.eventLoop.makePromise()
    }

    /// Sends a synchronous method and waits for its answer (e.g. queue.declare → declare-ok).
    /// Fails with the reason when the channel closes first.
    func call(_ method: Method) -> EventLoopFuture<Method> {
        eventLoop.preconditionInEventLoop()
        if let closeReason { return eventLoop.makeFailedFuture(closeReason) }
        let promise = eventLoop.makePromise(of: Method.self)
        pending.append(promise)
        connection.send(Frame(channel: id, payload: .method(method)))
        return promise.futureResult
    }

    /// Sends a method that has no answer (basic.ack, basic.reject).
    func send(_ method: Method) {
        eventLoop.preconditionInEventLoop()
        guard closeReason == nil else { return }
        connection.send(Frame(channel: id, payload: .method(method)))
    }

    /// Sends `basic.publish` with properties and body, split at frame-max − 8.
    func publish(_ content: Content) throws(AMQPProtocolError) {
        eventLoop.preconditionInEventLoop()
        guard closeReason == nil else { return }
        try connection.send(content, channel: id)
    }

    /// The negotiated frame-max of the connection.
    var frameMax: UInt32 { connection.tuning.frameMax }

    /// True while the broker blocks publishing on the connection.
    var isBlocked: Bool { connection.isBlocked }

    /// Closes the channel (`channel.close`, waits for close-ok).
    func close() -> EventLoopFuture<Void> {
        eventLoop.preconditionInEventLoop()
        guard closeReason == nil else { return eventLoop.makeSucceededVoidFuture() }
        return call(.channelClose(ChannelClose(replyCode: 200, replyText: "bye", classID: 0, methodID: 0)))
            .map { _ in }
            .recover { _ in }
    }

    /// Closes the channel and waits for close-ok, at most `timeout` (a broker that does not
    /// answer leaves the channel to the connection's end). Never fails.
    func close(timeout: TimeAmount) -> EventLoopFuture<Void> {
        eventLoop.preconditionInEventLoop()
        guard closeReason == nil else { return eventLoop.makeSucceededVoidFuture() }
        // Whichever comes first completes `done` (NIO ignores the second).
        let done = eventLoop.makePromise(of: Void.self)
        let timer = eventLoop.scheduleTask(in: timeout) { done.succeed() }
        close().whenComplete { _ in
            timer.cancel()
            done.succeed()
        }
        return done.futureResult
    }

    // MARK: From the connection

    func received(_ payload: Frame.Payload) {
        let output: ContentAssembler.Output?
        do {
            output = try assembler.receive(payload)
        } catch {
            connection.shutdown(.protocolError("channel \(id): \(error)"))
            return
        }
        switch output {
        case nil:
            return
        case .content(let content):
            switch content.method {
            case .basicDeliver(let deliver): onDelivery?(deliver, content)
            case .basicReturn(let basicReturn): onReturn?(basicReturn, content)
            default: break  // basic.get-ok: not used
            }
        case .method(let method):
            switch method {
            case .basicAck(let ack): onAck?(ack.deliveryTag, ack.multiple)
            case .basicNack(let nack): onNack?(nack.deliveryTag, nack.multiple)
            case .basicCancel(let cancel):
                // Sent by the broker (consumer_cancel_notify); answer, then tell the owner.
                if !cancel.noWait { send(.basicCancelOk(BasicCancelOk(consumerTag: cancel.consumerTag))) }
                onCancel?(cancel.consumerTag)
            case .channelClose(let close):
                connection.send(Frame(channel: id, payload: .method(.channelCloseOk(ChannelCloseOk()))))
                finish(.channelClosedByBroker(code: close.replyCode, text: close.replyText))
            case .channelCloseOk:
                if let promise = pending.popFirst() { promise.succeed(method) }
                finish(.closedByClient)
            case .channelFlow(let flow):
                send(.channelFlowOk(ChannelFlowOk(active: flow.active)))
            default:
                guard let promise = pending.popFirst() else { return }
                promise.succeed(method)
            }
        }
    }

    /// The connection ended.
    func connectionClosed(_ reason: AMQPConnectionError) {
        finish(reason)
    }

    private func finish(_ reason: AMQPConnectionError) {
        guard closeReason == nil else { return }
        closeReason = reason
        connection.remove(self)
        let waiting = pending
        pending = []
        for promise in waiting { promise.fail(reason) }
        closedPromise.succeed(reason)
    }
}
