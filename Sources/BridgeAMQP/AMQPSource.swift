import AMQPProtocol
import BridgeCore
import Logging
import NIOConcurrencyHelpers
import NIOCore

/// Consumes one queue for one route (CONTRACT sections 4 and 5): declares it (or checks it
/// passively), `basic.qos` prefetch = the route's window, `basic.consume` with manual acks,
/// hands each delivery to ``RouteDelivery/receive(_:partition:token:)``, and acks what the
/// core says is done, with `multiple` for contiguous runs.
///
/// The queue is partition 0 of the route. Delivery tags belong to a channel, so every
/// (re)consume is a new assignment of partition 0: the core abandons what was in flight
/// on the old channel (the broker redelivers it) and drops its late acks by generation.
///
/// `@unchecked Sendable`: mutable state only on the consuming connection's event loop;
/// the ``DeliverySource`` calls hop onto it.
public final class AMQPSource: DeliverySource, AMQPConnectionUser, @unchecked Sendable {
    /// The route name.
    public let route: String
    /// The connection name (`bridge-id`, `bridge-source`).
    public let connectionName: String
    public let queue: String
    /// The prefetch count sent in `basic.qos` (never 0).
    public let prefetch: UInt16
    private let declare: QueueDeclaration?
    private let supervisor: AMQPConnectionSupervisor
    private let logger: Logger
    private let dropped: @Sendable (String) -> Void
    private let consumerTag: String
    private let retryDelay: ReconnectSettings

    // On the loop:
    private var delivery: RouteDelivery?
    private var channel: AMQPChannel?
    private var generation: UInt32 = 0
    private var batcher = AMQPAckBatcher()
    private var flushScheduled = false
    private var stopped = false
    private var setupFailures = 0
    private let consumingBox = NIOLockedValueBox(false)

    var eventLoop: any EventLoop { supervisor.eventLoop }

    /// True while the queue is consumed (for /readyz).
    public var isConsuming: Bool { consumingBox.withLockedValue { $0 } }

    init(
        route: String,
        connectionName: String,
        source: SourceConfig.AMQPSource,
        prefetch: UInt16,
        supervisor: AMQPConnectionSupervisor,
        consumerTag: String,
        logger: Logger,
        dropped: @escaping @Sendable (String) -> Void
    ) {
        self.route = route
        self.connectionName = connectionName
        self.queue = source.queue
        self.declare = source.declare
        self.prefetch = max(prefetch, 1)
        self.supervisor = supervisor
        self.consumerTag = consumerTag
        self.retryDelay = supervisor.settings.reconnect
        var logger = logger
        logger[metadataKey: "route"] = "\(route)"
        logger[metadataKey: "queue"] = "\(source.queue)"
        self.logger = logger
        self.dropped = dropped
    }

    /// Starts consuming into `delivery` (now, or as soon as the connection is up).
    public func start(_ delivery: RouteDelivery) {
        eventLoop.execute { [self] in
            self.delivery = delivery
            supervisor.add(self)
        }
    }

    /// Stops taking messages (`basic.cancel`); what is in flight can still be acked. Call
    /// before ``RouteDelivery/drain(timeout:)``; what is not acked when the connection
    /// closes is redelivered by the broker.
    public func stop() async {
        let future: EventLoopFuture<Void> = eventLoop.flatSubmit { [self] in
            stopped = true
            setConsuming(false)
            guard let channel, channel.isOpen else { return eventLoop.makeSucceededVoidFuture() }
            return channel.call(.basicCancel(BasicCancel(consumerTag: consumerTag))).map { _ in }.recover { _ in }
        }
        try? await future.get()
    }

    /// After the drain: sends the acks decided, closes the channel (`channel.close`, waits
    /// for close-ok at most `timeout`) and leaves the consuming connection, which stays open
    /// for the other routes. What is still unacked goes back to the queue.
    public func close(timeout: TimeAmount) async {
        let future: EventLoopFuture<Void> = eventLoop.flatSubmit { [self] in
            stopped = true
            setConsuming(false)
            supervisor.remove(self)
            flushAcks()
            guard let channel else { return eventLoop.makeSucceededVoidFuture() }
            self.channel = nil
            return channel.close(timeout: timeout)
        }
        try? await future.get()
    }

    // MARK: AMQPConnectionUser

    func connected(_ connection: AMQPConnection) {
        setUp(on: connection)
    }

    func disconnected(_ reason: AMQPConnectionError) {
        channel = nil
        setConsuming(false)
    }

    private func setConsuming(_ value: Bool) {
        consumingBox.withLockedValue { $0 = value }
    }

