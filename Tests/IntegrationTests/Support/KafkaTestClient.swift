import CRdKafka
import Foundation
import Synchronization

/// One record as a test sees it.
struct KafkaRecord: Sendable {
    var topic: String
    var partition: Int32
    var offset: Int64
    var key: [UInt8]?
    /// Nil for a null value.
    var value: [UInt8]?
    var headers: [(name: String, value: [UInt8])]
    var timestamp: Int64

    func header(_ name: String) -> String? {
        headers.first { $0.name == name }.map { String(decoding: $0.value, as: UTF8.self) }
    }

    var text: String { value.map { String(decoding: $0, as: UTF8.self) } ?? "<null>" }
}

/// A message to produce.
struct OutgoingRecord: Sendable {
    var partition: Int32
    var key: String?
    var value: String
    var headers: [(String, String)] = []
}

/// The tests' own librdkafka producer and consumers (no consumer group joins: reads assign
/// partitions directly, and the committed offsets of the bridge's group are read with
/// OffsetFetch, which does not disturb the group).
enum KafkaTestClient {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    private final class Reports: Sendable {
        let failed = Atomic<Int>(0)
        let delivered = Atomic<Int>(0)
        let firstError = Mutex<String?>(nil)
    }

    private static func make(_ type: rd_kafka_type_t, _ properties: [(String, String)], opaque: UnsafeMutableRawPointer? = nil) throws -> OpaquePointer {
        let conf = rd_kafka_conf_new()
        var errstr = [CChar](repeating: 0, count: 512)
        for (key, value) in properties where rd_kafka_conf_set(conf, key, value, &errstr, errstr.count) != RD_KAFKA_CONF_OK {
            throw Failure(description: "\(key)=\(value) refused")
        }
        rd_kafka_conf_set_log_cb(conf) { _, level, _, message in
            if level <= 3, let message { FileHandle.standardError.write(Data("test client: \(String(cString: message))\n".utf8)) }
        }
        if let opaque {
            rd_kafka_conf_set_opaque(conf, opaque)
            rd_kafka_conf_set_dr_msg_cb(conf) { _, message, opaque in
                guard let opaque, let message else { return }
                let reports = Unmanaged<Reports>.fromOpaque(opaque).takeUnretainedValue()
                if message.pointee.err == RD_KAFKA_RESP_ERR_NO_ERROR {
                    reports.delivered.add(1, ordering: .relaxed)
                } else {
                    reports.failed.add(1, ordering: .relaxed)
                    let text = String(cString: rd_kafka_err2str(message.pointee.err))
                    reports.firstError.withLock { $0 = $0 ?? text }
                }
            }
        }
        guard let rk = rd_kafka_new(type, conf, &errstr, errstr.count) else {
            throw Failure(description: "rd_kafka_new failed")
        }
        return rk
    }

    /// Produces `records` to `topic` and waits until every one is acknowledged (acks=all).
    /// - Parameter pace: Records per second, or nil for as fast as possible.
    static func produce(_ records: [OutgoingRecord], to topic: String, bootstrap: String, pace: Int? = nil) throws {
        let reports = Reports()
        let opaque = Unmanaged.passRetained(reports)
        defer { opaque.release() }
        let rk = try make(
            RD_KAFKA_PRODUCER,
            [("bootstrap.servers", bootstrap), ("acks", "all"), ("enable.idempotence", "true"), ("linger.ms", "2"),
             ("message.timeout.ms", "60000")],
            opaque: opaque.toOpaque()
        )
        defer { rd_kafka_destroy(rk) }
        let started = Date()
        for (index, record) in records.enumerated() {
            while true {
                let err = produceOne(rk, topic: topic, record)
                if err == RD_KAFKA_RESP_ERR_NO_ERROR { break }
                guard err == RD_KAFKA_RESP_ERR__QUEUE_FULL else {
                    throw Failure(description: "produce: \(String(cString: rd_kafka_err2str(err)))")
                }
                rd_kafka_poll(rk, 10)
            }
            rd_kafka_poll(rk, 0)
            if let pace, index % 50 == 49 {
                let due = started.addingTimeInterval(Double(index + 1) / Double(pace))
                let wait = due.timeIntervalSinceNow
                if wait > 0 { Thread.sleep(forTimeInterval: wait) }
            }
        }
        let err = rd_kafka_flush(rk, 60_000)
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR else { throw Failure(description: "flush: \(String(cString: rd_kafka_err2str(err)))") }
        let failed = reports.failed.load(ordering: .relaxed)
        guard failed == 0 else {
            throw Failure(description: "\(failed) records not delivered: \(reports.firstError.withLock { $0 } ?? "")")
        }
    }

