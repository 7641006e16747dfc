import CRdKafka
import Foundation
import Synchronization

/// Bench Kafka clients on librdkafka: a producer with acks=all and idempotence that spreads
/// messages over the topic's partitions, and a consumer that reads every partition from the
/// beginning (assigned, no group join) on a thread of its own.
enum KafkaLoad {
    struct Failure: Error, CustomStringConvertible { var description: String }

    static func handle(_ type: rd_kafka_type_t, _ properties: [(String, String)], configure: (OpaquePointer?) -> Void = { _ in }) throws -> OpaquePointer {
        let conf = rd_kafka_conf_new()
        var errstr = [CChar](repeating: 0, count: 512)
        for (key, value) in properties where rd_kafka_conf_set(conf, key, value, &errstr, errstr.count) != RD_KAFKA_CONF_OK {
            throw Failure(description: "\(key)=\(value): \(String(cString: errstr))")
        }
        rd_kafka_conf_set_log_cb(conf) { _, level, _, message in
            if level <= 3, let message { FileHandle.standardError.write(Data("bench kafka: \(String(cString: message))\n".utf8)) }
        }
        configure(conf)
        guard let rk = rd_kafka_new(type, conf, &errstr, errstr.count) else {
            throw Failure(description: "rd_kafka_new: \(String(cString: errstr))")
        }
        return rk
    }

    /// Delivery reports of one producer.
    final class Reports: Sendable {
        let delivered = Atomic<Int>(0)
        let failed = Atomic<Int>(0)
    }

    final class Producer {
        let rk: OpaquePointer
        let reports = Reports()
        private let opaque: Unmanaged<Reports>

        init(bootstrap: String) throws {
            let opaque = Unmanaged.passRetained(reports)
            self.opaque = opaque
            rk = try KafkaLoad.handle(
                RD_KAFKA_PRODUCER,
                [("bootstrap.servers", bootstrap), ("acks", "all"), ("enable.idempotence", "true"), ("linger.ms", "5"),
                 ("queue.buffering.max.messages", "1000000"), ("queue.buffering.max.kbytes", "1048576"),
                 ("message.timeout.ms", "120000")]
            ) { conf in
                rd_kafka_conf_set_opaque(conf, opaque.toOpaque())
                rd_kafka_conf_set_dr_msg_cb(conf) { _, message, opaque in
                    guard let opaque, let message else { return }
                    let reports = Unmanaged<Reports>.fromOpaque(opaque).takeUnretainedValue()
                    if message.pointee.err == RD_KAFKA_RESP_ERR_NO_ERROR {
                        reports.delivered.add(1, ordering: .relaxed)
                    } else {
                        reports.failed.add(1, ordering: .relaxed)
                    }
                }
            }
        }

        deinit {
            rd_kafka_destroy(rk)
            opaque.release()
        }

        /// Produces `count` messages round-robin over `partitions` and returns when all are acknowledged.
        func send(topic: String, partitions: Int, pass: UInt32, count: Int, size: Int, rate: Double?) throws -> UInt64 {
            let before = reports.delivered.load(ordering: .relaxed)
            let failedBefore = reports.failed.load(ordering: .relaxed)
            var payload = Stamp.template(size: size)
            let pacer = Pacer(rate: rate)
            guard let rkt = rd_kafka_topic_new(rk, topic, nil) else { throw Failure(description: "topic \(topic)") }
            defer { rd_kafka_topic_destroy(rkt) }
            var seq = 0
            while seq < count {
                let due = pacer.due(count)
                if seq >= due {
                    rd_kafka_poll(rk, 0)
                    usleep(200)
                    continue
                }
                while seq < due {
                    let result = payload.withUnsafeMutableBytes { bytes -> Int32 in
                        Stamp.write(pass: pass, seq: UInt32(seq), into: bytes)
                        return rd_kafka_produce(rkt, Int32(seq % partitions), RD_KAFKA_MSG_F_COPY, bytes.baseAddress, bytes.count, nil, 0, nil)
                    }
                    if result == -1 {
                        let err = rd_kafka_last_error()
                        guard err == RD_KAFKA_RESP_ERR__QUEUE_FULL else {
                            throw Failure(description: "produce: \(String(cString: rd_kafka_err2str(err)))")
                        }
                        rd_kafka_poll(rk, 1)
                        continue
                    }
                    seq += 1
                    if seq & 63 == 0 { rd_kafka_poll(rk, 0) }
                }
            }
            while reports.delivered.load(ordering: .relaxed) + reports.failed.load(ordering: .relaxed) - before - failedBefore < count {
                rd_kafka_poll(rk, 1)
            }
            let end = monotonicNanos()
            let failed = reports.failed.load(ordering: .relaxed) - failedBefore
            guard failed == 0 else { throw Failure(description: "\(failed) messages not delivered to \(topic)") }
            return end
        }
    }

