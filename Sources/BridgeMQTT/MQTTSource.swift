import BridgeCore
import DequeModule
import Logging
import MQTTProtocol
import NIOCore

/// The source of one route whose `from:` is an MQTT topic filter: its own client
/// connection (`<client_id>-<instance>-<route>`, persistent session), the subscription, and
/// the PUBACK (QoS 1) or PUBREC (QoS 2) of each message held until the delivery core
/// acknowledges it, sent in the order the PUBLISH packets arrived.
///
/// Partition 0, one generation per connection: every (re)connect is an `assign`, so the
/// core abandons what the old connection had in flight (the broker redelivers it with DUP
/// in the same session) and ignores late acks for it.
///
/// `@unchecked Sendable`: every mutable property is touched only on the connection's event
/// loop; the ``DeliverySource`` calls hop onto it.
public final class MQTTSource: DeliverySource, MQTTClientConnectionDelegate, @unchecked Sendable {
    /// A received QoS ≥ 1 message waiting for its ack, in arrival order.
    private struct Pending {
        var packetID: UInt16
        var qos: QoS
        var acked: Bool
    }

    public let route: String
    public let clientID: String
    private let connectionName: String
    private let source: SourceConfig.MQTTSource
    let connection: MQTTClientConnection
    private let logger: Logger
    /// The filter this client's session subscribed before a reload changed the route
    /// (`$share/…` included); nil on a fresh start.
    private let previousSubscription: String?
    /// After a reload's SUBACK: the old filter to UNSUBSCRIBE (the new one does not cover it).
    private var pendingUnsubscribe: String?
    private let onSessionLost: @Sendable () -> Void
    private var eventLoop: any EventLoop { connection.eventLoop }

    private var delivery: RouteDelivery?
    private var generation: UInt32 = 0
    private var hadSession = false
    private var subscribePacketID: UInt16 = 0
    /// QoS ≥ 1 messages handed to the core, in arrival order, until their ack went out.
    private var awaitingAck = Deque<Pending>()
    /// Messages read while the core's window was full, handed in when it resumes.
    private var backlog = Deque<MQTTPacket.Publish>()
    private var paused = false
    private var aliases: [UInt16: String] = [:]
    private var stopping = false

    private var subscribed = false
    /// PUBACKs and PUBRECs written (tests: none while the destination is stalled).
    private(set) var acksWritten = 0
    /// Tests: when true, the packet ids of QoS ≥ 1 messages as they arrived and as acked.
    var recordsAcks = false
    private(set) var arrivals: [UInt16] = []
    private(set) var ackOrder: [UInt16] = []

    init(
        route: String,
        connectionName: String,
        source: SourceConfig.MQTTSource,
        connection: MQTTClientConnection,
        logger: Logger,
        previousSubscription: String? = nil,
        onSessionLost: @escaping @Sendable () -> Void
    ) {
        self.previousSubscription = previousSubscription
        self.route = route
        self.connectionName = connectionName
        self.source = source
        self.connection = connection
        self.clientID = connection.options.clientID
        var logger = logger
        logger[metadataKey: "route"] = "\(route)"
        self.logger = logger
        self.onSessionLost = onSessionLost
        connection.delegate = self
    }

    /// Connects and subscribes; messages go to `delivery`.
    public func start(_ delivery: RouteDelivery) {
        eventLoop.execute {
            self.delivery = delivery
            self.connection.start()
        }
    }

    /// Closes the connection (DISCONNECT, the session is kept): messages not acked stay
    /// with the broker, which redelivers them on the next connect.
    public func stop() async {
        try? await eventLoop.flatSubmit {
            self.stopping = true
            return self.connection.shutdown()
        }.get()
    }

    /// Whether the connection is open and the subscription is in place (SUBACK, or a
    /// session the broker kept).
    public var isSubscribed: Bool {
        get async { (try? await eventLoop.submit { self.connection.isConnected && self.subscribed }.get()) ?? false }
    }

    /// Tests: the (arrivals, acks) packet id logs.
    func ackLog() async -> (arrivals: [UInt16], acks: [UInt16]) {
        (try? await eventLoop.submit { (self.arrivals, self.ackOrder) }.get()) ?? ([], [])
    }

