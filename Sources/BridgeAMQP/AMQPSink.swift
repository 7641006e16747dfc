import AMQPProtocol
import BridgeCore
import DequeModule
import Logging
import NIOConcurrencyHelpers
import NIOCore

/// Publishes one destination's messages (an exchange and a routing-key template) on its
/// own channel of the publishing connection, in confirm mode with `mandatory`, persistent
/// (CONTRACT section 5.1):
///
/// - `basic.ack` (also `multiple`) confirms; `basic.nack` is a transient failure;
/// - `basic.return` is the permanent failure `unroutable`: RabbitMQ sends it before the ack
///   of the same publish and without a delivery tag, so it is matched to its publish by the
///   `bridge-id` header with exchange and routing key (the oldest such publish not yet
///   confirmed), and the ack that follows reports the failure;
/// - a channel or connection that ends fails its unconfirmed publishes as transient, and
///   the core retries them on the next channel;
/// - while the broker blocks the connection (resource alarm), publishes wait here.
///
/// `@unchecked Sendable`: mutable state only on the publishing connection's event loop.
public final class AMQPSink: DeliverySink, AMQPConnectionUser, @unchecked Sendable {
    /// The destination as configured.
    public let destination: DestinationConfig
    public let exchange: String
    /// The route's `max_message_size`.
    public let maxMessageSize: Int
    private let supervisor: AMQPConnectionSupervisor
    private let logger: Logger
    private let dropped: @Sendable (String) -> Void
    private let maxUnconfirmed: Int

    private struct Waiting {
        var tag: DeliveryTag
        var route: RouteDelivery
        var content: Content
        var bridgeID: String
        var routingKey: String
    }

    private struct Unconfirmed {
        var sequence: UInt64
        var tag: DeliveryTag
        var route: RouteDelivery
        var bridgeID: String
        var routingKey: String
        /// Set by a `basic.return`; reported when the ack that follows arrives.
        var returned: PublishFailure?
    }

    // On the loop:
    private var channel: AMQPChannel?
    private var nextSequence: UInt64 = 1
    private var waiting: Deque<Waiting> = []
    private var unconfirmed: Deque<Unconfirmed> = []
    private var setupFailures = 0
    private var pumpScheduled = false
    private var closed = false
    private let state = NIOLockedValueBox((channelOpen: false, exchangeFound: false, exchangeChecked: false))

    var eventLoop: any EventLoop { supervisor.eventLoop }

    /// True when the channel is open in confirm mode and the exchange exists (for /readyz).
    public var isReady: Bool { state.withLockedValue { $0.channelOpen && $0.exchangeFound } }

    init(
        destination: DestinationConfig,
        exchange: String,
        maxMessageSize: Int,
        supervisor: AMQPConnectionSupervisor,
        logger: Logger,
        maxUnconfirmed: Int = 65_535,
        dropped: @escaping @Sendable (String) -> Void
    ) {
        self.destination = destination
        self.exchange = exchange
        self.maxMessageSize = maxMessageSize
        self.supervisor = supervisor
        var logger = logger
        logger[metadataKey: "destination"] = "\(destination.description)"
        self.logger = logger
        self.maxUnconfirmed = maxUnconfirmed
        self.dropped = dropped
    }

    /// Connects (if not yet) and opens the channel.
    func start() {
        supervisor.add(self)
    }

    /// After the route's drain: closes the channel (`channel.close`, waits for close-ok at
    /// most `timeout`) and leaves the publishing connection, which stays open for the other
    /// routes. Publishes not confirmed by then fail as transient (the route is gone).
    public func close(timeout: TimeAmount) async {
        let future: EventLoopFuture<Void> = eventLoop.flatSubmit { [self] in
            closed = true
            supervisor.remove(self)
            waiting = []
            guard let channel else { return eventLoop.makeSucceededVoidFuture() }
            return channel.close(timeout: timeout)
        }
        try? await future.get()
    }

    // MARK: DeliverySink

