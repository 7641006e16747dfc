import CRdKafka
import Logging

/// A librdkafka handle (`rd_kafka_t *`).
///
/// `@unchecked Sendable` is safe: librdkafka documents every function called on a handle
/// through this wrapper as thread-safe, and the handle lives as long as the ``KafkaClient``
/// that owns it (destroyed only in its `deinit`, when no other reference remains).
struct KafkaHandle: @unchecked Sendable {
    let pointer: OpaquePointer
}

/// What went wrong creating or using a librdkafka client.
public struct KafkaError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var code: Int32

    public init(_ message: String, code: Int32 = -1) {
        self.message = message
        self.code = code
    }

    init(code: rd_kafka_resp_err_t, context: String) {
        self.message = "\(context): \(String(cString: rd_kafka_err2str(code)))"
        self.code = code.rawValue
    }

    public var description: String { message }
}

/// Owns one `rd_kafka_t`: created by ``make(_:properties:opaque:configure:)``, destroyed in
/// `deinit`. Consumers are closed by their owner before the last reference goes.
final class KafkaClient: Sendable {
    enum Kind {
        case producer, consumer
    }

    let handle: KafkaHandle
    let kind: Kind

    var pointer: OpaquePointer { handle.pointer }

    private init(handle: KafkaHandle, kind: Kind) {
        self.handle = handle
        self.kind = kind
    }

    /// Creates a client.
    ///
    /// - Parameters:
    ///   - kind: Producer or consumer.
    ///   - properties: librdkafka properties, applied in order (a later one wins).
    ///   - opaque: Handed to every callback (`rd_kafka_opaque`): an `Unmanaged` reference
    ///     to the object that handles the callbacks, which must outlive the client.
    ///   - configure: Sets callbacks on the `rd_kafka_conf_t` before the client is made.
    /// - Throws: ``KafkaError`` naming the property librdkafka refused.
    static func make(
        _ kind: Kind,
        properties: [(key: String, value: String)],
        opaque: UnsafeMutableRawPointer?,
        configure: (OpaquePointer) -> Void
    ) throws(KafkaError) -> KafkaClient {
        guard let conf = rd_kafka_conf_new() else { throw KafkaError("rd_kafka_conf_new failed") }
        var errstr = [CChar](repeating: 0, count: 512)
        for (key, value) in properties {
            let result = rd_kafka_conf_set(conf, key, value, &errstr, errstr.count)
            if result != RD_KAFKA_CONF_OK {
                rd_kafka_conf_destroy(conf)
                throw KafkaError("property \(key): \(String(errorBuffer: errstr))")
            }
        }
        rd_kafka_conf_set_opaque(conf, opaque)
        // librdkafka's own log lines go through swift-log (JSON in production), not stderr.
        rd_kafka_conf_set_log_cb(conf) { rk, level, facility, message in
            let logger = Logger(label: "librdkafka")
            let text = "\(facility.map { String(cString: $0) } ?? ""): \(message.map { String(cString: $0) } ?? "")"
            let name = rk.map { String(cString: rd_kafka_name($0)) } ?? ""
            // FAIL: a broker connection failed; librdkafka reconnects by itself, and the
            // connection state (all brokers down) is reported separately.
            let isFail = facility.map { String(cString: $0) == "FAIL" } ?? false
            switch isFail && level == 3 ? 4 : level {
            case ...3: logger.error("\(text)", metadata: ["client": "\(name)"])
            case 4: logger.warning("\(text)", metadata: ["client": "\(name)"])
            case 5, 6: logger.info("\(text)", metadata: ["client": "\(name)"])
            default: logger.debug("\(text)", metadata: ["client": "\(name)"])
            }
        }
        configure(conf)
        // rd_kafka_new takes the conf on success only.
        guard let rk = rd_kafka_new(kind == .producer ? RD_KAFKA_PRODUCER : RD_KAFKA_CONSUMER, conf, &errstr, errstr.count) else {
            rd_kafka_conf_destroy(conf)
            throw KafkaError("rd_kafka_new: \(String(errorBuffer: errstr))")
        }
        return KafkaClient(handle: KafkaHandle(pointer: rk), kind: kind)
    }

    deinit {
        rd_kafka_destroy(handle.pointer)
    }

    /// Names of the topics the cluster has, or an error when the metadata cannot be fetched.
    func topicNames(timeoutMilliseconds: Int32) -> Result<Set<String>, KafkaError> {
        var metadata: UnsafePointer<rd_kafka_metadata>?
        let err = rd_kafka_metadata(pointer, 1, nil, &metadata, timeoutMilliseconds)
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR, let metadata else {
            return .failure(KafkaError(code: err, context: "metadata"))
        }
        defer { rd_kafka_metadata_destroy(metadata) }
        var names = Set<String>()
        for i in 0..<Int(metadata.pointee.topic_cnt) {
            let topic = metadata.pointee.topics[i]
            if topic.err == RD_KAFKA_RESP_ERR_NO_ERROR { names.insert(String(cString: topic.topic)) }
        }
        return .success(names)
    }

    /// Whether a broker answers a metadata request within the timeout.
    func reachable(timeoutMilliseconds: Int32) -> Bool {
        var metadata: UnsafePointer<rd_kafka_metadata>?
        let err = rd_kafka_metadata(pointer, 0, nil, &metadata, timeoutMilliseconds)
        if let metadata { rd_kafka_metadata_destroy(metadata) }
        return err == RD_KAFKA_RESP_ERR_NO_ERROR
    }
}

extension String {
    /// The text of a NUL-terminated C buffer (librdkafka's `errstr`).
    init(errorBuffer buffer: [CChar]) {
        let bytes = buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        self = String(decoding: bytes, as: UTF8.self)
    }
}
