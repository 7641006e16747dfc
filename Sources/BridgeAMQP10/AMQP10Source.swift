import AMQP10Protocol
import BridgeCore
import Logging
import NIOConcurrencyHelpers
import NIOCore

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Receives from one address for one route (CONTRACT sections 4 and 5): a receiving link
/// whose link credit is the route's window, topped up as acks free it, so the peer never
/// has more than the window unsettled with us. Each message goes to
/// ``RouteDelivery/receive(_:partition:token:)`` with its delivery id as the token, and is
/// settled with what the core decides:
///
/// - `accepted` once every destination confirmed (``acknowledge(_:partition:generation:)``);
/// - `rejected`, with an error description, when the route's `exhausted` is `reject`;
/// - at shutdown, what is still unsettled goes back to the peer: `modified` with
///   `delivery-failed` for a message a destination failed transiently (the core's
///   ``attemptFailed(_:partition:generation:)``; the peer counts the failed delivery), else
///   `released`;
/// - a message that cannot be decoded is `rejected` with `amqp:decode-error`.
///
/// The address is partition 0 of the route; every attach is a new assignment (delivery ids
/// belong to a session), so a late ack of an earlier link is dropped by generation.
///
/// `@unchecked Sendable`: mutable state only on the consuming connection's event loop.
public final class AMQP10Source: DeliverySource, AMQP10ConnectionUser, AMQP10LinkEndpoint, @unchecked Sendable {
    /// The route name.
    public let route: String
    /// The connection name (`bridge-id`, `bridge-source`).
    public let connectionName: String
    public let address: String
    /// The link credit: the route's window.
    public let window: UInt32
    private let supervisor: AMQP10ConnectionSupervisor
    private let linkName: String
    private let logger: Logger
    private let dropped: @Sendable (String) -> Void
    private let maxMessageSize: Int

    // On the loop:
    private var delivery: RouteDelivery?
    private var connection: AMQP10Connection?
    private var handle: UInt32?
    private var attached = false
    private var generation: UInt32 = 0
    private var deliveryCount: UInt32 = 0
    /// Delivery ids received and not yet settled by us.
    private var unsettled = Set<UInt32>()
    /// Unsettled delivery ids a destination failed transiently (settled `modified` at close).
    private var failedAttempt = Set<UInt32>()
    /// Accepted ids waiting for the end of the loop tick (one disposition per run).
    private var toAccept: [UInt32] = []
    private var flushScheduled = false
    /// The credit we last granted, counted from `deliveryCount` at that time.
    private var grantedUpTo: UInt32 = 0
    private var assembler: AMQP10TransferAssembler
    private var stopped = false
    private var paused = false
    private var attachFailures = 0
    /// Deliveries the peer sent beyond the credit (released back).
    private var overshoot = 0
    private let consumingBox = NIOLockedValueBox(false)

    var eventLoop: any EventLoop { supervisor.eventLoop }

    /// True while the link is attached (for /readyz).
    public var isConsuming: Bool { consumingBox.withLockedValue { $0 } }

    init(
        route: String,
        connectionName: String,
        address: String,
        window: Int,
        maxMessageSize: Int,
        supervisor: AMQP10ConnectionSupervisor,
        linkName: String,
        logger: Logger,
        dropped: @escaping @Sendable (String) -> Void
    ) {
        self.route = route
        self.connectionName = connectionName
        self.address = address
        self.window = UInt32(max(1, window))
        self.maxMessageSize = maxMessageSize
        self.supervisor = supervisor
        self.linkName = linkName
        var logger = logger
        logger[metadataKey: "route"] = "\(route)"
        logger[metadataKey: "address"] = "\(address)"
        self.logger = logger
        self.dropped = dropped
        // A message over the route's limit would be refused anyway; allow the AMQP overhead.
        self.assembler = AMQP10TransferAssembler(maxMessageSize: max(maxMessageSize * 2, 1 << 20))
    }

    /// Starts receiving into `delivery` (now, or as soon as the connection is up).
    public func start(_ delivery: RouteDelivery) {
        eventLoop.execute { [self] in
            self.delivery = delivery
            supervisor.add(self)
        }
    }

    /// Stops taking messages: the link credit drops to 0. What is in flight can still be
    /// accepted. Call before ``RouteDelivery/drain(timeout:)``.
    public func stop() async {
        let future: EventLoopFuture<Void> = eventLoop.submit { [self] in
            stopped = true
            grant()
        }
        try? await future.get()
    }