    public func publish(_ request: PublishRequest, for route: RouteDelivery) {
        let envelope = request.envelope
        let address: ResolvedAddress
        switch destination.resolve(envelope, route: route.policy.route) {
        case .success(let resolved): address = resolved
        case .failure(let failure):
            route.failed(request.tag, .permanent(failure.reason.rawValue, failure.message))
            return
        }
        guard case .amqp(let exchange, let routingKey) = address else {
            route.failed(request.tag, .permanent(FailureReason.template, "not an AMQP destination"))
            return
        }
        let properties: BasicProperties
        switch AMQPMessageMapping.properties(for: request, now: .now(), dropped: dropped) {
        case .properties(let p): properties = p
        case .failed(let failure):
            route.failed(request.tag, failure)
            return
        }
        // A dead letter is not held to the route's max_message_size: a message too large for
        // the route must still reach its dead letter (the frame budget below still applies).
        let size = AMQPMessageMapping.size(body: envelope.payload, properties: properties)
        if request.deadLetter == nil, let tooLarge = MessageSize.check(size: size, routeLimit: maxMessageSize) {
            route.failed(request.tag, tooLarge)
            return
        }
        let content = Content(
            method: .basicPublish(BasicPublish(exchange: exchange, routingKey: routingKey, mandatory: true)),
            properties: properties,
            body: envelope.payload
        )
        let waiting = Waiting(tag: request.tag, route: route, content: content, bridgeID: envelope.bridgeID, routingKey: routingKey)
        // Always through the loop's queue, never inline: the core may call this from a
        // confirm this sink is still handling.
        eventLoop.execute { [self] in
            self.waiting.append(waiting)
            pump()
        }
    }

    // MARK: AMQPConnectionUser

    func connected(_ connection: AMQPConnection) {
        setUp(on: connection)
    }

    func disconnected(_ reason: AMQPConnectionError) {
        if let channel { lost(channel, reason) }
    }

    func blockedChanged(_ blocked: Bool) {
        if !blocked { pump() }
    }

    // MARK: Channel

    private func setUp(on connection: AMQPConnection) {
        guard !closed, connection.isOpen else { return }
        checkExchange(on: connection).flatMap { _ in
            connection.openChannel()
        }.flatMap { channel in
            channel.call(.confirmSelect(ConfirmSelect())).map { _ in channel }
        }.whenComplete { [self] result in
            switch result {
            case .success(let channel):
                guard !closed else {
                    _ = channel.close()
                    return
                }
                self.channel = channel
                nextSequence = 1
                channel.onAck = { [weak self] tag, multiple in self?.settle(upTo: tag, multiple: multiple, failure: nil) }
                channel.onNack = { [weak self] tag, multiple in
                    self?.settle(upTo: tag, multiple: multiple, failure: .transient(FailureReason.nack, "the broker nacked the publish"))
                }
                channel.onReturn = { [weak self] basicReturn, content in self?.returned(basicReturn, content) }
                channel.closeFuture.whenSuccess { [weak self, unowned channel] reason in
                    guard let self else { return }
                    lost(channel, reason)
                    reopenLater(on: connection, after: reason)
                }
                // setupFailures is reset by the first confirm: a channel that the broker closes
                // at each publish (a missing exchange) keeps backing off.
                state.withLockedValue { $0.channelOpen = true }
                pump()
            case .failure(let error):
                logger.error("AMQP cannot open the publishing channel: \(error)")
                reopenLater(on: connection, after: error as? AMQPConnectionError ?? .protocolError("\(error)"))
            }
        }
    }

    /// `exchange.declare passive` on a channel of its own (a missing exchange closes it):
    /// a missing exchange is logged and makes the sink not ready; publishing goes on (each
    /// publish then fails, is retried, and ends as the route's `exhausted` says).
    private func checkExchange(on connection: AMQPConnection) -> EventLoopFuture<Void> {
        guard !exchange.isEmpty else {
            state.withLockedValue { $0.exchangeFound = true }
            return eventLoop.makeSucceededVoidFuture()
        }
        return connection.openChannel().flatMap { [self] channel in
            channel.call(.exchangeDeclare(ExchangeDeclare(exchange: exchange, type: "direct", passive: true)))
                .flatMap { _ in
                    self.state.withLockedValue { $0.exchangeFound = true }
                    return channel.close()
                }
                .always { _ in self.state.withLockedValue { $0.exchangeChecked = true } }
                .flatMapError { error in
                    let wasFound = self.state.withLockedValue { state in
                        defer { state.exchangeFound = false }
                        return state.exchangeFound || !state.exchangeChecked
                    }
                    // Logged when it goes missing, not on every retry.
                    if wasFound { self.logger.error("AMQP exchange '\(self.exchange)' is not usable: \(error); destination not ready") }
                    return channel.close()
                }
        }
    }

