import NIOCore

/// A message-id or correlation-id: ulong, uuid, binary or string.
public enum AMQP10MessageID: Sendable, Hashable {
    case ulong(UInt64)
    case uuid(AMQP10UUID)
    case binary(ByteBuffer)
    case string(String)

    public var value: AMQP10Value {
        switch self {
        case .ulong(let id): .ulong(id)
        case .uuid(let id): .uuid(id)
        case .binary(let id): .binary(id)
        case .string(let id): .string(id)
        }
    }

    static func from(_ value: AMQP10Value) -> AMQP10MessageID? {
        switch value {
        case .ulong(let id): .ulong(id)
        case .uuid(let id): .uuid(id)
        case .binary(let id): .binary(id)
        case .string(let id): .string(id)
        default: nil
        }
    }
}
