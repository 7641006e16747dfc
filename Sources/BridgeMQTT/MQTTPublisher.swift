import BridgeCore
import DequeModule
import Logging
import MQTTProtocol
import NIOCore

/// The publishing client of one MQTT connection (`<client_id>-<instance>-pub`), shared by
/// every ``MQTTSink`` on it: packet ids, the in-flight bound (the broker's
/// receive-maximum), and the confirms (PUBACK for QoS 1, PUBREC/PUBREL/PUBCOMP for QoS 2).
///
/// A disconnect fails every unconfirmed publish as transient `connection_lost`, and the
/// core publishes them again after the reconnect. The client uses a clean session, so the
/// broker holds no packet ids of ours across connections (a reused QoS 2 id could otherwise
/// be taken for a duplicate and dropped); duplicates are bounded by what was in flight.
///
/// `@unchecked Sendable`: every mutable property is touched only on the connection's event loop.
final class MQTTPublisher: MQTTClientConnectionDelegate, @unchecked Sendable {
    struct Job {
        var publish: MQTTPacket.Publish
        var tag: DeliveryTag
        var route: RouteDelivery
        var requireSubscribers: Bool
    }

    let connection: MQTTClientConnection
    private let logger: Logger
    private var eventLoop: any EventLoop { connection.eventLoop }
    private var waiting = Deque<Job>()
    private var inFlight: [UInt16: Job] = [:]
    private var lastPacketID: UInt16 = 0

    init(connection: MQTTClientConnection, logger: Logger) {
        self.connection = connection
        self.logger = logger
        connection.delegate = self
    }

    /// The largest packet the broker accepts (MQTT 5 CONNACK), when known.
    var maximumPacketSize: Int? { connection.brokerMaximumPacketSize }

    /// Queues a publish; it is written when connected and under the in-flight bound.
    func enqueue(_ job: Job) {
        eventLoop.execute {
            self.waiting.append(job)
            self.pump()
        }
    }

    private var capacity: Int { min(connection.brokerReceiveMaximum, 65_000) }

    private func pump() {
        while connection.isConnected, inFlight.count < capacity, var job = waiting.popFirst() {
            if let limit = connection.brokerMaximumPacketSize,
                let size = try? MQTTPacketEncoder.encodedSize(of: .publish(Self.sized(job.publish)), version: connection.options.version),
                size > limit
            {
                job.route.failed(
                    job.tag,
                    .permanent(FailureReason.tooLarge, "PUBLISH of \(size) bytes exceeds the broker's maximum packet size \(limit)")
                )
                continue
            }
            if job.publish.qos == .atMostOnce {
                let promise = eventLoop.makePromise(of: Void.self)
                let tag = job.tag
                let route = job.route
                promise.futureResult.whenComplete { result in
                    switch result {
                    case .success: route.confirmed(tag)
                    case .failure(let error): route.failed(tag, .transient(FailureReason.connectionLost, "\(error)"))
                    }
                }
                connection.write(.publish(job.publish), promise: promise)
                continue
            }
            let id = nextPacketID()
            job.publish.packetID = id
            inFlight[id] = job
            // A write that fails on an open connection (the encoder refused the packet)
            // would otherwise leave the publish in flight for ever.
            let promise = eventLoop.makePromise(of: Void.self)
            let tag = job.tag
            promise.futureResult.whenFailure { [weak self] error in
                guard let self, let lost = self.inFlight[id], lost.tag == tag else { return }
                self.inFlight[id] = nil
                let failure: PublishFailure =
                    error is MQTTProtocolError
                    ? .permanent(FailureReason.rejected, "cannot encode the PUBLISH: \(error)")
                    : .transient(FailureReason.connectionLost, "\(error)")
                lost.route.failed(lost.tag, failure)
                self.pump()
            }
            connection.write(.publish(job.publish), promise: promise)
        }
    }

    /// The PUBLISH as it will be written, for its size: QoS 1 and 2 carry a packet identifier
    /// (assigned only when written), without which the encoder refuses the packet.
    static func sized(_ publish: MQTTPacket.Publish) -> MQTTPacket.Publish {
        var publish = publish
        if publish.qos != .atMostOnce, publish.packetID == nil { publish.packetID = 1 }
        return publish
    }

    private func nextPacketID() -> UInt16 {
        repeat {
            lastPacketID = lastPacketID == UInt16.max ? 1 : lastPacketID + 1
        } while inFlight[lastPacketID] != nil
        return lastPacketID
    }

    // MARK: MQTTClientConnectionDelegate

    func connected(_ connack: MQTTPacket.Connack) {
        pump()
    }

    func disconnected(reason: String) {
        let lost = inFlight
        inFlight = [:]
        for (_, job) in lost.sorted(by: { $0.value.tag.sequence < $1.value.tag.sequence }) {
            job.route.failed(job.tag, .transient(FailureReason.connectionLost, reason))
        }
    }

    func received(_ packet: MQTTPacket) {
        switch packet {
        case .puback(let ack):
            guard let job = inFlight.removeValue(forKey: ack.packetID) else { return }
            settle(job, ack)
        case .pubrec(let ack):
            guard let job = inFlight[ack.packetID] else { return }
            if ack.reasonCode.isFailure {
                inFlight[ack.packetID] = nil
                settle(job, ack)
            } else {
                connection.write(.pubrel(.init(packetID: ack.packetID)))
            }
        case .pubcomp(let ack):
            guard let job = inFlight.removeValue(forKey: ack.packetID) else { return }
            settle(job, ack)
        default:
            return
        }
        pump()
    }

    private func settle(_ job: Job, _ ack: MQTTPacket.PublishAck) {
        if let failure = Self.failure(for: ack.reasonCode, reasonString: ack.properties.reasonString, requireSubscribers: job.requireSubscribers) {
            job.route.failed(job.tag, failure)
        } else {
            job.route.confirmed(job.tag)
        }
    }

    /// The failure a PUBACK/PUBREC reason code means, or nil for a confirm.
    ///
    /// ≥ 0x80 fails: permanent for not authorized (0x87), topic name invalid (0x90), packet
    /// too large (0x95, `too_large`) and payload format invalid (0x99); transient otherwise
    /// (quota exceeded included). 0x10 no matching subscribers fails (transiently) only
    /// with `require_subscribers: true`.
    static func failure(for code: MQTTReasonCode, reasonString: String?, requireSubscribers: Bool) -> PublishFailure? {
        let message = "\(code)" + (reasonString.map { ": \($0)" } ?? "")
        switch code {
        case .noMatchingSubscribers:
            return requireSubscribers ? .transient("no_subscribers", message) : nil
        case .packetTooLarge:
            return .permanent(FailureReason.tooLarge, message)
        case .notAuthorized, .topicNameInvalid, .payloadFormatInvalid:
            return .permanent(FailureReason.rejected, message)
        default:
            return code.isFailure ? .transient(FailureReason.nack, message) : nil
        }
    }
}
