import BridgeCore
import CRdKafka
import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore

/// The producer of one Kafka connection, shared by every route that publishes to it.
///
/// Publishes with `acks=all` and the idempotent producer; a message counts as confirmed on
/// its delivery report. Each message in flight takes a slot of a reused table that names its
/// route and ``DeliveryTag``; the slot number is the message's librdkafka opaque, so nothing
/// is allocated per message for the report.
public final class KafkaProducer: Sendable {
    private struct Slot {
        var route: RouteDelivery?
        var tag: DeliveryTag?
    }

    private struct Slots {
        var table: [Slot] = []
        var free: [Int] = []
    }

    public let connection: String
    private let properties: [(key: String, value: String)]
    private let logger: Logger
    private let connectionState: KafkaConnectionState
    private let slots = NIOLockedValueBox(Slots())
    private let client = NIOLockedValueBox<KafkaClient?>(nil)
    private let running = NIOLockedValueBox(false)
    private let stopped = NIOLockedValueBox<(done: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))
    /// librdkafka's `message.max.bytes` (the default unless the connection sets it).
    let messageMaxBytes: Int

    /// - Parameters:
    ///   - connection: The connection name.
    ///   - settings: Its settings.
    ///   - clientID: `client.id`.
    ///   - messageTimeout: `message.timeout.ms`.
    ///   - queueMessages: The sum of the windows of the routes that publish here.
    ///   - queueKiB: `queue.buffering.max.kbytes`.
    public init(
        connection: String,
        settings: KafkaConnectionSettings,
        clientID: String,
        messageTimeout: TimeAmount,
        queueMessages: Int,
        queueKiB: Int,
        connectionState: KafkaConnectionState,
        logger: Logger
    ) {
        self.connection = connection
        self.properties = KafkaProperties.producer(
            settings, clientID: clientID, messageTimeoutMilliseconds: Int(messageTimeout.nanoseconds / 1_000_000),
            queueMessages: queueMessages, queueKiB: queueKiB
        )
        self.messageMaxBytes = settings.properties.last { $0.key == "message.max.bytes" }.flatMap { Int($0.value) } ?? 1_000_000
        self.connectionState = connectionState
        var logger = logger
        logger[metadataKey: "connection"] = "\(connection)"
        self.logger = logger
    }

    /// Creates the producer and starts the thread that serves its delivery reports.
    public func start() throws(KafkaError) {
        let opaque = Unmanaged.passUnretained(self).toOpaque()
        let client = try KafkaClient.make(.producer, properties: properties, opaque: opaque) { conf in
            rd_kafka_conf_set_dr_msg_cb(conf) { _, message, opaque in
                guard let opaque, let message else { return }
                Unmanaged<KafkaProducer>.fromOpaque(opaque).takeUnretainedValue().deliveryReport(message)
            }
            rd_kafka_conf_set_error_cb(conf) { _, err, reason, opaque in
                guard let opaque else { return }
                Unmanaged<KafkaProducer>.fromOpaque(opaque).takeUnretainedValue()
                    .clientError(rd_kafka_resp_err_t(err), reason.map { String(cString: $0) } ?? "")
            }
        }
        self.client.withLockedValue { $0 = client }
        running.withLockedValue { $0 = true }
        let thread = Thread { [self] in self.pollLoop(client) }
        thread.name = "kafka-producer-\(connection)"
        thread.start()
    }

    /// Waits up to `timeout` for the messages in flight, then stops and destroys the producer
    /// (what is left gets a failed report, for the core to count).
    public func close(timeout: TimeAmount) async {
        guard let client = client.withLockedValue({ $0 }) else { return }
        let milliseconds = Int32(clamping: max(timeout.nanoseconds / 1_000_000, 0))
        let err = rd_kafka_flush(client.pointer, milliseconds)
        if err != RD_KAFKA_RESP_ERR_NO_ERROR {
            logger.warning("producer flush: \(String(cString: rd_kafka_err2str(err))); \(rd_kafka_outq_len(client.pointer)) messages not confirmed")
            _ = rd_kafka_purge(client.pointer, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT)
        }
        running.withLockedValue { $0 = false }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let done = stopped.withLockedValue { stopped in
                if stopped.done { return true }
                stopped.waiters.append(continuation)
                return false
            }
            if done { continuation.resume() }
        }
        self.client.withLockedValue { $0 = nil }
    }

    /// Publishes one message; the outcome goes to `route` as `confirmed` or `failed` with `tag`.
    ///
    /// - Returns: A failure when librdkafka refused the message at once (nothing was queued).
    func produce(
        topic: String,
        key: [UInt8]?,
        payload: ByteBuffer,
        headers: [(name: String, value: OutgoingHeaders.Value)],
        timestamp: Int64?,
        tag: DeliveryTag,
        route: RouteDelivery
    ) -> PublishFailure? {
        guard let client = client.withLockedValue({ $0 }) else {
            return .transient(FailureReason.connectionLost, "the producer of \(connection) is not running")
        }
        guard let kafkaHeaders = rd_kafka_headers_new(headers.count) else { return .transient("nack", "out of memory") }
        for header in headers {
            switch header.value {
            case .text(let text):
                var text = text
                text.withUTF8 { bytes in
                    _ = rd_kafka_header_add(kafkaHeaders, header.name, -1, bytes.baseAddress ?? UnsafePointer(bitPattern: 1), bytes.count)
                }
            case .bytes(let bytes):
                bytes.withUnsafeBytes { raw in
                    _ = rd_kafka_header_add(kafkaHeaders, header.name, -1, raw.baseAddress ?? UnsafeRawPointer(bitPattern: 1), raw.count)
                }
            }
        }
        let slot = takeSlot(route: route, tag: tag)
        let err: rd_kafka_resp_err_t = topic.withCString { topicName in
            payload.withUnsafeReadableBytes { value in
                withKey(key) { keyBytes in
                    var values = [rd_kafka_vu_t](repeating: rd_kafka_vu_t(), count: 7)
                    values[0].vtype = RD_KAFKA_VTYPE_TOPIC
                    values[0].u.cstr = topicName
                    values[1].vtype = RD_KAFKA_VTYPE_MSGFLAGS
                    values[1].u.i = RD_KAFKA_MSG_F_COPY
                    // An empty payload is an empty value, not a null one: librdkafka needs a
                    // non-null pointer for that.
                    values[2].vtype = RD_KAFKA_VTYPE_VALUE
                    values[2].u.mem.ptr = UnsafeMutableRawPointer(mutating: value.baseAddress ?? UnsafeRawPointer(emptyByte))
                    values[2].u.mem.size = value.count
                    values[3].vtype = RD_KAFKA_VTYPE_OPAQUE
                    values[3].u.ptr = UnsafeMutableRawPointer(bitPattern: slot + 1)
                    values[4].vtype = RD_KAFKA_VTYPE_HEADERS
                    values[4].u.headers = kafkaHeaders
                    var count = 5
                    if let keyBytes {
                        values[count].vtype = RD_KAFKA_VTYPE_KEY
                        values[count].u.mem.ptr = UnsafeMutableRawPointer(mutating: keyBytes.baseAddress ?? UnsafeRawPointer(emptyByte))
                        values[count].u.mem.size = keyBytes.count
                        count += 1
                    }
                    if let timestamp {
                        values[count].vtype = RD_KAFKA_VTYPE_TIMESTAMP
                        values[count].u.i64 = timestamp
                        count += 1
                    }
                    guard let error = rd_kafka_produceva(client.pointer, values, count) else { return RD_KAFKA_RESP_ERR_NO_ERROR }
                    defer { rd_kafka_error_destroy(error) }
                    return rd_kafka_error_code(error)
                }
            }
        }
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR else {
            // Not queued: the headers are still ours, and no report will come.
            rd_kafka_headers_destroy(kafkaHeaders)
            releaseSlot(slot)
            return Self.classify(err, String(cString: rd_kafka_err2str(err)))
        }
        return nil
    }

    private func withKey<R>(_ key: [UInt8]?, _ body: (UnsafeRawBufferPointer?) -> R) -> R {
        guard let key else { return body(nil) }
        return key.withUnsafeBytes { body($0) }
    }

    // MARK: Slots

    private func takeSlot(route: RouteDelivery, tag: DeliveryTag) -> Int {
        slots.withLockedValue { slots in
            let slot: Int
            if let free = slots.free.popLast() {
                slot = free
            } else {
                slot = slots.table.count
                slots.table.append(Slot())
            }
            slots.table[slot] = Slot(route: route, tag: tag)
            return slot
        }
    }

    @discardableResult
    private func releaseSlot(_ slot: Int) -> Slot? {
        slots.withLockedValue { slots in
            guard slot >= 0, slot < slots.table.count, slots.table[slot].tag != nil else { return nil }
            let taken = slots.table[slot]
            slots.table[slot] = Slot()
            slots.free.append(slot)
            return taken
        }
    }

    // MARK: The poll thread

    private func pollLoop(_ first: KafkaClient) {
        var client = first
        if client.reachable(timeoutMilliseconds: 5000) { connectionState.up(self) }
        var lastCheck = NIODeadline.now()
        while running.withLockedValue({ $0 }) {
            rd_kafka_poll(client.pointer, 50)
            if fatal.withLockedValue({ $0 }) { client = replace(client) }
            if downSince.withLockedValue({ $0 }) != nil, NIODeadline.now() - lastCheck > .seconds(1) {
                lastCheck = .now()
                if client.reachable(timeoutMilliseconds: 500) {
                    downSince.withLockedValue { $0 = nil }
                    connectionState.up(self)
                }
            }
        }
        rd_kafka_poll(client.pointer, 0)
        let waiters = stopped.withLockedValue { stopped in
            stopped.done = true
            defer { stopped.waiters = [] }
            return stopped.waiters
        }
        for waiter in waiters { waiter.resume() }
    }

    private let downSince = NIOLockedValueBox<NIODeadline?>(nil)
    /// Set when librdkafka raised a fatal error (the idempotent producer can no longer
    /// guarantee order or exactly one write): the poll thread replaces the producer.
    private let fatal = NIOLockedValueBox(false)

    /// Makes a new producer after a fatal error; the old one's messages fail as
    /// `connection_lost` (purged), so the core publishes them again through the new one.
    private func replace(_ old: KafkaClient) -> KafkaClient {
        let opaque = Unmanaged.passUnretained(self).toOpaque()
        let new: KafkaClient
        do {
            new = try KafkaClient.make(.producer, properties: properties, opaque: opaque) { conf in
                rd_kafka_conf_set_dr_msg_cb(conf) { _, message, opaque in
                    guard let opaque, let message else { return }
                    Unmanaged<KafkaProducer>.fromOpaque(opaque).takeUnretainedValue().deliveryReport(message)
                }
                rd_kafka_conf_set_error_cb(conf) { _, err, reason, opaque in
                    guard let opaque else { return }
                    Unmanaged<KafkaProducer>.fromOpaque(opaque).takeUnretainedValue()
                        .clientError(rd_kafka_resp_err_t(err), reason.map { String(cString: $0) } ?? "")
                }
            }
        } catch {
            logger.error("kafka producer: cannot replace the failed producer: \(error)")
            return old
        }
        client.withLockedValue { $0 = new }
        fatal.withLockedValue { $0 = false }
        _ = rd_kafka_purge(old.pointer, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT)
        // Serve the purged messages' reports before the old handle goes (up to 5 s).
        let deadline = NIODeadline.now() + .seconds(5)
        while rd_kafka_outq_len(old.pointer) > 0 && NIODeadline.now() < deadline { rd_kafka_poll(old.pointer, 100) }
        logger.warning("kafka producer replaced after a fatal error; its unconfirmed messages are published again")
        return new
    }

    fileprivate func deliveryReport(_ message: UnsafePointer<rd_kafka_message_t>) {
        let slot = Int(bitPattern: message.pointee._private) - 1
        guard let taken = releaseSlot(slot), let route = taken.route, let tag = taken.tag else { return }
        let err = message.pointee.err
        if err == RD_KAFKA_RESP_ERR_NO_ERROR {
            if downSince.withLockedValue({ $0 }) != nil {
                downSince.withLockedValue { $0 = nil }
                connectionState.up(self)
            }
            route.confirmed(tag)
        } else {
            route.failed(tag, Self.classify(err, String(cString: rd_kafka_err2str(err))))
        }
    }

    fileprivate func clientError(_ err: rd_kafka_resp_err_t, _ reason: String) {
        switch err {
        case RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN:
            logger.warning("kafka producer: all brokers down", metadata: ["reason": "\(reason)"])
            downSince.withLockedValue { $0 = $0 ?? .now() }
            connectionState.down(self)
        case RD_KAFKA_RESP_ERR__TRANSPORT, RD_KAFKA_RESP_ERR__RESOLVE:
            logger.debug("kafka producer: \(reason)")
        case RD_KAFKA_RESP_ERR__FATAL:
            var errstr = [CChar](repeating: 0, count: 512)
            if let client = client.withLockedValue({ $0 }) {
                _ = rd_kafka_fatal_error(client.pointer, &errstr, errstr.count)
            }
            logger.error("kafka producer: fatal error: \(String(errorBuffer: errstr)); replacing the producer")
            fatal.withLockedValue { $0 = true }
        default:
            logger.warning("kafka producer: \(reason)")
        }
    }

    /// Transient or permanent (CONTRACT 5.5): message too large, unknown topic or partition,
    /// invalid topic and authorization are permanent; the rest is worth retrying.
    static func classify(_ err: rd_kafka_resp_err_t, _ message: String) -> PublishFailure {
        switch err {
        case RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE, RD_KAFKA_RESP_ERR_RECORD_LIST_TOO_LARGE:
            return .permanent(FailureReason.tooLarge, message)
        case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART, RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC, RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION:
            return .permanent("unknown_topic", message)
        case RD_KAFKA_RESP_ERR_TOPIC_EXCEPTION, RD_KAFKA_RESP_ERR__INVALID_ARG:
            return .permanent("invalid_topic", message)
        case RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED, RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED,
            RD_KAFKA_RESP_ERR_TRANSACTIONAL_ID_AUTHORIZATION_FAILED, RD_KAFKA_RESP_ERR__AUTHENTICATION,
            RD_KAFKA_RESP_ERR_SASL_AUTHENTICATION_FAILED:
            return .permanent("unauthorized", message)
        case RD_KAFKA_RESP_ERR__MSG_TIMED_OUT, RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT, RD_KAFKA_RESP_ERR__TIMED_OUT:
            return .transient(FailureReason.timeout, message)
        case RD_KAFKA_RESP_ERR__TRANSPORT, RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN, RD_KAFKA_RESP_ERR__PURGE_QUEUE,
            RD_KAFKA_RESP_ERR__PURGE_INFLIGHT:
            return .transient(FailureReason.connectionLost, message)
        default:
            return .transient(FailureReason.nack, message)
        }
    }
}

/// A byte to point at for an empty value or key (librdkafka reads a null pointer as "null").
nonisolated(unsafe) private let emptyByte: UnsafeMutableRawPointer = {
    let pointer = UnsafeMutableRawPointer.allocate(byteCount: 1, alignment: 1)
    pointer.storeBytes(of: 0, as: UInt8.self)
    return pointer
}()
