import MQTTProtocol
import NIOCore
import NIOPosix

/// A bench MQTT 5 client on NIO with the project's codec: a windowed QoS 1 publisher
/// (up to the broker's receive maximum unacknowledged) or a QoS 1 subscriber whose PUBACKs
/// are written in one flush per read burst. All state lives on the channel's event loop.
final class MQTTLoad: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = MQTTPacket
    typealias OutboundOut = ByteBuffer

    struct Failure: Error, CustomStringConvertible { var description: String }

    let eventLoop: any EventLoop
    private var context: ChannelHandlerContext?
    private let connected: EventLoopPromise<UInt16>
    private var subscribed: EventLoopPromise<Void>?
    let collector = Collector()

    // Publisher state.
    private var window = 1000
    private var topic = ""
    private var pass: UInt32 = 0
    private var total = 0
    private var sent = 0
    private var confirmed = 0
    private var nextID: UInt16 = 0
    private var payload = ByteBuffer()
    private var pacer = Pacer(rate: nil)
    private var finished: EventLoopPromise<UInt64>?
    private var timer: RepeatedTask?
    private var acks = ByteBuffer()

    private init(eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
        self.connected = eventLoop.makePromise()
    }

    /// Connects with a clean session and returns once CONNACK arrived.
    static func connect(group: any EventLoopGroup, url: String, clientID: String) throws -> MQTTLoad {
        let (host, port) = try parse(url)
        let eventLoop = group.next()
        let load = MQTTLoad(eventLoop: eventLoop)
        let channel = try ClientBootstrap(group: eventLoop)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(MQTTPacketDecoder(version: .v5)))
                    try channel.pipeline.syncOperations.addHandler(load)
                }
            }
            .connect(host: host, port: port).wait()
        let connect = MQTTPacket.Connect(
            version: .v5, clientID: clientID, cleanStart: true, keepAlive: 60,
            properties: [.receiveMaximum(65_535), .sessionExpiryInterval(0)]
        )
        var buffer = channel.allocator.buffer(capacity: 64)
        try MQTTPacketEncoder.encode(.connect(connect), version: .v5, into: &buffer)
        try channel.writeAndFlush(buffer).wait()
        let receiveMaximum = try load.connected.futureResult.wait(within: 20, "MQTT CONNACK from \(url)")
        try eventLoop.submit { load.window = min(load.window, Int(receiveMaximum)) }.wait()
        return load
    }

    static func parse(_ url: String) throws -> (String, Int) {
        guard let rest = url.split(separator: "://", maxSplits: 1).last else { throw Failure(description: "bad url \(url)") }
        let hostPort = rest.split(separator: "/").first.map(String.init) ?? String(rest)
        let parts = hostPort.split(separator: ":")
        return (String(parts[0]), parts.count > 1 ? Int(parts[1]) ?? 1883 : 1883)
    }

    /// Subscribes at QoS 1; every received PUBLISH goes to `collector`.
    func subscribe(_ filter: String) throws {
        let promise = eventLoop.makePromise(of: Void.self)
        eventLoop.execute {
            self.subscribed = promise
            let packet = MQTTPacket.subscribe(.init(packetID: 1, subscriptions: [.init(topicFilter: filter, qos: .atLeastOnce)]))
            var buffer = ByteBuffer()
            do {
                try MQTTPacketEncoder.encode(packet, version: .v5, into: &buffer)
            } catch {
                promise.fail(error)
                return
            }
            self.context?.writeAndFlush(NIOAny(buffer), promise: nil)
        }
        try promise.futureResult.wait(within: 30, "SUBACK for \(filter)")
    }

    /// Publishes `count` messages at QoS 1 to `topic` and returns the time the last PUBACK arrived.
    func send(topic: String, pass: UInt32, count: Int, size: Int, rate: Double?) throws -> UInt64 {
        let promise = eventLoop.makePromise(of: UInt64.self)
        eventLoop.execute {
            self.topic = topic
            self.pass = pass
            self.total = count
            self.sent = 0
            self.confirmed = 0
            self.finished = promise
            let template = Stamp.template(size: size)
            self.payload = ByteBuffer(bytes: template)
            self.pacer = Pacer(rate: rate)
            if rate != nil {
                self.timer = self.eventLoop.scheduleRepeatedTask(initialDelay: .zero, delay: .milliseconds(1)) { _ in
                    self.pump(flush: true)
                }
            }
            self.pump(flush: true)
        }
        return try promise.futureResult.wait(within: 600, "PUBACKs for \(count) messages")
    }

    private func pump(flush: Bool) {
        guard let context, sent < total else { return }
        let due = pacer.due(total)
        guard sent < due, sent - confirmed < window else { return }
        var out = context.channel.allocator.buffer(capacity: 256)
        while sent < due, sent - confirmed < window {
            nextID = nextID == UInt16.max ? 1 : nextID + 1
            Stamp.write(pass: pass, seq: UInt32(sent), into: &payload)
            let publish = MQTTPacket.Publish(topic: topic, payload: payload, qos: .atLeastOnce, packetID: nextID)
            do {
                try MQTTPacketEncoder.encode(.publish(publish), version: .v5, into: &out)
            } catch {
                finished?.fail(error)
                return
            }
            sent += 1
        }
        context.write(NIOAny(out), promise: nil)
        if flush { context.flush() }
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .connack(let connack):
            guard connack.reasonCode == .success else {
                connected.fail(Failure(description: "CONNACK \(connack.reasonCode)"))
                return
            }
            var receiveMaximum: UInt16 = 65_535
            for case .receiveMaximum(let value) in connack.properties { receiveMaximum = value }
            connected.succeed(receiveMaximum)
        case .suback:
            subscribed?.succeed(())
            subscribed = nil
        case .publish(let publish):
            collector.receive(publish.payload)
            if let id = publish.packetID, publish.qos == .atLeastOnce {
                try? MQTTPacketEncoder.encode(.puback(.init(packetID: id)), version: .v5, into: &acks)
            }
        case .puback(let ack):
            guard ack.reasonCode == .success || ack.reasonCode == .noMatchingSubscribers else {
                finished?.fail(Failure(description: "PUBACK \(ack.reasonCode)"))
                finished = nil
                return
            }
            confirmed += 1
            if confirmed == total, let finished {
                timer?.cancel()
                timer = nil
                self.finished = nil
                finished.succeed(monotonicNanos())
            } else {
                pump(flush: false)
            }
        case .disconnect(let disconnect):
            finished?.fail(Failure(description: "DISCONNECT \(disconnect)"))
        default:
            break
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if acks.readableBytes > 0 {
            context.write(NIOAny(acks), promise: nil)
            acks = context.channel.allocator.buffer(capacity: 1024)
        }
        context.flush()
    }

    func channelInactive(context: ChannelHandlerContext) {
        connected.fail(Failure(description: "connection closed"))
        finished?.fail(Failure(description: "connection closed"))
        finished = nil
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    func close() {
        try? eventLoop.submit {
            self.timer?.cancel()
            var buffer = ByteBuffer()
            try? MQTTPacketEncoder.encode(.disconnect(.init()), version: .v5, into: &buffer)
            self.context?.writeAndFlush(NIOAny(buffer), promise: nil)
            self.context?.close(promise: nil)
        }.wait()
    }
}
