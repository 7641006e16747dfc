import NIOCore

/// One AMQP 1.0 value (spec part 1, types): every primitive, described values, lists, maps
/// and arrays.
///
/// Encoding picks the most compact form (`uint0`, `smalluint`, `list0`, `str8`, ...);
/// decoding accepts every form. Two values that differ only in the wire form they arrived in
/// are equal: `.uint(0)` is `.uint(0)` whether it came as `0x43` or `0x70 00000000`.
public indirect enum AMQP10Value: Sendable, Hashable {
    case null
    case boolean(Bool)
    case ubyte(UInt8)
    case ushort(UInt16)
    case uint(UInt32)
    case ulong(UInt64)
    case byte(Int8)
    case short(Int16)
    case int(Int32)
    case long(Int64)
    case float(Float)
    case double(Double)
    /// IEEE 754 decimal32, kept as its raw bits.
    case decimal32(UInt32)
    /// IEEE 754 decimal64, kept as its raw bits.
    case decimal64(UInt64)
    /// IEEE 754 decimal128, kept as its raw bits (high 64 bits first on the wire).
    case decimal128(high: UInt64, low: UInt64)
    /// A UTF-32BE code point.
    case char(Unicode.Scalar)
    /// Milliseconds since the Unix epoch.
    case timestamp(Int64)
    case uuid(AMQP10UUID)
    /// `vbin8` / `vbin32`.
    case binary(ByteBuffer)
    /// `str8-utf8` / `str32-utf8`.
    case string(String)
    /// `sym8` / `sym32`: ASCII.
    case symbol(String)
    /// `list0` / `list8` / `list32`: any values.
    case list([AMQP10Value])
    /// `map8` / `map32`: ordered key/value pairs.
    case map(AMQP10Map)
    /// `array8` / `array32`: values of one type. Encoding throws
    /// `AMQP10ProtocolError.arrayNotHomogeneous` for mixed element types. An empty array is
    /// written with the `sym8` element constructor (any element type decodes as `[]`).
    case array([AMQP10Value])
    /// A described value: a descriptor (`.ulong` code or `.symbol` name) and the value.
    case described(descriptor: AMQP10Value, value: AMQP10Value)
}

extension AMQP10Value: ExpressibleByStringLiteral, ExpressibleByBooleanLiteral, ExpressibleByNilLiteral {
    /// A string literal is a `string` (not a symbol).
    public init(stringLiteral value: String) { self = .string(value) }
    public init(booleanLiteral value: Bool) { self = .boolean(value) }
    public init(nilLiteral: ()) { self = .null }
}

extension AMQP10Value {
    /// The type's name in the spec ("uint", "symbol", "described"...), for error messages.
    public var typeName: String {
        switch self {
        case .null: "null"
        case .boolean: "boolean"
        case .ubyte: "ubyte"
        case .ushort: "ushort"
        case .uint: "uint"
        case .ulong: "ulong"
        case .byte: "byte"
        case .short: "short"
        case .int: "int"
        case .long: "long"
        case .float: "float"
        case .double: "double"
        case .decimal32: "decimal32"
        case .decimal64: "decimal64"
        case .decimal128: "decimal128"
        case .char: "char"
        case .timestamp: "timestamp"
        case .uuid: "uuid"
        case .binary: "binary"
        case .string: "string"
        case .symbol: "symbol"
        case .list: "list"
        case .map: "map"
        case .array: "array"
        case .described: "described"
        }
    }

    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }
}
