import AMQP10Protocol
import BridgeCore
import DequeModule
import Logging
import NIOConcurrencyHelpers
import NIOCore

/// Publishes one destination's messages (an address template) on the publishing
/// connection: one sending link per computed address, attached on first use, every
/// transfer unsettled (CONTRACT section 5.1):
///
/// - the peer's `accepted` disposition confirms; `rejected` is the permanent failure
///   `rejected` with the peer's error; `released` and `modified` are transient (retried);
/// - transfers wait for the peer's link credit and session window;
/// - a link the peer detaches, or a connection that ends, fails its unconfirmed transfers
///   as transient, and the core retries them on the next link.
///
/// `@unchecked Sendable`: mutable state only on the publishing connection's event loop.
public final class AMQP10Sink: DeliverySink, AMQP10ConnectionUser, @unchecked Sendable {
    /// The destination as configured.
    public let destination: DestinationConfig
    /// The route's `max_message_size`.
    public let maxMessageSize: Int
    private let supervisor: AMQP10ConnectionSupervisor
    private let logger: Logger
    private let dropped: @Sendable (String) -> Void
    private let linkPrefix: String

    struct Pending {
        var tag: DeliveryTag
        var route: RouteDelivery
        var payload: ByteBuffer
    }

    // On the loop:
    private var connection: AMQP10Connection?
    private var links: [String: SenderLink] = [:]
    private var linkCount = 0
    private let ready = NIOLockedValueBox(false)

    var eventLoop: any EventLoop { supervisor.eventLoop }

    /// True while the publishing connection is open.
    public var isReady: Bool { ready.withLockedValue { $0 } }

    init(
        destination: DestinationConfig,
        maxMessageSize: Int,
        supervisor: AMQP10ConnectionSupervisor,
        linkPrefix: String,
        logger: Logger,
        dropped: @escaping @Sendable (String) -> Void
    ) {
        self.destination = destination
        self.maxMessageSize = maxMessageSize
        self.supervisor = supervisor
        self.linkPrefix = linkPrefix
        var logger = logger
        logger[metadataKey: "destination"] = "\(destination.description)"
        self.logger = logger
        self.dropped = dropped
    }

    /// Connects (if not yet).
    func start() {
        supervisor.add(self)
    }

    // MARK: DeliverySink

    public func publish(_ request: PublishRequest, for route: RouteDelivery) {
        let address: String
        switch destination.resolve(request.envelope, route: route.policy.route) {
        case .success(.amqp10(let resolved)): address = resolved
        case .success:
            route.failed(request.tag, .permanent(FailureReason.template, "not an AMQP 1.0 destination"))
            return
        case .failure(let failure):
            route.failed(request.tag, .permanent(failure.reason.rawValue, failure.message))
            return
        }
        let message: AMQP10Message
        switch AMQP10MessageMapping.message(for: request, now: .now(), dropped: dropped) {
        case .failed(let failure):
            route.failed(request.tag, failure)
            return
        case .message(let m, let size):
            if let tooLarge = MessageSize.check(size: size, routeLimit: maxMessageSize) {
                route.failed(request.tag, tooLarge)
                return
            }
            message = m
        }
        let payload: ByteBuffer
        do {
            payload = try message.encoded()
        } catch {
            route.failed(request.tag, .permanent(FailureReason.template, "the message cannot be encoded: \(error)"))
            return
        }
        let pending = Pending(tag: request.tag, route: route, payload: payload)
        // Always through the loop's queue: the core may call this from a confirm this sink
        // is still handling.
        eventLoop.execute { [self] in
            send(pending, to: address)
        }
    }

    // MARK: AMQP10ConnectionUser

    func connected(_ connection: AMQP10Connection) {
        self.connection = connection
        ready.withLockedValue { $0 = true }
    }

    func disconnected(_ reason: AMQP10ConnectionError) {
        connection = nil
        ready.withLockedValue { $0 = false }
        let lost = links.values
        links = [:]
        for link in lost { link.fail(.transient(FailureReason.connectionLost, "\(reason)")) }
    }

    // MARK: Links

    private func send(_ pending: Pending, to address: String) {
        guard let connection, connection.isOpen else {
            pending.route.failed(pending.tag, .transient(FailureReason.connectionLost, "the AMQP 1.0 connection is down"))
            return
        }
        let link: SenderLink
        if let existing = links[address] {
            link = existing
        } else {
            linkCount += 1
            link = SenderLink(sink: self, connection: connection, address: address, name: "\(linkPrefix)-\(linkCount)", logger: logger)
            links[address] = link
            link.attach()
        }
        link.enqueue(pending)
    }

    /// A link ended (detached by the peer): forget it; the next publish attaches again.
    fileprivate func linkEnded(_ link: SenderLink) {
        if links[link.address] === link { links[link.address] = nil }
    }
}