    /// After the drain: `released` for every delivery still unsettled, then detach.
    public func close() async {
        let future: EventLoopFuture<Void> = eventLoop.submit { [self] in
            stopped = true
            flushAccepts()
            guard let connection, let handle, connection.isOpen else { return }
            if !unsettled.isEmpty {
                let failed = unsettled.intersection(failedAttempt)
                let released = unsettled.subtracting(failed)
                for (first, last) in Self.runs(failed.sorted()) {
                    connection.sendDisposition(
                        first: first, last: last, state: .modified(deliveryFailed: true, undeliverableHere: false)
                    )
                }
                for (first, last) in Self.runs(released.sorted()) {
                    connection.sendDisposition(first: first, last: last, state: .released)
                }
                logger.info(
                    "AMQP 1.0 gave unsettled deliveries back",
                    metadata: ["released": "\(released.count)", "modified_delivery_failed": "\(failed.count)"]
                )
                unsettled = []
                failedAttempt = []
            }
            connection.detach(handle: handle)
            self.handle = nil
            setConsuming(false)
        }
        try? await future.get()
    }

    private func setConsuming(_ value: Bool) {
        consumingBox.withLockedValue { $0 = value }
    }

    // MARK: AMQP10ConnectionUser

    func connected(_ connection: AMQP10Connection) {
        self.connection = connection
        attachLink()
    }

    func disconnected(_ reason: AMQP10ConnectionError) {
        connection = nil
        linkGone()
    }

    private func attachLink() {
        guard !stopped, delivery != nil, let connection, connection.isOpen, handle == nil else { return }
        attached = false
        unsettled = []
        failedAttempt = []
        toAccept = []
        assembler.reset()
        handle = connection.attach(self) { handle in
            AMQP10Attach(
                name: linkName, handle: handle, role: .receiver, sndSettleMode: .unsettled, rcvSettleMode: .first,
                source: AMQP10SourceTerminus(
                    address: address, durable: .none,
                    defaultOutcome: .released,
                    outcomes: [
                        AMQP10DeliveryState.OutcomeSymbol.accepted, AMQP10DeliveryState.OutcomeSymbol.rejected,
                        AMQP10DeliveryState.OutcomeSymbol.released, AMQP10DeliveryState.OutcomeSymbol.modified,
                    ]
                ),
                target: AMQP10Target(address: linkName),
                maxMessageSize: UInt64(assembler.maxMessageSize)
            )
        }
    }

    private func linkGone() {
        handle = nil
        attached = false
        unsettled = []
        failedAttempt = []
        toAccept = []
        setConsuming(false)
    }

    // MARK: AMQP10LinkEndpoint

    func attached(_ attach: AMQP10Attach) {
        guard attach.source != nil, let delivery else {
            // Refused: a detach with the reason follows.
            return
        }
        attached = true
        attachFailures = 0
        deliveryCount = attach.initialDeliveryCount ?? 0
        grantedUpTo = deliveryCount
        generation = delivery.assign(partition: 0)
        setConsuming(true)
        logger.info("AMQP 1.0 receiving", metadata: ["link_credit": "\(window)"])
        grant()
    }

    func detached(_ error: AMQP10ConnectionError) {
        let wasUp = attached
        linkGone()
        guard !stopped, case .linkDetached = error, let connection, connection.isOpen else { return }
        // The peer detached (a missing address, a deleted queue): attach again after a backoff.
        if wasUp || attachFailures == 0 {
            logger.error("AMQP 1.0 receiving link detached by the peer: \(error); route not ready, retrying")
        }
        let delay = supervisor.settings.reconnect.delay(afterFailures: attachFailures, jitter: Double.random(in: 0.5...1.0))
        attachFailures += 1
        eventLoop.scheduleTask(in: delay) { [self] in attachLink() }
    }

    func flow(_ flow: AMQP10Flow) {
        // The peer's delivery-count may have moved (drained credit): follow it.
        if let count = flow.deliveryCount, flow.drain || count != deliveryCount {
            deliveryCount = count
            if Int32(bitPattern: grantedUpTo &- count) < 0 { grantedUpTo = count }
        }
        if flow.echo { grant(force: true) }
    }

    func transfer(_ transfer: AMQP10Transfer) {
        guard attached, let delivery, let connection else { return }
        let complete: AMQP10Transfer
        do {
            switch try assembler.receive(transfer) {
            case .incomplete: return
            case .aborted(let first):
                if first.deliveryID != nil { deliveryCount &+= 1 }
                return
            case .complete(let whole): complete = whole
            }
        } catch {
            logger.error("AMQP 1.0 transfer refused: \(error); detaching")
            if let handle {
                connection.detach(handle: handle, error: AMQP10Error(condition: AMQP10Error.Condition.messageSizeExceeded, description: "\(error)"))
            }
            detached(.linkDetached(condition: AMQP10Error.Condition.messageSizeExceeded, description: "\(error)"))
            return
        }
        deliveryCount &+= 1
        guard let id = complete.deliveryID else { return }
        let message: AMQP10Message
        do {
            message = try AMQP10Message(decoding: complete.payload)
        } catch {
            logger.error("AMQP 1.0 message cannot be decoded, rejected: \(error)")
            if complete.settled != true {
                connection.sendDisposition(
                    first: id, last: id, state: .rejected(AMQP10Error(condition: AMQP10Error.Condition.decodeError, description: "\(error)"))
                )
            }
            grant()
            return
        }
        let envelope = AMQP10MessageMapping.envelope(
            message,
            delivery: .init(connection: connectionName, address: address),
            receivedAt: .now(),
            nowMilliseconds: Int64(Date().timeIntervalSince1970 * 1000),
            dropped: dropped
        )
        if complete.settled != true { unsettled.insert(id) }
        switch delivery.receive(envelope, partition: 0, token: UInt64(id)) {
        case .accepted:
            break
        case .windowFull:
            // The peer sent past our credit. RabbitMQ 3.x's plugin does when a flow arrives
            // while messages are on their way from the queue to the link: give it back.
            guard unsettled.remove(id) != nil else { return }
            connection.sendDisposition(first: id, last: id, state: .released)
            overshoot += 1
            if overshoot == 1 || overshoot % 1000 == 0 {
                logger.info("AMQP 1.0 peer sent past the link credit; released for redelivery", metadata: ["count": "\(overshoot)"])
            }
            grant()
        case .notTaking:
            // Draining: left unsettled, released at close.
            logger.debug("AMQP 1.0 delivery not taken while draining")
        }
    }