    /// Opens the channel, declares, sets the prefetch and consumes.
    private func setUp(on connection: AMQPConnection) {
        guard !stopped, let delivery, connection.isOpen else { return }
        connection.openChannel().flatMap { [self] channel -> EventLoopFuture<AMQPChannel> in
            // Closed while the channel was opening.
            guard !stopped else {
                return channel.close().flatMapThrowing { throw AMQPConnectionError.closedByClient }
            }
            self.channel = channel
            channel.onDelivery = { [weak self, unowned channel] deliver, content in
                self?.received(deliver, content, on: channel)
            }
            channel.onCancel = { [weak self, unowned channel] tag in
                self?.logger.warning("AMQP broker cancelled the consumer \(tag) (queue deleted?)")
                _ = channel.close()
            }
            channel.closeFuture.whenSuccess { [weak self] reason in
                self?.channelClosed(channel, reason, connection: connection)
            }
            return declareQueue(on: channel)
                .flatMap { _ in channel.call(.basicQos(BasicQos(prefetchSize: 0, prefetchCount: self.prefetch))) }
                .flatMap { _ in
                    // A new channel: new delivery tags, so a new assignment of the queue's partition.
                    self.batcher = AMQPAckBatcher()
                    self.generation = delivery.assign(partition: 0)
                    return channel.call(.basicConsume(BasicConsume(queue: self.queue, consumerTag: self.consumerTag)))
                }
                .map { _ in channel }
        }.whenComplete { [self] result in
            switch result {
            case .success:
                setupFailures = 0
                setConsuming(true)
                logger.info("AMQP consuming", metadata: ["prefetch": "\(prefetch)"])
            case .failure(let error):
                logger.error("AMQP cannot consume the queue: \(error)")
                setConsuming(false)
            }
        }
    }

    private func declareQueue(on channel: AMQPChannel) -> EventLoopFuture<Method> {
        guard let declare else {
            return channel.call(.queueDeclare(QueueDeclare(queue: queue, passive: true)))
        }
        var future = channel.call(
            .queueDeclare(QueueDeclare(queue: queue, durable: declare.durable, arguments: AMQPHeaderMapping.fieldTable(declare.arguments)))
        )
        for binding in declare.bindings {
            future = future.flatMap { _ in
                channel.call(
                    .queueBind(
                        QueueBind(
                            queue: self.queue, exchange: binding.exchange, routingKey: binding.routingKey,
                            arguments: AMQPHeaderMapping.fieldTable(binding.arguments)
                        )
                    )
                )
            }
        }
        return future
    }

    /// The channel ended: when the connection is still up (the broker closed the channel,
    /// or cancelled the consumer), set up again after a backoff.
    private func channelClosed(_ closed: AMQPChannel, _ reason: AMQPConnectionError, connection: AMQPConnection) {
        guard channel === closed else { return }
        channel = nil
        setConsuming(false)
        guard !stopped, connection.isOpen else { return }
        if case .closedByClient = reason {
            // Closed after the broker cancelled the consumer (queue deleted): consume again.
            logger.warning("AMQP consumer cancelled by the broker; route not ready, consuming again")
        } else {
            logger.error("AMQP consumer channel closed: \(reason); route not ready, retrying")
        }
        let delay = retryDelay.delay(afterFailures: setupFailures, jitter: Double.random(in: 0.5...1.0))
        setupFailures += 1
        eventLoop.scheduleTask(in: delay) { [self] in
            if channel == nil { setUp(on: connection) }
        }
    }

    // MARK: Deliveries

    private func received(_ deliver: BasicDeliver, _ content: Content, on channel: AMQPChannel) {
        guard channel === self.channel, let delivery else { return }
        let envelope = AMQPMessageMapping.envelope(
            properties: content.properties,
            body: content.body,
            delivery: .init(connection: connectionName, queue: queue, routingKey: deliver.routingKey, redelivered: deliver.redelivered),
            receivedAt: .now(),
            dropped: dropped
        )
        batcher.delivered(deliver.deliveryTag)
        let result = delivery.receive(envelope, partition: 0, token: deliver.deliveryTag)
        if result != .accepted {
            // Draining (or revoked): leave it unacked; the broker redelivers it after close.
            logger.debug("AMQP delivery not taken: \(result)")
        }
    }

    // MARK: DeliverySource

    public func acknowledge(_ token: SourceToken, partition: Int, generation: UInt32) {
        onLoop { [self] in
            guard generation == self.generation, channel != nil else { return }
            batcher.done(token)
            scheduleAckFlush()
        }
    }

    public func reject(_ token: SourceToken, partition: Int, generation: UInt32) {
        onLoop { [self] in
            guard generation == self.generation, let channel else { return }
            // Acks decided before the reject go first; the reject leaves the outstanding run.
            flushAcks()
            batcher.rejected(token)
            channel.send(.basicReject(BasicReject(deliveryTag: token, requeue: false)))
        }
    }

    /// The broker never sends more than the prefetch (= the window) unacked: nothing to do.
    public func pause() {}

    public func resume() {}

    private func onLoop(_ body: @escaping @Sendable () -> Void) {
        if eventLoop.inEventLoop { body() } else { eventLoop.execute(body) }
    }

    /// Acks go out at the end of the loop tick, so a burst of confirms becomes one `multiple`.
    private func scheduleAckFlush() {
        guard !flushScheduled else { return }
        flushScheduled = true
        eventLoop.execute { [self] in
            flushScheduled = false
            flushAcks()
        }
    }

    private func flushAcks() {
        guard let channel else { return }
        for ack in batcher.flush() {
            channel.send(.basicAck(BasicAck(deliveryTag: ack.deliveryTag, multiple: ack.multiple)))
        }
    }
}