/// One sending link to one address. On the connection's loop.
private final class SenderLink: AMQP10LinkEndpoint {
    let address: String
    private let name: String
    private unowned let sink: AMQP10Sink
    private let connection: AMQP10Connection
    private let logger: Logger
    private var handle: UInt32 = 0
    private var attached = false
    private var ended = false
    private var deliveryCount: UInt32 = 0
    private var credit: UInt32 = 0
    private var maxMessageSize: UInt64?
    private var nextTag: UInt64 = 0
    private var waiting: Deque<AMQP10Sink.Pending> = []
    private var unsettled: [UInt32: AMQP10Sink.Pending] = [:]

    init(sink: AMQP10Sink, connection: AMQP10Connection, address: String, name: String, logger: Logger) {
        self.sink = sink
        self.connection = connection
        self.address = address
        self.name = name
        self.logger = logger
    }

    func attach() {
        handle = connection.attach(self) { handle in
            AMQP10Attach(
                name: name, handle: handle, role: .sender, sndSettleMode: .unsettled, rcvSettleMode: .first,
                source: AMQP10SourceTerminus(address: name),
                target: AMQP10Target(address: address, durable: .none),
                initialDeliveryCount: 0
            )
        }
    }

    func enqueue(_ pending: AMQP10Sink.Pending) {
        waiting.append(pending)
        pump()
    }

    private func pump() {
        guard attached, !ended else { return }
        while credit > 0, let next = waiting.popFirst() {
            if let limit = maxMessageSize, limit > 0, UInt64(next.payload.readableBytes) > limit {
                next.route.failed(
                    next.tag,
                    .permanent(FailureReason.tooLarge, "message of \(next.payload.readableBytes) bytes exceeds the link's max-message-size \(limit)")
                )
                continue
            }
            var tag = ByteBuffer()
            tag.writeInteger(nextTag)
            nextTag &+= 1
            let id = connection.sendMessage(handle: handle, tag: tag, payload: next.payload)
            unsettled[id] = next
            credit -= 1
            deliveryCount &+= 1
        }
    }

    /// Fails everything waiting and unconfirmed.
    func fail(_ failure: PublishFailure) {
        ended = true
        let failed = Array(waiting) + Array(unsettled.values)
        waiting = []
        unsettled = [:]
        for entry in failed { entry.route.failed(entry.tag, failure) }
    }

    // MARK: AMQP10LinkEndpoint

    func attached(_ attach: AMQP10Attach) {
        guard attach.target != nil else {
            // Refused: a detach with the reason follows.
            return
        }
        attached = true
        maxMessageSize = attach.maxMessageSize
        pump()
    }

    func detached(_ error: AMQP10ConnectionError) {
        guard !ended else { return }
        if case .linkDetached = error {
            logger.warning("AMQP 1.0 peer detached the sending link: \(error)", metadata: ["address": "\(address)"])
        }
        fail(.transient("link_detached", "\(error)"))
        sink.linkEnded(self)
    }

    func flow(_ flow: AMQP10Flow) {
        guard let linkCredit = flow.linkCredit else { return }
        // credit = the peer's delivery-count + its link-credit - ours (transport 2.6.7).
        let peerCount = flow.deliveryCount ?? 0
        credit = peerCount &+ linkCredit &- deliveryCount
        if credit > linkCredit { credit = 0 }  // wrapped: the peer is behind
        if flow.drain, waiting.isEmpty {
            // Nothing to send: use up the credit as the peer asks.
            deliveryCount &+= credit
            credit = 0
            connection.sendFlow(handle: handle, deliveryCount: deliveryCount, linkCredit: 0)
        }
        pump()
    }

    func transfer(_ transfer: AMQP10Transfer) {}

    func disposition(deliveryID: UInt32, state: AMQP10DeliveryState?, settled: Bool) {
        // A non-terminal state (received) on an unsettled delivery: wait for the outcome.
        guard state?.isOutcome == true || settled else { return }
        guard let entry = unsettled.removeValue(forKey: deliveryID) else { return }
        switch state {
        case .accepted:
            entry.route.confirmed(entry.tag)
        case .rejected(let error):
            let text = [error?.condition, error?.description].compactMap { $0 }.joined(separator: " ")
            entry.route.failed(entry.tag, .permanent(FailureReason.rejected, text.isEmpty ? "the peer rejected the message" : text))
        case .released:
            entry.route.failed(entry.tag, .transient("released", "the peer released the message"))
        case .modified(let failed, let undeliverable, _):
            entry.route.failed(
                entry.tag, .transient("modified", "the peer returned the message (delivery-failed \(failed), undeliverable-here \(undeliverable))")
            )
        default:
            entry.route.failed(entry.tag, .transient(FailureReason.nack, "settled without an outcome"))
        }
    }
}