    final class Consumer: @unchecked Sendable {
        let collector = Collector()
        private let rk: OpaquePointer
        private let stop = Atomic<Bool>(false)
        private let stopped = DispatchSemaphore(value: 0)
        let topic: String
        let partitions: Int
        /// Errors the reader got instead of records (e.g. offset out of range when the mock
        /// dropped records before they were read), by text.
        private let errorCounts = Mutex<[String: Int]>([:])

        init(bootstrap: String, topic: String, partitions: Int) throws {
            self.topic = topic
            self.partitions = partitions
            rk = try KafkaLoad.handle(
                RD_KAFKA_CONSUMER,
                [("bootstrap.servers", bootstrap), ("group.id", "bench-reader-\(UUID().uuidString)"), ("enable.auto.commit", "false"),
                 ("enable.partition.eof", "false"), ("fetch.wait.max.ms", "10"), ("fetch.error.backoff.ms", "10")]
            )
            rd_kafka_poll_set_consumer(rk)
            let list = rd_kafka_topic_partition_list_new(Int32(partitions))
            for p in 0..<partitions {
                rd_kafka_topic_partition_list_add(list, topic, Int32(p)).pointee.offset = Int64(RD_KAFKA_OFFSET_BEGINNING)
            }
            rd_kafka_assign(rk, list)
            rd_kafka_topic_partition_list_destroy(list)
            let thread = Thread { [self] in self.loop() }
            thread.start()
        }

        private func loop() {
            while !stop.load(ordering: .relaxed) {
                guard let message = rd_kafka_consumer_poll(rk, 50) else { continue }
                if message.pointee.err == RD_KAFKA_RESP_ERR_NO_ERROR, let payload = message.pointee.payload {
                    collector.receive(UnsafeRawBufferPointer(start: payload, count: message.pointee.len))
                } else if message.pointee.err != RD_KAFKA_RESP_ERR_NO_ERROR {
                    let text = String(cString: rd_kafka_err2str(message.pointee.err))
                    errorCounts.withLock { $0[text, default: 0] += 1 }
                }
                rd_kafka_message_destroy(message)
            }
            stopped.signal()
        }

        /// The errors the reader got instead of records so far.
        var errors: [String: Int] { errorCounts.withLock { $0 } }

        /// Low and high watermark of every partition, asked of the broker: a low watermark
        /// above 0 means the broker dropped the partition's oldest records (the mock keeps
        /// about 5 MiB per partition).
        func watermarks() -> [(partition: Int32, low: Int64, high: Int64)] {
            (0..<Int32(partitions)).map { p in
                var low: Int64 = -1
                var high: Int64 = -1
                _ = rd_kafka_query_watermark_offsets(rk, topic, p, &low, &high, 2000)
                return (p, low, high)
            }
        }

        func close() {
            stop.store(true, ordering: .relaxed)
            stopped.wait()
            rd_kafka_consumer_close(rk)
            rd_kafka_destroy(rk)
        }
    }
}
