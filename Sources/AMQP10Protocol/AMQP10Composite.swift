import NIOCore

/// A composite type of the spec: a list of fields behind a descriptor (performatives,
/// termini, delivery states, message sections, SASL frames).
///
/// Encoded as `described(ulong code, list)` with trailing null fields left off; decoded from
/// the numeric or the symbolic descriptor, missing trailing fields taken as null.
public protocol AMQP10Composite: Sendable, Hashable {
    /// The numeric descriptor (domain 0x00000000, so just the type code).
    static var descriptorCode: UInt64 { get }
    /// The symbolic descriptor, e.g. "amqp:open:list".
    static var descriptorName: String { get }
    /// The fields in spec order; null for absent, and for a value equal to the default.
    var fields: [AMQP10Value] { get }
    /// Builds the value from its fields (missing ones are null).
    init(fields: inout AMQP10FieldReader) throws(AMQP10ProtocolError)
}

extension AMQP10Composite {
    /// The described list this value encodes as.
    public var value: AMQP10Value {
        var fields = self.fields
        while fields.last == .null { fields.removeLast() }
        return .described(descriptor: .ulong(Self.descriptorCode), value: .list(fields))
    }

    /// Reads the value from a described list with this type's descriptor.
    ///
    /// - Throws: `AMQP10ProtocolError.unexpectedDescriptor` if `value` is another type,
    ///   `.missingMandatoryField`, `.invalidField` or `.invalidFieldValue` for a bad field.
    public init(_ value: AMQP10Value) throws(AMQP10ProtocolError) {
        guard case .described(let descriptor, let body) = value, Self.matches(descriptor) else {
            throw .unexpectedDescriptor(expected: Self.descriptorName, found: value.descriptorDescription)
        }
        guard case .list(let elements) = body else {
            throw .invalidField(type: Self.descriptorName, field: "(body)", found: body.typeName)
        }
        var reader = AMQP10FieldReader(type: Self.descriptorName, values: elements)
        try self.init(fields: &reader)
    }

    /// Whether `descriptor` names this type (by code or by symbol).
    public static func matches(_ descriptor: AMQP10Value) -> Bool {
        switch descriptor {
        case .ulong(let code): code == Self.descriptorCode
        case .symbol(let name): name == Self.descriptorName
        default: false
        }
    }

    /// Writes the described list.
    public func encode(into buffer: inout ByteBuffer) throws(AMQP10ProtocolError) {
        try self.value.encode(into: &buffer)
    }
}

extension AMQP10Value {
    /// The descriptor of a described value, or the type name, for error messages.
    public var descriptorDescription: String {
        guard case .described(let descriptor, _) = self else { return self.typeName }
        switch descriptor {
        case .ulong(let code): return "0x" + String(code, radix: 16)
        case .symbol(let name): return name
        default: return descriptor.typeName
        }
    }

    /// The numeric descriptor code of a described value, mapping the spec's symbolic
    /// descriptors to their codes; nil for other values.
    public var descriptorCode: UInt64? {
        guard case .described(let descriptor, _) = self else { return nil }
        switch descriptor {
        case .ulong(let code): return code
        case .symbol(let name): return AMQP10Descriptors.codes[name]
        default: return nil
        }
    }
}

/// The symbolic descriptors of the spec with their codes.
enum AMQP10Descriptors {
    static let codes: [String: UInt64] = [
        "amqp:open:list": 0x10, "amqp:begin:list": 0x11, "amqp:attach:list": 0x12, "amqp:flow:list": 0x13,
        "amqp:transfer:list": 0x14, "amqp:disposition:list": 0x15, "amqp:detach:list": 0x16,
        "amqp:end:list": 0x17, "amqp:close:list": 0x18, "amqp:error:list": 0x1D,
        "amqp:received:list": 0x23, "amqp:accepted:list": 0x24, "amqp:rejected:list": 0x25,
        "amqp:released:list": 0x26, "amqp:modified:list": 0x27, "amqp:source:list": 0x28, "amqp:target:list": 0x29,
        "amqp:delete-on-close:list": 0x2B, "amqp:delete-on-no-links:list": 0x2C,
        "amqp:delete-on-no-messages:list": 0x2D, "amqp:delete-on-no-links-or-messages:list": 0x2E,
        "amqp:sasl-mechanisms:list": 0x40, "amqp:sasl-init:list": 0x41, "amqp:sasl-challenge:list": 0x42,
        "amqp:sasl-response:list": 0x43, "amqp:sasl-outcome:list": 0x44,
        "amqp:header:list": 0x70, "amqp:delivery-annotations:map": 0x71, "amqp:message-annotations:map": 0x72,
        "amqp:properties:list": 0x73, "amqp:application-properties:map": 0x74, "amqp:data:binary": 0x75,
        "amqp:amqp-sequence:list": 0x76, "amqp:amqp-value:*": 0x77, "amqp:footer:map": 0x78,
    ]
}

/// Reads a composite's fields in order, with the conversions and checks of the spec's
/// field types. A field past the end of the list is null.
public struct AMQP10FieldReader: Sendable {
    let type: String
    let values: [AMQP10Value]
    var index = 0

    init(type: String, values: [AMQP10Value]) {
        self.type = type
        self.values = values
    }