    /// Tests: how many PUBACK/PUBREC were written.
    func ackCount() async -> Int {
        (try? await eventLoop.submit { self.acksWritten }.get()) ?? -1
    }

    /// Tests: record the arrival and ack order of packet ids.
    func recordAckOrder() {
        eventLoop.execute { self.recordsAcks = true }
    }

    /// Whether the connection is open.
    public var isConnected: Bool {
        get async { (try? await eventLoop.submit { self.connection.isConnected }.get()) ?? false }
    }

    // MARK: DeliverySource

    public func acknowledge(_ token: SourceToken, partition: Int, generation: UInt32) {
        eventLoop.execute { self.acked(token, generation: generation) }
    }

    public func pause() {
        eventLoop.execute {
            self.paused = true
        }
    }

    public func resume() {
        eventLoop.execute {
            self.paused = false
            self.drainBacklog()
        }
    }

    // MARK: Connection events

    func connected(_ connack: MQTTPacket.Connack) {
        guard let delivery else { return }
        aliases = [:]
        awaitingAck.removeAll()
        backlog.removeAll()
        connection.setReadsPaused(false)
        generation = delivery.assign(partition: 0)
        subscribed = connack.sessionPresent
        if !connack.sessionPresent {
            if hadSession {
                logger.warning("the broker lost the session: subscribing again (retained messages are sent again)")
                onSessionLost()
            }
            subscribe()
        } else if !hadSession, let previous = previousSubscription, previous != source.subscription {
            // A reload changed the filter and the broker kept the session: subscribe the new
            // filter first, then unsubscribe the old one only when the new one does not cover
            // it, so nothing queued for the session is discarded and nothing published in
            // between is missed.
            subscribed = false
            pendingUnsubscribe = Self.subscription(source.subscription, covers: previous) ? nil : previous
            logger.info("filter changed on reload: subscribing the new one in the kept session", metadata: ["filter": "\(source.subscription)", "previous": "\(previous)"])
            subscribe()
        }
        hadSession = true
    }

    /// Whether every message that `old` would deliver, `new` delivers too: the same share
    /// group (or none) and a filter that matches every topic the old one matches.
    static func subscription(_ new: String, covers old: String) -> Bool {
        func split(_ s: String) -> (group: String?, levels: [Substring]) {
            let levels = s.split(separator: "/", omittingEmptySubsequences: false)
            if levels.count >= 3, levels[0] == "$share" { return (String(levels[1]), Array(levels.dropFirst(2))) }
            return (nil, levels)
        }
        let (newGroup, newLevels) = split(new)
        let (oldGroup, oldLevels) = split(old)
        guard newGroup == oldGroup else { return false }
        var i = 0
        while i < newLevels.count {
            if newLevels[i] == "#" { return true }
            guard i < oldLevels.count else { return false }
            if oldLevels[i] == "#" { return false }
            if newLevels[i] != "+" && newLevels[i] != oldLevels[i] { return false }
            if newLevels[i] == "+" && oldLevels[i].hasPrefix("$") && i == 0 { return false }
            i += 1
        }
        return oldLevels.count == newLevels.count
    }

    func disconnected(reason: String) {
        awaitingAck.removeAll()
        backlog.removeAll()
    }

    func received(_ packet: MQTTPacket) {
        switch packet {
        case .publish(let publish):
            if !backlog.isEmpty || paused {
                hold(publish)
            } else {
                take(publish)
            }
        case .pubrel(let ack):
            connection.write(.pubcomp(.init(packetID: ack.packetID)))
        case .suback(let suback):
            guard suback.packetID == subscribePacketID else { return }
            if let failure = suback.reasonCodes.first(where: { $0.isFailure }) {
                logger.error("subscription refused: \(failure)", metadata: ["filter": "\(source.subscription)"])
            } else {
                subscribed = true
                logger.info("subscribed", metadata: ["filter": "\(source.subscription)"])
                if let old = pendingUnsubscribe {
                    pendingUnsubscribe = nil
                    subscribePacketID = subscribePacketID == UInt16.max ? 1 : subscribePacketID + 1
                    connection.write(.unsubscribe(.init(packetID: subscribePacketID, topicFilters: [old])))
                    logger.info("unsubscribed the filter the reload replaced", metadata: ["filter": "\(old)"])
                }
            }
        default:
            break
        }
    }