    private func reopenLater(on connection: AMQPConnection, after reason: AMQPConnectionError) {
        guard !closed, connection.isOpen else { return }
        let delay = supervisor.settings.reconnect.delay(afterFailures: setupFailures, jitter: Double.random(in: 0.5...1.0))
        setupFailures += 1
        eventLoop.scheduleTask(in: delay) { [self] in
            if channel == nil { setUp(on: connection) }
        }
    }

    /// The channel ended: its unconfirmed publishes failed as transient (retried by the core).
    private func lost(_ closed: AMQPChannel, _ reason: AMQPConnectionError) {
        guard channel === closed else { return }
        channel = nil
        state.withLockedValue { $0.channelOpen = false }
        let failure: PublishFailure
        switch reason {
        case .channelClosedByBroker(let code, let text):
            // The first close after a working channel is an error; repeats while retrying are debug.
            if setupFailures == 0 {
                logger.error("AMQP broker closed the publishing channel: \(code) \(text); destination not ready")
            } else {
                logger.debug("AMQP broker closed the publishing channel again: \(code) \(text)")
            }
            failure = .transient("channel_closed", "\(code) \(text)")
        default:
            failure = .transient(FailureReason.connectionLost, "\(reason)")
        }
        let failed = unconfirmed
        unconfirmed = []
        for entry in failed { entry.route.failed(entry.tag, failure) }
    }

    // MARK: Publishing

    private func pump() {
        guard let channel, channel.isOpen, !channel.isBlocked else { return }
        var failures: [(Waiting, PublishFailure)] = []
        while unconfirmed.count < maxUnconfirmed, let next = waiting.popFirst() {
            do {
                try channel.publish(next.content)
            } catch {
                failures.append((next, .permanent(FailureReason.tooLarge, "does not fit the AMQP frame budget: \(error)")))
                continue
            }
            unconfirmed.append(
                Unconfirmed(sequence: nextSequence, tag: next.tag, route: next.route, bridgeID: next.bridgeID, routingKey: next.routingKey)
            )
            nextSequence += 1
        }
        for (entry, failure) in failures { entry.route.failed(entry.tag, failure) }
    }

    /// `basic.ack` / `basic.nack` for `tag` (and all before it when `multiple`).
    private func settle(upTo tag: UInt64, multiple: Bool, failure: PublishFailure?) {
        var settled: [Unconfirmed] = []
        if multiple {
            while let first = unconfirmed.first, first.sequence <= tag {
                settled.append(unconfirmed.removeFirst())
            }
        } else if let index = unconfirmed.firstIndex(where: { $0.sequence == tag }) {
            settled.append(unconfirmed.remove(at: index))
        }
        if failure == nil, !settled.isEmpty { setupFailures = 0 }
        for entry in settled {
            if let returned = entry.returned {
                entry.route.failed(entry.tag, returned)
            } else if let failure {
                entry.route.failed(entry.tag, failure)
            } else {
                entry.route.confirmed(entry.tag)
            }
        }
        if !waiting.isEmpty { pump() }
    }

    /// `basic.return`: the publish it belongs to is the oldest unconfirmed one with the same
    /// `bridge-id`, exchange and routing key that was not returned yet.
    private func returned(_ basicReturn: BasicReturn, _ content: Content) {
        let bridgeID = content.properties.headers?[BridgeHeader.id]?.stringValue
        guard
            let index = unconfirmed.firstIndex(where: {
                $0.returned == nil && $0.bridgeID == bridgeID && $0.routingKey == basicReturn.routingKey
            })
        else {
            logger.warning("AMQP basic.return matches no publish in flight: \(basicReturn.replyCode) \(basicReturn.replyText)")
            return
        }
        unconfirmed[index].returned = .permanent(
            FailureReason.unroutable,
            "\(basicReturn.replyCode) \(basicReturn.replyText) (exchange '\(basicReturn.exchange)', routing key '\(basicReturn.routingKey)')"
        )
    }
}
