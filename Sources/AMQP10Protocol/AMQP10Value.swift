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

/// A 16-byte UUID, kept as two big-endian halves (no Foundation dependency).
public struct AMQP10UUID: Sendable, Hashable, CustomStringConvertible {
    public var high: UInt64
    public var low: UInt64

    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// Parses the canonical `8-4-4-4-12` hexadecimal form (either case); nil if malformed.
    public init?(_ string: String) {
        let hex = string.utf8.filter { $0 != UInt8(ascii: "-") }
        guard string.utf8.count == 36, hex.count == 32 else { return nil }
        var value: (UInt64, UInt64) = (0, 0)
        for (index, char) in hex.enumerated() {
            let digit: UInt8
            switch char {
            case UInt8(ascii: "0") ... UInt8(ascii: "9"): digit = char - UInt8(ascii: "0")
            case UInt8(ascii: "a") ... UInt8(ascii: "f"): digit = char - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A") ... UInt8(ascii: "F"): digit = char - UInt8(ascii: "A") + 10
            default: return nil
            }
            if index < 16 { value.0 = value.0 << 4 | UInt64(digit) } else { value.1 = value.1 << 4 | UInt64(digit) }
        }
        let dashes = Array(string.utf8).enumerated().filter { $0.element == UInt8(ascii: "-") }.map(\.offset)
        guard dashes == [8, 13, 18, 23] else { return nil }
        self.init(high: value.0, low: value.1)
    }

    /// The canonical lower-case `8-4-4-4-12` form.
    public var description: String {
        let hex = String(self.high, radix: 16).leftPadded(to: 16) + String(self.low, radix: 16).leftPadded(to: 16)
        let chars = Array(hex)
        return [0 ..< 8, 8 ..< 12, 12 ..< 16, 16 ..< 20, 20 ..< 32].map { String(chars[$0]) }.joined(separator: "-")
    }
}

extension String {
    fileprivate func leftPadded(to count: Int) -> String {
        String(repeating: "0", count: Swift.max(0, count - self.count)) + self
    }
}

/// An AMQP map: key/value pairs in wire order. Keys are unique when built through
/// `subscript(set)`; decoding rejects nothing about duplicates and keeps the order it read.
public struct AMQP10Map: Sendable, Hashable, ExpressibleByDictionaryLiteral, Sequence {
    public struct Entry: Sendable, Hashable {
        public var key: AMQP10Value
        public var value: AMQP10Value

        public init(key: AMQP10Value, value: AMQP10Value) {
            self.key = key
            self.value = value
        }
    }

    public var entries: [Entry]

    public init(_ entries: [Entry] = []) {
        self.entries = entries
    }

    public init(dictionaryLiteral elements: (AMQP10Value, AMQP10Value)...) {
        self.entries = elements.map { Entry(key: $0.0, value: $0.1) }
    }

    public var count: Int { self.entries.count }
    public var isEmpty: Bool { self.entries.isEmpty }

    public func makeIterator() -> IndexingIterator<[Entry]> { self.entries.makeIterator() }

    /// The value of the first entry with `key`; setting replaces it, appends it, or (nil)
    /// removes every entry with that key.
    public subscript(key: AMQP10Value) -> AMQP10Value? {
        get { self.entries.first { $0.key == key }?.value }
        set {
            if let newValue {
                if let index = self.entries.firstIndex(where: { $0.key == key }) {
                    self.entries[index].value = newValue
                } else {
                    self.entries.append(Entry(key: key, value: newValue))
                }
            } else {
                self.entries.removeAll { $0.key == key }
            }
        }
    }

    /// The value under a symbol key (annotations, fields).
    public subscript(symbol key: String) -> AMQP10Value? {
        get { self[.symbol(key)] }
        set { self[.symbol(key)] = newValue }
    }

    /// The value under a string key (application-properties).
    public subscript(string key: String) -> AMQP10Value? {
        get { self[.string(key)] }
        set { self[.string(key)] = newValue }
    }
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
