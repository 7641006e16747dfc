import BridgeCore
import CRdKafka
import DequeModule
import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore

/// The source of one Kafka route: a consumer in the connection's group, on its own poll
/// thread, that hands records to the route's ``RouteDelivery`` and stores offsets behind
/// what the core acknowledges (CONTRACT 5.2-5.4).
///
/// Offsets: the core releases acks in arrival order per partition; the source keeps the
/// highest acked offset + 1 per partition and the poll thread stores it
/// (`rd_kafka_offsets_store`) once per loop, so a batch of acks costs one call; auto-commit
/// commits what was stored. Acks carry the partition's generation: one for a partition the
/// consumer no longer owns, or owns again under a new assignment, is ignored.
public final class KafkaSource: DeliverySource, Sendable {
    /// A partition as this consumer knows it.
    private struct Owned {
        var topic: String
        var partition: Int32
        var generation: UInt32
        /// Offset + 1 of the highest acked record, not yet handed to librdkafka.
        var toStore: Int64?
        /// Offset + 1 of the highest acked record (for the lag).
        var acked: Int64?
        var revoking = false
        var released = false
    }

    private struct Held {
        var envelope: Envelope
        var id: Int
        var offset: Int64
    }

    private struct State {
        /// Stable core partition ids for (topic, partition): one route may read several topics.
        var ids: [String: Int] = [:]
        var owned: [Int: Owned] = [:]
        /// The core's wish; the poll thread applies it.
        var wantPaused = false
        var appliedPaused = false
        var stopping = false
        var closed: [CheckedContinuation<Void, Never>] = []
        var finished = false
    }

    public let route: String
    public let connection: String
    let topics: [String]
    private let properties: [(key: String, value: String)]
    private let logger: Logger
    private let connectionState: KafkaConnectionState
    private let state = NIOLockedValueBox(State())
    private let delivery = NIOLockedValueBox<RouteDelivery?>(nil)
    private let client = NIOLockedValueBox<KafkaClient?>(nil)
    private let maxInFlight: Int
    /// Only touched on the poll thread.
    private let held = NIOLockedValueBox(Deque<Held>())
    private let allocator = ByteBufferAllocator()

    /// The time a revoked partition's in-flight messages get before they are abandoned.
    static let revokeWait: TimeAmount = .seconds(5)

    /// How long a full window may last before the partitions are paused. A pause throws
    /// away what librdkafka prefetched, and a resumed partition fetches again only after
    /// up to a second (librdkafka 2.0): pausing on every full window capped a route at
    /// about one window per second. A window that frees within this time (the common case
    /// under load) never pauses; the poll thread waits for the core's resume instead.
    static let pauseGrace: TimeAmount = .milliseconds(500)
    /// When the window was first found full, nil while it has room. Only the poll thread
    /// reads and writes it (unlocked, like `held` would be but for Sendable checking).
    nonisolated(unsafe) private var windowFullSince: NIODeadline?
    /// Set by ``resume()``: wakes the poll thread waiting for room in the window.
    private let room = ConditionLock(value: false)

    /// - Parameters:
    ///   - route: The route.
    ///   - source: Its Kafka source.
    ///   - connection: The connection name.
    ///   - settings: The connection's settings.
    ///   - clientID: `client.id`.
    ///   - connectionState: Where connection state goes.
    ///   - logger: The logger.
    public init(
        route: RouteConfig,
        source: SourceConfig.KafkaSource,
        connection: String,
        settings: KafkaConnectionSettings,
        clientID: String,
        connectionState: KafkaConnectionState,
        logger: Logger
    ) {
        self.route = route.name
        self.connection = connection
        self.topics = source.topics
        self.maxInFlight = route.maxInFlight
        self.properties = KafkaProperties.consumer(
            settings, clientID: clientID, start: source.start, window: route.maxInFlight, maxMessageSize: route.maxMessageSize
        )
        self.connectionState = connectionState
        var logger = logger
        logger[metadataKey: "route"] = "\(route.name)"
        self.logger = logger
    }

