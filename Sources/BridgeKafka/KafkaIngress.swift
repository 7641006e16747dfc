import BridgeCore
import CRdKafka
import NIOCore

/// Turns a consumed Kafka record into an ``Envelope`` (CONTRACT section 4, Kafka column).
enum KafkaIngress {
    /// - Parameters:
    ///   - message: The record, valid for the duration of the call.
    ///   - connection: The connection name (for `bridge-id` and `bridge-source`).
    ///   - topic: The record's topic.
    ///   - allocator: Where payload and key buffers come from.
    ///   - now: The receive time.
    static func envelope(
        of message: UnsafeMutablePointer<rd_kafka_message_t>,
        connection: String,
        topic: String,
        allocator: ByteBufferAllocator,
        now: NIODeadline
    ) -> Envelope {
        let record = message.pointee
        var payload = allocator.buffer(capacity: record.len)
        if let bytes = record.payload, record.len > 0 {
            payload.writeBytes(UnsafeRawBufferPointer(start: bytes, count: record.len))
        }
        var key: ByteBuffer?
        if let bytes = record.key {
            var buffer = allocator.buffer(capacity: record.key_len)
            buffer.writeBytes(UnsafeRawBufferPointer(start: bytes, count: record.key_len))
            key = buffer
        }
        var envelope = Envelope(
            payload: payload,
            source: SourceRef(protocol: .kafka, connection: connection, topic: topic, partition: record.partition, offset: record.offset),
            bridgeID: BridgeID.kafka(connection: connection, topic: topic, partition: record.partition, offset: record.offset),
            receivedAt: now,
            key: key
        )
        var timestampType = RD_KAFKA_TIMESTAMP_NOT_AVAILABLE
        let timestamp = rd_kafka_message_timestamp(message, &timestampType)
        if timestampType != RD_KAFKA_TIMESTAMP_NOT_AVAILABLE && timestamp >= 0 { envelope.timestamp = timestamp }

        var headers: OpaquePointer?
        guard rd_kafka_message_headers(message, &headers) == RD_KAFKA_RESP_ERR_NO_ERROR, let headers else { return envelope }
        var index = 0
        var fields: [Headers.Field] = []
        while true {
            var name: UnsafePointer<CChar>?
            var value: UnsafeRawPointer?
            var size = 0
            guard rd_kafka_header_get_all(headers, index, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR, let name else { break }
            index += 1
            let headerName = String(cString: name)
            let bytes = value.map { Array(UnsafeRawBufferPointer(start: $0, count: size)) } ?? []
            let text = String(validating: bytes, as: UTF8.self)
            switch headerName {
            case "content-type" where envelope.contentType == nil && text != nil:
                envelope.contentType = text
            case "correlation-id" where envelope.correlationID == nil:
                envelope.correlationID = bytes
            case BridgeHeader.messageID where envelope.messageID == nil && text != nil:
                envelope.messageID = text
            case "reply-to" where envelope.replyTo == nil && text != nil:
                envelope.replyTo = text
            case BridgeHeader.hops:
                envelope.hops = text.flatMap { Int($0.trimmingPrefix(" ")) } ?? envelope.hops
            case BridgeHeader.id:
                // The Kafka bridge-id is this record's own coordinates (CONTRACT section 4).
                continue
            default:
                fields.append(Headers.Field(name: headerName, value: text.map { .string($0) } ?? .bytes(bytes)))
            }
        }
        envelope.headers = Headers(fields)
        return envelope
    }
}
