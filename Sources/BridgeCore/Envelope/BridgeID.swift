import NIOCore

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Derives `bridge-id` (CONTRACT section 4): an id of the source message that stays the
/// same when the source redelivers it.
public enum BridgeID {
    /// Kafka: `kafka:<connection>:<topic>:<partition>:<offset>`.
    public static func kafka(connection: String, topic: String, partition: Int32, offset: Int64) -> String {
        "kafka:\(connection):\(topic):\(partition):\(offset)"
    }

    /// AMQP 0-9-1: `amqp:<connection>:<message_id>` when the message has one, else a new UUID
    /// (and the caller sets `bridge-redelivered: true` when the broker flagged a redelivery).
    public static func amqp(connection: String, messageID: String?) -> String {
        if let messageID, !messageID.isEmpty { return "amqp:\(connection):\(messageID)" }
        return newUUID()
    }

    /// AMQP 1.0: `amqp10:<connection>:<message-id>`, else a new UUID.
    public static func amqp10(connection: String, messageID: String?) -> String {
        if let messageID, !messageID.isEmpty { return "amqp10:\(connection):\(messageID)" }
        return newUUID()
    }

    /// MQTT 5: the publisher's `message-id` user property when present, else
    /// `mqtt:<client id>:<packet id>:<first 8 hex of sha-256(topic, 0x00, payload)>`.
    public static func mqtt(clientID: String, packetID: UInt16, topic: String, payload: ByteBuffer, messageID: String?) -> String {
        if let messageID, !messageID.isEmpty { return messageID }
        var sha = SHA256()
        sha.update(Array(topic.utf8))
        sha.update([0])
        payload.withUnsafeReadableBytes { sha.update($0) }
        let digest = sha.finalize()
        var hex = ""
        for byte in digest.prefix(4) {
            hex += byte < 16 ? "0" + String(byte, radix: 16) : String(byte, radix: 16)
        }
        return "mqtt:\(clientID):\(packetID):\(hex)"
    }

    /// A new random UUID, lower-case.
    public static func newUUID() -> String {
        UUID().uuidString.lowercased()
    }
}