    /// Creates the consumer, subscribes and starts the poll thread.
    ///
    /// - Parameter delivery: The route's core; records go there.
    public func start(delivering delivery: RouteDelivery) throws(KafkaError) {
        self.delivery.withLockedValue { $0 = delivery }
        let opaque = Unmanaged.passUnretained(self).toOpaque()
        let client = try KafkaClient.make(.consumer, properties: properties, opaque: opaque) { conf in
            rd_kafka_conf_set_rebalance_cb(conf) { rk, err, partitions, opaque in
                guard let opaque, let partitions else { return }
                Unmanaged<KafkaSource>.fromOpaque(opaque).takeUnretainedValue().rebalance(rk, err, partitions)
            }
            rd_kafka_conf_set_error_cb(conf) { _, err, reason, opaque in
                guard let opaque else { return }
                Unmanaged<KafkaSource>.fromOpaque(opaque).takeUnretainedValue()
                    .clientError(rd_kafka_resp_err_t(err), reason.map { String(cString: $0) } ?? "")
            }
        }
        rd_kafka_poll_set_consumer(client.pointer)
        guard let list = rd_kafka_topic_partition_list_new(Int32(topics.count)) else { throw KafkaError("out of memory") }
        defer { rd_kafka_topic_partition_list_destroy(list) }
        for topic in topics { rd_kafka_topic_partition_list_add(list, topic, RD_KAFKA_PARTITION_UA) }
        let err = rd_kafka_subscribe(client.pointer, list)
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError(code: err, context: "subscribe \(topics)") }
        self.client.withLockedValue { $0 = client }
        let thread = Thread { [self] in self.pollLoop(client) }
        thread.name = "kafka-source-\(route)"
        thread.start()
        logger.info("kafka source started", metadata: ["topics": "\(topics.joined(separator: ","))"])
    }

    /// Stops the poll thread after the core drained: stores and commits (synchronously)
    /// what was acked, leaves the group and closes the consumer.
    public func close() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let finished = state.withLockedValue { state in
                state.stopping = true
                if state.finished { return true }
                state.closed.append(continuation)
                return false
            }
            if finished { continuation.resume() }
        }
        client.withLockedValue { $0 = nil }
    }

    // MARK: DeliverySource

    public func acknowledge(_ token: SourceToken, partition: Int, generation: UInt32) {
        state.withLockedValue { state in
            guard var owned = state.owned[partition], owned.generation == generation, !owned.released else { return }
            let next = Int64(bitPattern: token) + 1
            if next > (owned.acked ?? -1) {
                owned.acked = next
                owned.toStore = next
            }
            state.owned[partition] = owned
        }
    }

    public func pause() {
        state.withLockedValue { $0.wantPaused = true }
    }

    public func resume() {
        state.withLockedValue { $0.wantPaused = false }
        room.lock()
        room.unlock(withValue: true)
    }

    public func partitionReleased(_ partition: Int, generation: UInt32) {
        state.withLockedValue { state in
            guard state.owned[partition]?.generation == generation || generation == 0 else { return }
            state.owned[partition]?.released = true
        }
    }

    // MARK: The poll thread

    private func pollLoop(_ client: KafkaClient) {
        let rk = client.pointer
        var lastHousekeeping = NIODeadline.now()
        var wasUp = false
        if client.reachable(timeoutMilliseconds: 5000) {
            connectionState.up(self)
            wasUp = true
        }
        while !state.withLockedValue({ $0.stopping }) {
            applyPause(rk)
            storeOffsets(rk, only: nil)
            let now = NIODeadline.now()
            if now - lastHousekeeping > .seconds(2) {
                lastHousekeeping = now
                reportLag(rk)
            }
            if !offerHeld() {
                let since = windowFullSince ?? .now()
                windowFullSince = since
                if NIODeadline.now() - since < Self.pauseGrace {
                    // Wait for room rather than pause (see `pauseGrace`).
                    if room.lock(whenValue: true, timeoutSeconds: 0.005) { room.unlock(withValue: false) }
                    continue
                }
                // The window stays full: pause, and keep serving rebalances and errors.
                ensurePaused(rk)
            } else {
                windowFullSince = nil
            }
            guard let message = rd_kafka_consumer_poll(rk, 50) else { continue }
            defer { rd_kafka_message_destroy(message) }
            if message.pointee.err != RD_KAFKA_RESP_ERR_NO_ERROR {
                consumerError(message)
                continue
            }
            if !wasUp || needsUp.withLockedValue({ $0 }) {
                wasUp = true
                needsUp.withLockedValue { $0 = false }
                connectionState.up(self)
            }
            handle(message, rk)
        }
        shutdown(client)
    }

    /// Set when all brokers were reported down; the next record marks the connection up.
    private let needsUp = NIOLockedValueBox(false)

    private func handle(_ message: UnsafeMutablePointer<rd_kafka_message_t>, _ rk: OpaquePointer) {
        guard let rkt = message.pointee.rkt else { return }
        let topic = String(cString: rd_kafka_topic_name(rkt))
        let partition = message.pointee.partition
        let id = partitionID(topic: topic, partition: partition)
        guard state.withLockedValue({ $0.owned[id].map { !$0.revoking } ?? false }) else { return }
        let envelope = KafkaIngress.envelope(of: message, connection: connection, topic: topic, allocator: allocator, now: .now())
        let item = Held(envelope: envelope, id: id, offset: message.pointee.offset)
        let queued = held.withLockedValue { held -> Bool in
            guard !held.isEmpty else { return false }
            held.append(item)
            return true
        }
        if queued { return }
        if !offer(item) {
            // Paused by the poll loop when the window stays full past `pauseGrace`.
            held.withLockedValue { $0.append(item) }
            if windowFullSince == nil { windowFullSince = .now() }
        }
    }

    /// Hands one record to the core. False when the window is full (keep it and retry).
    private func offer(_ item: Held) -> Bool {
        guard let delivery = delivery.withLockedValue({ $0 }) else { return true }
        switch delivery.receive(item.envelope, partition: item.id, token: UInt64(bitPattern: item.offset)) {
        case .accepted, .notTaking:
            // Not taken (draining, or the partition is being revoked): left unacked, so the
            // committed offset stays before it and the next owner or run reads it again.
            return true
        case .windowFull:
            return false
        }
    }

    /// Offers the records refused while the window was full, in order. False while some remain.
    private func offerHeld() -> Bool {
        while let first = held.withLockedValue({ $0.first }) {
            let current = state.withLockedValue { $0.owned[first.id].map { !$0.revoking && !$0.released } ?? false }
            if current && !offer(first) { return false }
            held.withLockedValue { _ = $0.popFirst() }
        }
        return true
    }

    private func applyPause(_ rk: OpaquePointer) {
        let (want, applied, partitions) = state.withLockedValue { state in
            (state.wantPaused, state.appliedPaused, state.owned.values.map { ($0.topic, $0.partition) })
        }
        var target = want
        // The core's pause and resume calls can cross on their way here; its own count decides.
        if want, !applied, let delivery = delivery.withLockedValue({ $0 }), delivery.routeState == .consuming {
            target = delivery.stats.inFlight >= maxInFlight
        }
        // A full window pauses only once it has lasted `pauseGrace` (the loop waits until then).
        if target, !applied, windowFullSince.map({ NIODeadline.now() - $0 < Self.pauseGrace }) ?? true {
            target = false
        }
        guard target != applied else { return }
        setPaused(rk, target, partitions)
    }

    private func ensurePaused(_ rk: OpaquePointer) {
        let (applied, partitions) = state.withLockedValue { state in
            (state.appliedPaused, state.owned.values.map { ($0.topic, $0.partition) })
        }
        if !applied { setPaused(rk, true, partitions) }
    }

    private func setPaused(_ rk: OpaquePointer, _ paused: Bool, _ partitions: [(String, Int32)]) {
        state.withLockedValue { $0.appliedPaused = paused }
        guard !partitions.isEmpty, let list = rd_kafka_topic_partition_list_new(Int32(partitions.count)) else { return }
        defer { rd_kafka_topic_partition_list_destroy(list) }
        for (topic, partition) in partitions { rd_kafka_topic_partition_list_add(list, topic, partition) }
        let err = paused ? rd_kafka_pause_partitions(rk, list) : rd_kafka_resume_partitions(rk, list)
        if err != RD_KAFKA_RESP_ERR_NO_ERROR {
            logger.warning("\(paused ? "pause" : "resume") failed: \(String(cString: rd_kafka_err2str(err)))")
        }
        logger.debug(paused ? "partitions paused: window full" : "partitions resumed", metadata: ["partitions": "\(partitions.count)"])
    }

    /// Pauses or resumes `partitions` without changing the route's applied state.
    private func setPausedOnly(_ rk: OpaquePointer, _ paused: Bool, _ partitions: [(String, Int32)]) {
        guard !partitions.isEmpty, let list = rd_kafka_topic_partition_list_new(Int32(partitions.count)) else { return }
        defer { rd_kafka_topic_partition_list_destroy(list) }
        for (topic, partition) in partitions { rd_kafka_topic_partition_list_add(list, topic, partition) }
        let err = paused ? rd_kafka_pause_partitions(rk, list) : rd_kafka_resume_partitions(rk, list)
        if err != RD_KAFKA_RESP_ERR_NO_ERROR {
            logger.warning("\(paused ? "pause" : "resume") of assigned partitions failed: \(String(cString: rd_kafka_err2str(err)))")
        }
    }

    /// Hands the acked offsets to librdkafka (auto-commit commits them).
    ///
    /// - Parameter only: Limit to these partition ids.
    private func storeOffsets(_ rk: OpaquePointer, only: Set<Int>?) {
        let pending = state.withLockedValue { state -> [(String, Int32, Int64)] in
            var out: [(String, Int32, Int64)] = []
            for (id, owned) in state.owned where owned.toStore != nil && (only?.contains(id) ?? true) {
                out.append((owned.topic, owned.partition, owned.toStore!))
                state.owned[id]!.toStore = nil
            }
            return out
        }
        guard !pending.isEmpty, let list = rd_kafka_topic_partition_list_new(Int32(pending.count)) else { return }
        defer { rd_kafka_topic_partition_list_destroy(list) }
        for (topic, partition, offset) in pending {
            rd_kafka_topic_partition_list_add(list, topic, partition).pointee.offset = offset
        }
        let err = rd_kafka_offsets_store(rk, list)
        if err != RD_KAFKA_RESP_ERR_NO_ERROR {
            logger.debug("offsets_store: \(String(cString: rd_kafka_err2str(err)))")
        }
    }

    private func reportLag(_ rk: OpaquePointer) {
        let owned = state.withLockedValue { Array($0.owned.values) }
        for partition in owned where !partition.revoking {
            var low: Int64 = -1
            var high: Int64 = -1
            guard rd_kafka_get_watermark_offsets(rk, partition.topic, partition.partition, &low, &high) == RD_KAFKA_RESP_ERR_NO_ERROR,
                high >= 0
            else { continue }
            // The next offset to commit; before the first ack, the consumer's position (a
            // local lookup: the poll thread never waits on a broker for the lag).
            var next = partition.acked
            if next == nil, let list = rd_kafka_topic_partition_list_new(1) {
                rd_kafka_topic_partition_list_add(list, partition.topic, partition.partition)
                if rd_kafka_position(rk, list) == RD_KAFKA_RESP_ERR_NO_ERROR, list.pointee.elems[0].offset >= 0 {
                    next = list.pointee.elems[0].offset
                }
                rd_kafka_topic_partition_list_destroy(list)
            }
            connectionState.lag(high - (next ?? max(low, 0)), topic: partition.topic, partition: partition.partition)
        }
    }

    private func consumerError(_ message: UnsafeMutablePointer<rd_kafka_message_t>) {
        let err = message.pointee.err
        clientError(err, String(cString: rd_kafka_err2str(err)))
    }

    fileprivate func clientError(_ err: rd_kafka_resp_err_t, _ reason: String) {
        switch err {
        case RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN:
            logger.warning("kafka: all brokers down", metadata: ["reason": "\(reason)"])
            needsUp.withLockedValue { $0 = true }
            connectionState.down(self)
        case RD_KAFKA_RESP_ERR__PARTITION_EOF:
            break
        case RD_KAFKA_RESP_ERR__TRANSPORT, RD_KAFKA_RESP_ERR__RESOLVE:
            logger.debug("kafka: \(reason)")
        case RD_KAFKA_RESP_ERR__FATAL:
            logger.error("kafka consumer: fatal error: \(reason)")
        default:
            logger.warning("kafka consumer: \(reason)")
        }
    }

    private func partitionID(topic: String, partition: Int32) -> Int {
        // Topic index × 2^16 + partition: stable, small, and unique for the route's topics.
        let key = topic
        return state.withLockedValue { state in
            let base: Int
            if let known = state.ids[key] {
                base = known
            } else {
                base = state.ids.count
                state.ids[key] = base
            }
            return base << 16 | Int(partition)
        }
    }

    // MARK: Rebalance (CONTRACT 5.4)

    fileprivate func rebalance(_ rk: OpaquePointer?, _ err: rd_kafka_resp_err_t, _ partitions: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>) {
        guard let rk else { return }
        var list: [(String, Int32)] = []
        for i in 0..<Int(partitions.pointee.cnt) {
            let element = partitions.pointee.elems[i]
            list.append((String(cString: element.topic), element.partition))
        }
        let delivery = delivery.withLockedValue { $0 }
        switch err {
        case RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS:
            for (topic, partition) in list {
                let id = partitionID(topic: topic, partition: partition)
                let generation = delivery?.assign(partition: id) ?? 1
                state.withLockedValue { $0.owned[id] = Owned(topic: topic, partition: partition, generation: generation) }
            }
            if let error = rd_kafka_incremental_assign(rk, partitions) {
                logger.error("incremental_assign: \(String(cString: rd_kafka_error_string(error)))")
                rd_kafka_error_destroy(error)
            }
            // New partitions start paused when the window is full, and resumed otherwise:
            // librdkafka keeps a partition's pause flag across an unassign and a new assign
            // (a partition lost while paused would otherwise come back paused for good).
            setPausedOnly(rk, state.withLockedValue { $0.appliedPaused }, list)
            connectionState.up(self)
            logger.info("partitions assigned", metadata: ["partitions": "\(list.map { "\($0.0)[\($0.1)]" }.joined(separator: ","))"])
        case RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS:
            let lost = rd_kafka_assignment_lost(rk) != 0
            revoke(rk, list, lost: lost, delivery: delivery)
            if let error = rd_kafka_incremental_unassign(rk, partitions) {
                logger.error("incremental_unassign: \(String(cString: rd_kafka_error_string(error)))")
                rd_kafka_error_destroy(error)
            }
        default:
            logger.error("rebalance error: \(String(cString: rd_kafka_err2str(err)))")
            revoke(rk, list, lost: true, delivery: delivery)
            _ = rd_kafka_assign(rk, nil)
        }
    }

    /// Stops taking from `list`, waits up to 5 s for their in-flight messages, abandons the
    /// rest (counted by the core), commits what was confirmed and forgets the partitions.
    private func revoke(_ rk: OpaquePointer, _ list: [(String, Int32)], lost: Bool, delivery: RouteDelivery?) {
        let ids = Set(list.map { partitionID(topic: $0.0, partition: $0.1) })
        state.withLockedValue { state in
            for id in ids { state.owned[id]?.revoking = true }
        }
        for id in ids { delivery?.revoke(partition: id) }
        let deadline = NIODeadline.now() + (lost ? .zero : Self.revokeWait)
        while NIODeadline.now() < deadline {
            let waiting = state.withLockedValue { state in ids.contains { state.owned[$0].map { !$0.released } ?? false } }
            if !waiting { break }
            Thread.sleep(forTimeInterval: 0.01)
        }
        for id in ids where state.withLockedValue({ $0.owned[id].map { !$0.released } ?? false }) {
            delivery?.abandon(partition: id)
        }
        if !lost {
            storeOffsets(rk, only: ids)
            let err = rd_kafka_commit(rk, nil, 0)
            if err != RD_KAFKA_RESP_ERR_NO_ERROR && err != RD_KAFKA_RESP_ERR__NO_OFFSET {
                logger.warning("commit on revoke: \(String(cString: rd_kafka_err2str(err)))")
            }
        }
        let removed = state.withLockedValue { state in ids.compactMap { state.owned.removeValue(forKey: $0) } }
        held.withLockedValue { held in held.removeAll { ids.contains($0.id) } }
        for partition in removed { connectionState.removed(topic: partition.topic, partition: partition.partition) }
        logger.info(
            lost ? "partitions lost" : "partitions revoked",
            metadata: ["partitions": "\(list.map { "\($0.0)[\($0.1)]" }.joined(separator: ","))"]
        )
    }

    /// On the poll thread, after the core drained: store and commit what was acked, close.
    private func shutdown(_ client: KafkaClient) {
        let rk = client.pointer
        storeOffsets(rk, only: nil)
        let err = rd_kafka_commit(rk, nil, 0)
        if err != RD_KAFKA_RESP_ERR_NO_ERROR && err != RD_KAFKA_RESP_ERR__NO_OFFSET {
            logger.warning("final commit: \(String(cString: rd_kafka_err2str(err)))")
        }
        // Closing leaves the group; the revoke it triggers finds nothing in flight.
        let closeErr = rd_kafka_consumer_close(rk)
        if closeErr != RD_KAFKA_RESP_ERR_NO_ERROR {
            logger.warning("consumer close: \(String(cString: rd_kafka_err2str(closeErr)))")
        }
        logger.info("kafka source closed")
        let waiters = state.withLockedValue { state in
            state.finished = true
            defer { state.closed = [] }
            return state.closed
        }
        for waiter in waiters { waiter.resume() }
    }
}
