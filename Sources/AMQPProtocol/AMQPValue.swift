import NIOCore

/// A value in a field table or field array, with the exact wire type RabbitMQ uses, so
/// that decoding and encoding again gives the same bytes (an int8 stays an int8).
///
/// Type octets per RabbitMQ's errata of AMQP 0-9-1 (note `s` is a signed 16-bit integer
/// there, not a short string).
public enum AMQPValue: Sendable, Hashable {
    /// `t`: one octet, 0 or 1 (any non-zero octet decodes as true).
    case bool(Bool)
    /// `b`
    case int8(Int8)
    /// `B`
    case uint8(UInt8)
    /// `s`
    case int16(Int16)
    /// `u`
    case uint16(UInt16)
    /// `I`
    case int32(Int32)
    /// `i`
    case uint32(UInt32)
    /// `l`
    case int64(Int64)
    /// `f`: IEEE 754 single precision.
    case float(Float)
    /// `d`: IEEE 754 double precision.
    case double(Double)
    /// `D`: `value` × 10^-`scale`.
    case decimal(scale: UInt8, value: UInt32)
    /// `S`: a long string; bytes, usually UTF-8 text, kept as they came (a slice, no copy).
    case longString(ByteBuffer)
    /// `A`: values each with their own type.
    case array([AMQPValue])
    /// `T`: seconds since the Unix epoch.
    case timestamp(UInt64)
    /// `F`: a nested table.
    case table(FieldTable)
    /// `V`: no value.
    case void
    /// `x`: a byte array.
    case bytes(ByteBuffer)

    /// A long string (`S`) holding `text` as UTF-8.
    public static func string(_ text: String) -> AMQPValue {
        .longString(ByteBuffer(string: text))
    }

    /// The text of a long string (`S`); nil for every other type.
    public var stringValue: String? {
        if case .longString(let bytes) = self { return String(buffer: bytes) }
        return nil
    }

    /// The type octet on the wire.
    public var typeOctet: UInt8 {
        switch self {
        case .bool: UInt8(ascii: "t")
        case .int8: UInt8(ascii: "b")
        case .uint8: UInt8(ascii: "B")
        case .int16: UInt8(ascii: "s")
        case .uint16: UInt8(ascii: "u")
        case .int32: UInt8(ascii: "I")
        case .uint32: UInt8(ascii: "i")
        case .int64: UInt8(ascii: "l")
        case .float: UInt8(ascii: "f")
        case .double: UInt8(ascii: "d")
        case .decimal: UInt8(ascii: "D")
        case .longString: UInt8(ascii: "S")
        case .array: UInt8(ascii: "A")
        case .timestamp: UInt8(ascii: "T")
        case .table: UInt8(ascii: "F")
        case .void: UInt8(ascii: "V")
        case .bytes: UInt8(ascii: "x")
        }
    }
}

extension AMQPValue: ExpressibleByStringLiteral, ExpressibleByBooleanLiteral {
    /// A string literal is a long string (`S`), the type RabbitMQ uses for text.
    public init(stringLiteral value: String) {
        self = .string(value)
    }

    public init(booleanLiteral value: Bool) {
        self = .bool(value)
    }
}