    private func subscribe() {
        subscribePacketID = subscribePacketID == UInt16.max ? 1 : subscribePacketID + 1
        let subscription = MQTTPacket.Subscription(
            topicFilter: source.subscription,
            qos: QoS(rawValue: UInt8(clamping: max(1, min(source.qos, 2)))) ?? .atLeastOnce,
            retainHandling: source.retained == .skip ? .doNotSend : .sendOnSubscribe
        )
        connection.write(.subscribe(.init(packetID: subscribePacketID, subscriptions: [subscription])))
    }

    // MARK: Messages

    /// Keeps a message the core could not take yet, and stops reading until it can.
    private func hold(_ publish: MQTTPacket.Publish) {
        backlog.append(publish)
        connection.setReadsPaused(true)
    }

    private func drainBacklog() {
        while !paused, let publish = backlog.popFirst() {
            guard take(publish) else { return }
        }
        if backlog.isEmpty { connection.setReadsPaused(false) }
    }

    /// Hands a message to the core. Returns false when it went back to the backlog.
    @discardableResult
    private func take(_ publish: MQTTPacket.Publish) -> Bool {
        guard let delivery, !stopping else { return true }
        var topic = publish.topic
        if let alias = publish.properties.topicAlias {
            if topic.isEmpty {
                guard let known = aliases[alias] else {
                    logger.error("PUBLISH with an unknown topic alias \(alias)")
                    return true
                }
                topic = known
            } else {
                aliases[alias] = topic
            }
        }
        let packetID = publish.packetID ?? 0
        let held = publish.qos != .atMostOnce
        // A retained message sent on subscribe, when the route skips them (3.1.1 cannot
        // ask the broker not to send them): acknowledged without forwarding, in order.
        if publish.retain && source.retained == .skip {
            if held {
                awaitingAck.append(Pending(packetID: packetID, qos: publish.qos, acked: true))
                releaseAcks()
            }
            return true
        }
        let envelope = MQTTMessageMapping.envelope(of: publish, topic: topic, connection: connectionName, clientID: clientID)
        if held { awaitingAck.append(Pending(packetID: packetID, qos: publish.qos, acked: false)) }
        // QoS 0 cannot be held: a token above any packet id marks it (no ack).
        let token: SourceToken = held ? SourceToken(packetID) : 1 << 32
        switch delivery.receive(envelope, partition: 0, token: token) {
        case .accepted:
            if held && recordsAcks { arrivals.append(packetID) }
            return true
        case .windowFull:
            if held { awaitingAck.removeLast() }
            backlog.prepend(publish)
            paused = true
            connection.setReadsPaused(true)
            return false
        case .notTaking:
            // Draining or revoked: left unacked for the broker to redeliver.
            if held { awaitingAck.removeLast() }
            return true
        }
    }

    private func acked(_ token: SourceToken, generation: UInt32) {
        guard generation == self.generation, token <= SourceToken(UInt16.max) else { return }
        let packetID = UInt16(token)
        guard let index = awaitingAck.firstIndex(where: { $0.packetID == packetID && !$0.acked }) else { return }
        awaitingAck[index].acked = true
        releaseAcks()
    }

    /// Writes the acks at the head of the arrival order that are due. The core releases
    /// acks in order, but its actions for different events may run on different threads;
    /// this keeps the wire order the arrival order regardless.
    private func releaseAcks() {
        while let head = awaitingAck.first, head.acked {
            awaitingAck.removeFirst()
            let ack = MQTTPacket.PublishAck(packetID: head.packetID)
            if connection.write(head.qos == .exactlyOnce ? .pubrec(ack) : .puback(ack)) {
                acksWritten += 1
                if recordsAcks { ackOrder.append(head.packetID) }
            }
        }
    }
}
