import NIOCore
import Synchronization

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

    /// A new version-4 UUID, lower-case. Foundation's `UUID()` opens and reads
    /// /dev/urandom on every call (a profile of AMQP→MQTT showed it per message); this one
    /// draws two seeds from the system generator once and mixes a process-wide counter with
    /// SplitMix64, a bijection: ids never repeat within a process and differ between
    /// processes by their seeds.
    public static func newUUID() -> String {
        let n = uuidCounter.add(1, ordering: .relaxed).newValue
        let high = splitMix64(uuidSeeds.0 &+ n) & 0xFFFF_FFFF_FFFF_0FFF | 0x0000_0000_0000_4000  // version 4
        let low = splitMix64(uuidSeeds.1 &+ n) & 0x3FFF_FFFF_FFFF_FFFF | 0x8000_0000_0000_0000  // RFC 4122 variant
        return String(unsafeUninitializedCapacity: 36) { buffer in
            let digits: StaticString = "0123456789abcdef"
            var index = 0
            func put(_ value: UInt64, nibbles: Int) {
                for shift in stride(from: (nibbles - 1) * 4, through: 0, by: -4) {
                    buffer[index] = digits.utf8Start[Int((value >> UInt64(shift)) & 0xF)]
                    index += 1
                }
            }
            func dash() {
                buffer[index] = UInt8(ascii: "-")
                index += 1
            }
            put(high >> 32, nibbles: 8)
            dash()
            put(high >> 16, nibbles: 4)
            dash()
            put(high, nibbles: 4)
            dash()
            put(low >> 48, nibbles: 4)
            dash()
            put(low, nibbles: 12)
            return index
        }
    }

    private static let uuidCounter = Atomic<UInt64>(0)
    private static let uuidSeeds: (UInt64, UInt64) = {
        var generator = SystemRandomNumberGenerator()
        return (generator.next(), generator.next())
    }()

    private static func splitMix64(_ value: UInt64) -> UInt64 {
        var z = value &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