    /// The next field's value, null past the end.
    mutating func next() -> AMQP10Value {
        defer { self.index += 1 }
        return self.index < self.values.count ? self.values[self.index] : .null
    }

    /// The next field converted, or nil when null.
    mutating func optional<T>(_ field: String, _ convert: (AMQP10Value) -> T?) throws(AMQP10ProtocolError) -> T? {
        let value = self.next()
        if case .null = value { return nil }
        guard let converted = convert(value) else {
            throw .invalidField(type: self.type, field: field, found: value.typeName)
        }
        return converted
    }

    /// The next field converted; throws when null.
    mutating func mandatory<T>(_ field: String, _ convert: (AMQP10Value) -> T?) throws(AMQP10ProtocolError) -> T {
        guard let value = try self.optional(field, convert) else {
            throw .missingMandatoryField(type: self.type, field: field)
        }
        return value
    }

    /// The next field as a restricted type with raw values (a settle mode, a durability).
    mutating func restricted<T: RawRepresentable>(
        _ field: String,
        _ convert: (AMQP10Value) -> T.RawValue?
    ) throws(AMQP10ProtocolError) -> T? {
        guard let raw = try self.optional(field, convert) else { return nil }
        guard let value = T(rawValue: raw) else {
            throw .invalidFieldValue(type: self.type, field: field, value: "\(raw)")
        }
        return value
    }

    /// The next field as a composite (or nil when null).
    mutating func composite<T: AMQP10Composite>(_ field: String, _: T.Type) throws(AMQP10ProtocolError) -> T? {
        let value = self.next()
        if case .null = value { return nil }
        return try T(value)
    }

    /// The next field as a delivery state (or nil when null).
    mutating func deliveryState(_ field: String) throws(AMQP10ProtocolError) -> AMQP10DeliveryState? {
        let value = self.next()
        if case .null = value { return nil }
        return try AMQP10DeliveryState(value)
    }
}

// Conversions from values to the Swift types of fields. Unsigned fields accept the
// narrower unsigned types too (a peer may send a ushort where a uint is declared).
extension AMQP10Value {
    static func asBool(_ value: AMQP10Value) -> Bool? {
        if case .boolean(let bool) = value { return bool }
        return nil
    }

    static func asUByte(_ value: AMQP10Value) -> UInt8? {
        if case .ubyte(let int) = value { return int }
        return nil
    }

    static func asUShort(_ value: AMQP10Value) -> UInt16? {
        switch value {
        case .ushort(let int): int
        case .ubyte(let int): UInt16(int)
        default: nil
        }
    }

    static func asUInt(_ value: AMQP10Value) -> UInt32? {
        switch value {
        case .uint(let int): int
        case .ushort(let int): UInt32(int)
        case .ubyte(let int): UInt32(int)
        default: nil
        }
    }

    static func asULong(_ value: AMQP10Value) -> UInt64? {
        switch value {
        case .ulong(let int): int
        case .uint(let int): UInt64(int)
        case .ushort(let int): UInt64(int)
        case .ubyte(let int): UInt64(int)
        default: nil
        }
    }

    static func asTimestamp(_ value: AMQP10Value) -> Int64? {
        if case .timestamp(let ms) = value { return ms }
        return nil
    }

    static func asString(_ value: AMQP10Value) -> String? {
        if case .string(let string) = value { return string }
        return nil
    }

    static func asSymbol(_ value: AMQP10Value) -> String? {
        if case .symbol(let symbol) = value { return symbol }
        return nil
    }

    /// An address: a string, or a symbol from lenient peers.
    static func asAddress(_ value: AMQP10Value) -> String? {
        switch value {
        case .string(let string), .symbol(let string): string
        default: nil
        }
    }

    static func asBinary(_ value: AMQP10Value) -> ByteBuffer? {
        if case .binary(let bytes) = value { return bytes }
        return nil
    }

    static func asMap(_ value: AMQP10Value) -> AMQP10Map? {
        if case .map(let map) = value { return map }
        return nil
    }

    static func asAny(_ value: AMQP10Value) -> AMQP10Value? { value }

    /// A `multiple="true"` symbol field: one symbol or an array of them.
    static func asSymbols(_ value: AMQP10Value) -> [String]? {
        switch value {
        case .symbol(let symbol): return [symbol]
        case .array(let elements):
            var symbols: [String] = []
            symbols.reserveCapacity(elements.count)
            for element in elements {
                guard case .symbol(let symbol) = element else { return nil }
                symbols.append(symbol)
            }
            return symbols
        default: return nil
        }
    }

    /// A `multiple="true"` symbol field: null when empty, else an array.
    static func symbols(_ symbols: [String]) -> AMQP10Value {
        symbols.isEmpty ? .null : .array(symbols.map { .symbol($0) })
    }

    static func optional<T>(_ value: T?, _ make: (T) -> AMQP10Value) -> AMQP10Value {
        value.map(make) ?? .null
    }

    /// A field with a default: null when equal to it.
    static func defaulted<T: Equatable>(_ value: T, _ defaultValue: T, _ make: (T) -> AMQP10Value) -> AMQP10Value {
        value == defaultValue ? .null : make(value)
    }
}