    private static func produceOne(_ rk: OpaquePointer, topic: String, _ record: OutgoingRecord) -> rd_kafka_resp_err_t {
        let headers = rd_kafka_headers_new(record.headers.count)
        for (name, value) in record.headers { _ = rd_kafka_header_add(headers, name, -1, value, value.utf8.count) }
        let value = Array(record.value.utf8)
        let key = record.key.map { Array($0.utf8) }
        let emptyValue = [UInt8(0)]
        let err = topic.withCString { topicName in
            (value.isEmpty ? emptyValue : value).withUnsafeBytes { valueBytes in
                (key ?? []).withUnsafeBytes { keyBytes in
                    var values = [rd_kafka_vu_t](repeating: rd_kafka_vu_t(), count: 6)
                    values[0].vtype = RD_KAFKA_VTYPE_TOPIC
                    values[0].u.cstr = topicName
                    values[1].vtype = RD_KAFKA_VTYPE_PARTITION
                    values[1].u.i32 = record.partition
                    values[2].vtype = RD_KAFKA_VTYPE_MSGFLAGS
                    values[2].u.i = RD_KAFKA_MSG_F_COPY
                    values[3].vtype = RD_KAFKA_VTYPE_VALUE
                    values[3].u.mem.ptr = UnsafeMutableRawPointer(mutating: valueBytes.baseAddress)
                    values[3].u.mem.size = value.count
                    values[4].vtype = RD_KAFKA_VTYPE_HEADERS
                    values[4].u.headers = headers
                    var count = 5
                    if key != nil {
                        values[5].vtype = RD_KAFKA_VTYPE_KEY
                        values[5].u.mem.ptr = UnsafeMutableRawPointer(mutating: keyBytes.baseAddress ?? valueBytes.baseAddress)
                        values[5].u.mem.size = keyBytes.count
                        count = 6
                    }
                    guard let error = rd_kafka_produceva(rk, values, count) else { return RD_KAFKA_RESP_ERR_NO_ERROR }
                    defer { rd_kafka_error_destroy(error) }
                    return rd_kafka_error_code(error)
                }
            }
        }
        if err != RD_KAFKA_RESP_ERR_NO_ERROR { rd_kafka_headers_destroy(headers) }
        return err
    }

    /// Reads `topic` from the beginning of its `partitions` until `until` returns true for
    /// what was read, or `timeout` passes.
    static func consume(
        _ topic: String, partitions: Int, bootstrap: String, timeout: TimeInterval, until: ([KafkaRecord]) -> Bool
    ) throws -> [KafkaRecord] {
        let rk = try make(
            RD_KAFKA_CONSUMER,
            [("bootstrap.servers", bootstrap), ("group.id", "test-reader-\(UUID().uuidString)"), ("enable.auto.commit", "false"),
             ("enable.partition.eof", "false")]
        )
        defer {
            rd_kafka_consumer_close(rk)
            rd_kafka_destroy(rk)
        }
        rd_kafka_poll_set_consumer(rk)
        let list = rd_kafka_topic_partition_list_new(Int32(partitions))
        for p in 0..<partitions {
            rd_kafka_topic_partition_list_add(list, topic, Int32(p)).pointee.offset = Int64(RD_KAFKA_OFFSET_BEGINNING)
        }
        rd_kafka_assign(rk, list)
        rd_kafka_topic_partition_list_destroy(list)
        var records: [KafkaRecord] = []
        let deadline = Date().addingTimeInterval(timeout)
        var lastCheck = 0
        while Date() < deadline {
            if records.count != lastCheck || records.isEmpty {
                lastCheck = records.count
                if until(records) { break }
            }
            guard let message = rd_kafka_consumer_poll(rk, 100) else {
                if until(records) { break }
                continue
            }
            defer { rd_kafka_message_destroy(message) }
            guard message.pointee.err == RD_KAFKA_RESP_ERR_NO_ERROR else { continue }
            records.append(record(message))
        }
        return records
    }

    private static func record(_ message: UnsafeMutablePointer<rd_kafka_message_t>) -> KafkaRecord {
        let m = message.pointee
        var headers: [(String, [UInt8])] = []
        var hdrs: OpaquePointer?
        if rd_kafka_message_headers(message, &hdrs) == RD_KAFKA_RESP_ERR_NO_ERROR, let hdrs {
            var index = 0
            var name: UnsafePointer<CChar>?
            var value: UnsafeRawPointer?
            var size = 0
            while rd_kafka_header_get_all(hdrs, index, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR {
                headers.append((String(cString: name!), value.map { Array(UnsafeRawBufferPointer(start: $0, count: size)) } ?? []))
                index += 1
            }
        }
        var type = RD_KAFKA_TIMESTAMP_NOT_AVAILABLE
        return KafkaRecord(
            topic: String(cString: rd_kafka_topic_name(m.rkt)),
            partition: m.partition,
            offset: m.offset,
            key: m.key.map { Array(UnsafeRawBufferPointer(start: $0, count: m.key_len)) },
            value: m.payload.map { Array(UnsafeRawBufferPointer(start: $0, count: m.len)) },
            headers: headers,
            timestamp: rd_kafka_message_timestamp(message, &type)
        )
    }

    /// The committed offsets of `group` for `topic`'s partitions (-1001 when none).
    static func committed(group: String, topic: String, partitions: Int, bootstrap: String) throws -> [Int64] {
        let rk = try make(RD_KAFKA_CONSUMER, [("bootstrap.servers", bootstrap), ("group.id", group), ("enable.auto.commit", "false")])
        defer { rd_kafka_destroy(rk) }
        let list = rd_kafka_topic_partition_list_new(Int32(partitions))!
        defer { rd_kafka_topic_partition_list_destroy(list) }
        for p in 0..<partitions { rd_kafka_topic_partition_list_add(list, topic, Int32(p)) }
        let err = rd_kafka_committed(rk, list, 10_000)
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR else { throw Failure(description: "committed: \(String(cString: rd_kafka_err2str(err)))") }
        return (0..<partitions).map { list.pointee.elems[$0].offset }
    }
}
