import CRdKafka
import Foundation
import Synchronization

/// Produces Kafka records with what ``KafkaTestClient`` does not set: binary values, keys
/// and header values, an explicit timestamp, and values over librdkafka's 1,000,000-byte
/// default (`message.max.bytes` raised). Waits for every delivery report (acks=all).
enum KafkaPeer {
    struct Record {
        var partition: Int32 = 0
        var key: [UInt8]?
        var value: [UInt8]
        var headers: [(name: String, value: [UInt8])] = []
        /// Milliseconds since the epoch; nil lets librdkafka stamp the produce time.
        var timestamp: Int64?
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    private final class Reports: Sendable {
        let failures = Mutex<[String]>([])
    }

    static func produce(_ records: [Record], to topic: String, bootstrap: String) throws {
        let conf = rd_kafka_conf_new()
        var errstr = [CChar](repeating: 0, count: 512)
        for (key, value) in [
            ("bootstrap.servers", bootstrap), ("acks", "all"), ("enable.idempotence", "true"), ("linger.ms", "1"),
            ("message.max.bytes", "4000000"), ("message.timeout.ms", "30000"),
        ] where rd_kafka_conf_set(conf, key, value, &errstr, errstr.count) != RD_KAFKA_CONF_OK {
            throw Failure(description: "\(key)=\(value) refused: \(String(cString: errstr))")
        }
        let reports = Reports()
        let opaque = Unmanaged.passRetained(reports)
        defer { opaque.release() }
        rd_kafka_conf_set_opaque(conf, opaque.toOpaque())
        rd_kafka_conf_set_dr_msg_cb(conf) { _, message, opaque in
            guard let opaque, let message, message.pointee.err != RD_KAFKA_RESP_ERR_NO_ERROR else { return }
            let text = String(cString: rd_kafka_err2str(message.pointee.err))
            Unmanaged<Reports>.fromOpaque(opaque).takeUnretainedValue().failures.withLock { $0.append(text) }
        }
        guard let rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, &errstr, errstr.count) else {
            throw Failure(description: "rd_kafka_new: \(String(cString: errstr))")
        }
        defer { rd_kafka_destroy(rk) }
        for record in records {
            let headers = rd_kafka_headers_new(record.headers.count)
            for header in record.headers {
                header.value.withUnsafeBytes { bytes in
                    _ = rd_kafka_header_add(headers, header.name, -1, bytes.baseAddress ?? UnsafeRawPointer(bitPattern: 1), bytes.count)
                }
            }
            let placeholder: [UInt8] = [0]
            let err = topic.withCString { topicName in
                (record.value.isEmpty ? placeholder : record.value).withUnsafeBytes { valueBytes in
                    (record.key.map { $0.isEmpty ? placeholder : $0 } ?? placeholder).withUnsafeBytes { keyBytes in
                        var values = [rd_kafka_vu_t](repeating: rd_kafka_vu_t(), count: 7)
                        values[0].vtype = RD_KAFKA_VTYPE_TOPIC
                        values[0].u.cstr = topicName
                        values[1].vtype = RD_KAFKA_VTYPE_PARTITION
                        values[1].u.i32 = record.partition
                        values[2].vtype = RD_KAFKA_VTYPE_MSGFLAGS
                        values[2].u.i = RD_KAFKA_MSG_F_COPY
                        // A non-null pointer with size 0 is an empty value, not a null one.
                        values[3].vtype = RD_KAFKA_VTYPE_VALUE
                        values[3].u.mem.ptr = UnsafeMutableRawPointer(mutating: valueBytes.baseAddress)
                        values[3].u.mem.size = record.value.count
                        values[4].vtype = RD_KAFKA_VTYPE_HEADERS
                        values[4].u.headers = headers
                        var count = 5
                        if let key = record.key {
                            values[count].vtype = RD_KAFKA_VTYPE_KEY
                            values[count].u.mem.ptr = UnsafeMutableRawPointer(mutating: keyBytes.baseAddress)
                            values[count].u.mem.size = key.count
                            count += 1
                        }
                        if let timestamp = record.timestamp {
                            values[count].vtype = RD_KAFKA_VTYPE_TIMESTAMP
                            values[count].u.i64 = timestamp
                            count += 1
                        }
                        guard let error = rd_kafka_produceva(rk, values, count) else { return RD_KAFKA_RESP_ERR_NO_ERROR }
                        defer { rd_kafka_error_destroy(error) }
                        return rd_kafka_error_code(error)
                    }
                }
            }
            if err != RD_KAFKA_RESP_ERR_NO_ERROR {
                rd_kafka_headers_destroy(headers)
                throw Failure(description: "produce to \(topic): \(String(cString: rd_kafka_err2str(err)))")
            }
            rd_kafka_poll(rk, 0)
        }
        let err = rd_kafka_flush(rk, 30_000)
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR else { throw Failure(description: "flush: \(String(cString: rd_kafka_err2str(err)))") }
        let failures = reports.failures.withLock { $0 }
        guard failures.isEmpty else { throw Failure(description: "\(failures.count) records to \(topic) not delivered: \(failures[0])") }
    }
}
