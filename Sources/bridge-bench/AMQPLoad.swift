import AMQPProtocol
import Foundation
import NIOCore
import NIOPosix

/// A bench AMQP 0-9-1 client on NIO with the project's codec, one channel: a publisher in
/// confirm mode with up to `window` unconfirmed publishes (persistent, like the bridge's),
/// or a consumer with prefetch whose acks go out as one `multiple` ack per read burst.
final class AMQPLoad: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = Frame
    typealias OutboundOut = ByteBuffer

    struct Failure: Error, CustomStringConvertible { var description: String }

    struct Address {
        var host: String
        var port: Int
        var user: String
        var password: String
        var vhost: String

        init(_ url: String) throws {
            guard let rest = url.split(separator: "://", maxSplits: 1).last.map(String.init) else {
                throw Failure(description: "bad url \(url)")
            }
            var authority = rest
            var path = ""
            if let slash = rest.firstIndex(of: "/") {
                authority = String(rest[..<slash])
                path = String(rest[rest.index(after: slash)...])
            }
            user = "guest"
            password = "guest"
            if let at = authority.lastIndex(of: "@") {
                let credentials = authority[..<at].split(separator: ":", maxSplits: 1)
                user = String(credentials[0])
                password = credentials.count > 1 ? String(credentials[1]) : ""
                authority = String(authority[authority.index(after: at)...])
            }
            let hostPort = authority.split(separator: ":")
            host = String(hostPort[0])
            port = hostPort.count > 1 ? Int(hostPort[1]) ?? 5672 : 5672
            vhost = path.isEmpty ? "/" : (path.removingPercentEncoding ?? path)
        }
    }

    let eventLoop: any EventLoop
    private let address: Address
    private var context: ChannelHandlerContext?
    private let opened: EventLoopPromise<Void>
    private var pending: [EventLoopPromise<Method>] = []
    private var assembler = ContentAssembler()
    private var frameMax: UInt32 = 131_072
    private var failure: Failure?
    let collector = Collector()

    // Publisher state.
    private var window = 1024
    private var exchange = ""
    private var routingKey = ""
    private var pass: UInt32 = 0
    private var total = 0
    private var sent = 0
    private var confirmed = 0
    private var publishedTag: UInt64 = 0
    private var confirmedTag: UInt64 = 0
    private var payload = ByteBuffer()
    private var pacer = Pacer(rate: nil)
    private var finished: EventLoopPromise<UInt64>?
    private var timer: RepeatedTask?
    private let properties = BasicProperties(deliveryMode: 2)

    // Consumer state.
    private var lastDelivery: UInt64 = 0
    private var ackedDelivery: UInt64 = 0

    private init(eventLoop: any EventLoop, address: Address) {
        self.eventLoop = eventLoop
        self.address = address
        self.opened = eventLoop.makePromise()
    }

    /// Connects, authenticates, opens the vhost and channel 1.
    static func connect(group: any EventLoopGroup, url: String) throws -> AMQPLoad {
        let address = try Address(url)
        let eventLoop = group.next()
        let load = AMQPLoad(eventLoop: eventLoop, address: address)
        _ = try ClientBootstrap(group: eventLoop)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(FrameDecoder(maxFrameSize: 131_072)))
                    try channel.pipeline.syncOperations.addHandler(load)
                }
            }
            .connect(host: address.host, port: address.port).wait()
        try load.opened.futureResult.wait(within: 20, "AMQP connection.open / channel.open at \(url)")
        return load
    }

    /// Sends a synchronous method on channel 1 and waits for its answer.
    @discardableResult
    func call(_ method: Method) throws -> Method {
        let promise = eventLoop.makePromise(of: Method.self)
        eventLoop.execute {
            if let failure = self.failure {
                promise.fail(failure)
                return
            }
            self.pending.append(promise)
            self.write(.method(method), flush: true)
        }
        return try promise.futureResult.wait(within: 30, "answer to \(method)")
    }

    func declareQueue(_ name: String) throws {
        try call(.queueDeclare(QueueDeclare(queue: name, durable: true)))
    }

    func bind(queue: String, exchange: String, routingKey: String) throws {
        try call(.queueBind(QueueBind(queue: queue, exchange: exchange, routingKey: routingKey)))
    }

    func deleteQueue(_ name: String) throws {
        try call(.queueDelete(QueueDelete(queue: name)))
    }

    /// Consumes `queue` with `prefetch` unacknowledged; every body goes to `collector`.
    func consume(_ queue: String, prefetch: UInt16) throws {
        try call(.basicQos(BasicQos(prefetchSize: 0, prefetchCount: prefetch)))
        try call(.basicConsume(BasicConsume(queue: queue, consumerTag: "bench")))
    }

    func confirmSelect() throws {
        try call(.confirmSelect(ConfirmSelect()))
    }

    /// Publishes `count` persistent messages with publisher confirms; returns when all are confirmed.
    func send(exchange: String, routingKey: String, pass: UInt32, count: Int, size: Int, rate: Double?, window: Int = 1024) throws -> UInt64 {
        let promise = eventLoop.makePromise(of: UInt64.self)
        eventLoop.execute {
            self.exchange = exchange
            self.routingKey = routingKey
            self.pass = pass
            self.total = count
            self.sent = 0
            self.confirmed = 0
            self.window = window
            self.confirmedTag = self.publishedTag
            self.finished = promise
            self.payload = ByteBuffer(bytes: Stamp.template(size: size))
            self.pacer = Pacer(rate: rate)
            if rate != nil {
                self.timer = self.eventLoop.scheduleRepeatedTask(initialDelay: .zero, delay: .milliseconds(1)) { _ in
                    self.pump(flush: true)
                }
            }
            self.pump(flush: true)
        }
        return try promise.futureResult.wait(within: 600, "confirms for \(count) messages")
    }

    private func pump(flush: Bool) {
        guard let context, sent < total else { return }
        let due = pacer.due(total)
        guard sent < due, sent - confirmed < window else { return }
        var out = context.channel.allocator.buffer(capacity: 512)
        let chunk = Int(frameMax) - Frame.overhead
        do {
            while sent < due, sent - confirmed < window {
                Stamp.write(pass: pass, seq: UInt32(sent), into: &payload)
                try Frame(channel: 1, payload: .method(.basicPublish(BasicPublish(exchange: exchange, routingKey: routingKey))))
                    .encode(into: &out)
                try Frame(channel: 1, payload: .header(ContentHeader(bodySize: UInt64(payload.readableBytes), properties: properties)))
                    .encode(into: &out)
                var rest = payload
                while let slice = rest.readSlice(length: min(chunk, rest.readableBytes)), slice.readableBytes > 0 {
                    try Frame(channel: 1, payload: .body(slice)).encode(into: &out)
                }
                sent += 1
                publishedTag += 1
            }
        } catch {
            finished?.fail(error)
            finished = nil
            return
        }
        context.write(NIOAny(out), promise: nil)
        if flush { context.flush() }
    }

    private func confirm(upTo tag: UInt64, multiple: Bool) {
        if multiple {
            guard tag > confirmedTag else { return }
            confirmed += Int(tag - confirmedTag)
            confirmedTag = tag
        } else {
            confirmed += 1
            confirmedTag = max(confirmedTag, tag)
        }
        if confirmed >= total, let finished {
            timer?.cancel()
            timer = nil
            self.finished = nil
            finished.succeed(monotonicNanos())
        } else {
            pump(flush: false)
        }
    }

    private func write(_ payload: Frame.Payload, channel: UInt16 = 1, flush: Bool) {
        guard let context else { return }
        var buffer = context.channel.allocator.buffer(capacity: 64)
        try? Frame(channel: channel, payload: payload).encode(into: &buffer)
        context.write(NIOAny(buffer), promise: nil)
        if flush { context.flush() }
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func channelActive(context: ChannelHandlerContext) {
        var buffer = context.channel.allocator.buffer(capacity: 8)
        ProtocolHeader.amqp091.encode(into: &buffer)
        context.writeAndFlush(NIOAny(buffer), promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        if frame.channel == 0 {
            guard case .method(let method) = frame.payload else { return }
            connectionMethod(method)
            return
        }
        let output: ContentAssembler.Output?
        do {
            output = try assembler.receive(frame.payload)
        } catch {
            fail(Failure(description: "\(error)"))
            return
        }
        switch output {
        case .content(let content):
            if case .basicDeliver(let deliver) = content.method {
                collector.receive(content.body)
                lastDelivery = deliver.deliveryTag
            }
        case .method(let method):
            channelMethod(method)
        case nil:
            break
        }
    }

    private func connectionMethod(_ method: Method) {
        switch method {
        case .connectionStart:
            var response = ByteBuffer()
            response.writeInteger(UInt8(0))
            response.writeString(address.user)
            response.writeInteger(UInt8(0))
            response.writeString(address.password)
            let capabilities: FieldTable = ["publisher_confirms": true, "basic.nack": true, "consumer_cancel_notify": true]
            write(
                .method(.connectionStartOk(ConnectionStartOk(
                    clientProperties: ["product": "bridge-bench", "capabilities": .table(capabilities)],
                    mechanism: "PLAIN", response: response, locale: "en_US"
                ))),
                channel: 0, flush: false
            )
            context?.flush()
        case .connectionTune(let tune):
            frameMax = tune.frameMax == 0 ? 131_072 : min(tune.frameMax, 131_072)
            let channelMax = tune.channelMax == 0 ? 2047 : min(tune.channelMax, 2047)
            write(.method(.connectionTuneOk(ConnectionTuneOk(channelMax: channelMax, frameMax: frameMax, heartbeat: 0))), channel: 0, flush: false)
            write(.method(.connectionOpen(ConnectionOpen(virtualHost: address.vhost))), channel: 0, flush: true)
        case .connectionOpenOk:
            write(.method(.channelOpen(ChannelOpen())), channel: 1, flush: true)
        case .connectionClose(let close):
            write(.method(.connectionCloseOk(ConnectionCloseOk())), channel: 0, flush: true)
            fail(Failure(description: "connection closed by broker: \(close.replyCode) \(close.replyText)"))
        default:
            break
        }
    }

    private func channelMethod(_ method: Method) {
        switch method {
        case .channelOpenOk:
            opened.succeed(())
        case .basicAck(let ack):
            confirm(upTo: ack.deliveryTag, multiple: ack.multiple)
        case .basicNack(let nack):
            fail(Failure(description: "publish nacked (tag \(nack.deliveryTag))"))
        case .basicReturn(let ret):
            fail(Failure(description: "publish returned: \(ret.replyCode) \(ret.replyText)"))
        case .channelClose(let close):
            write(.method(.channelCloseOk(ChannelCloseOk())), flush: true)
            fail(Failure(description: "channel closed by broker: \(close.replyCode) \(close.replyText)"))
        case .basicCancel:
            fail(Failure(description: "consumer cancelled by the broker"))
        default:
            if !pending.isEmpty { pending.removeFirst().succeed(method) }
        }
    }

    private func fail(_ failure: Failure) {
        self.failure = failure
        opened.fail(failure)
        for promise in pending { promise.fail(failure) }
        pending = []
        finished?.fail(failure)
        finished = nil
        timer?.cancel()
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if lastDelivery > ackedDelivery {
            ackedDelivery = lastDelivery
            write(.method(.basicAck(BasicAck(deliveryTag: lastDelivery, multiple: true))), flush: false)
        }
        context.flush()
    }

    func channelInactive(context: ChannelHandlerContext) {
        fail(failure ?? Failure(description: "connection lost"))
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        fail(Failure(description: "\(error)"))
        context.close(promise: nil)
    }

    func close() {
        try? eventLoop.submit {
            self.timer?.cancel()
            self.write(
                .method(.connectionClose(ConnectionClose(replyCode: 200, replyText: "bye", classID: 0, methodID: 0))),
                channel: 0, flush: true
            )
            self.context?.close(promise: nil)
        }.wait()
    }
}