    func disposition(deliveryID: UInt32, state: AMQP10DeliveryState?, settled: Bool) {}

    // MARK: DeliverySource

    public func acknowledge(_ token: SourceToken, partition: Int, generation: UInt32) {
        onLoop { [self] in
            guard generation == self.generation, attached else { return }
            let id = UInt32(truncatingIfNeeded: token)
            guard unsettled.remove(id) != nil else { return }
            failedAttempt.remove(id)
            toAccept.append(id)
            scheduleFlush()
        }
    }

    public func reject(_ token: SourceToken, partition: Int, generation: UInt32) {
        onLoop { [self] in
            guard generation == self.generation, attached, let connection else { return }
            let id = UInt32(truncatingIfNeeded: token)
            guard unsettled.remove(id) != nil else { return }
            failedAttempt.remove(id)
            flushAccepts()
            connection.sendDisposition(
                first: id, last: id,
                state: .rejected(
                    AMQP10Error(
                        condition: AMQP10Error.Condition.internalError,
                        description: "message-bridge route \(route) could not deliver the message (on_error.exhausted: reject)"
                    )
                )
            )
            grant()
        }
    }

    /// A destination failed the message transiently: if it is still unsettled at close, it
    /// goes back `modified` with `delivery-failed` (the peer counts the failed delivery).
    public func attemptFailed(_ token: SourceToken, partition: Int, generation: UInt32) {
        onLoop { [self] in
            guard generation == self.generation, attached else { return }
            let id = UInt32(truncatingIfNeeded: token)
            if unsettled.contains(id) { failedAttempt.insert(id) }
        }
    }

    /// The window is full: the credit is already used up. Draining: no more credit.
    public func pause() {
        onLoop { [self] in paused = true }
    }

    public func resume() {
        onLoop { [self] in
            paused = false
            grant()
        }
    }

    private func onLoop(_ body: @escaping @Sendable () -> Void) {
        if eventLoop.inEventLoop { body() } else { eventLoop.execute(body) }
    }

    /// Accepts go out at the end of the loop tick, so a burst of confirms becomes a few
    /// ranged dispositions and one flow.
    private func scheduleFlush() {
        guard !flushScheduled else { return }
        flushScheduled = true
        eventLoop.execute { [self] in
            flushScheduled = false
            flushAccepts()
            grant()
        }
    }

    private func flushAccepts() {
        guard !toAccept.isEmpty else { return }
        defer { toAccept = [] }
        guard let connection, attached else { return }
        toAccept.sort()
        for (first, last) in Self.runs(toAccept) {
            connection.sendDisposition(first: first, last: last, state: .accepted)
        }
    }

    /// Grants credit up to the window minus what is unsettled (0 once stopped). A flow goes
    /// out when the peer's remaining credit is under half the window, or nothing is
    /// unsettled, or the credit drops (stop): few flows, and the full window when idle.
    private func grant(force: Bool = false) {
        guard attached, let connection, let handle else { return }
        let credit: UInt32 = stopped ? 0 : window - min(window, UInt32(unsettled.count))
        let target = deliveryCount &+ credit
        guard target != grantedUpTo || force else { return }
        let remaining = Int64(Int32(bitPattern: grantedUpTo &- deliveryCount))
        let lowering = Int32(bitPattern: target &- grantedUpTo) < 0
        guard force || lowering || remaining * 2 < Int64(window) || unsettled.isEmpty else { return }
        grantedUpTo = target
        connection.sendFlow(handle: handle, deliveryCount: deliveryCount, linkCredit: credit)
    }

    /// Contiguous runs of sorted ids.
    static func runs(_ ids: [UInt32]) -> [(UInt32, UInt32)] {
        var out: [(UInt32, UInt32)] = []
        for id in ids {
            if let last = out.last, last.1 &+ 1 == id {
                out[out.count - 1].1 = id
            } else {
                out.append((id, id))
            }
        }
        return out
    }
}
