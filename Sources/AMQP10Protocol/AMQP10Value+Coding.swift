import NIOCore

/// The format codes of spec part 1.6 (the "constructor" byte before each value).
enum FormatCode {
    static let described: UInt8 = 0x00
    static let null: UInt8 = 0x40
    static let booleanTrue: UInt8 = 0x41
    static let booleanFalse: UInt8 = 0x42
    static let uint0: UInt8 = 0x43
    static let ulong0: UInt8 = 0x44
    static let list0: UInt8 = 0x45
    static let ubyte: UInt8 = 0x50
    static let byte: UInt8 = 0x51
    static let smalluint: UInt8 = 0x52
    static let smallulong: UInt8 = 0x53
    static let smallint: UInt8 = 0x54
    static let smalllong: UInt8 = 0x55
    static let boolean: UInt8 = 0x56
    static let ushort: UInt8 = 0x60
    static let short: UInt8 = 0x61
    static let uint: UInt8 = 0x70
    static let int: UInt8 = 0x71
    static let float: UInt8 = 0x72
    static let char: UInt8 = 0x73
    static let decimal32: UInt8 = 0x74
    static let ulong: UInt8 = 0x80
    static let long: UInt8 = 0x81
    static let double: UInt8 = 0x82
    static let timestamp: UInt8 = 0x83
    static let decimal64: UInt8 = 0x84
    static let decimal128: UInt8 = 0x94
    static let uuid: UInt8 = 0x98
    static let vbin8: UInt8 = 0xA0
    static let str8: UInt8 = 0xA1
    static let sym8: UInt8 = 0xA3
    static let vbin32: UInt8 = 0xB0
    static let str32: UInt8 = 0xB1
    static let sym32: UInt8 = 0xB3
    static let list8: UInt8 = 0xC0
    static let map8: UInt8 = 0xC1
    static let list32: UInt8 = 0xD0
    static let map32: UInt8 = 0xD1
    static let array8: UInt8 = 0xE0
    static let array32: UInt8 = 0xF0
}

extension AMQP10Value {
    /// The deepest nesting of lists, maps, arrays and described values `decode` accepts
    /// by default. Performatives and messages need about 5.
    public static let defaultMaxDepth = 32

    /// The most elements an array of a zero-width type (null, true, false, uint0, ulong0,
    /// list0) may declare beyond its byte size: such elements cost no bytes on the wire,
    /// so their count is bounded separately.
    public static let maxZeroWidthArrayCount = 4096

    // MARK: Encoding

    /// Writes the value with its constructor, in the most compact form.
    ///
    /// - Throws: `AMQP10ProtocolError.invalidSymbol` for a non-ASCII symbol,
    ///   `.arrayNotHomogeneous`, or `.valueTooLong` for a value over 4 GiB.
    public func encode(into buffer: inout ByteBuffer) throws(AMQP10ProtocolError) {
        switch self {
        case .null:
            buffer.writeInteger(FormatCode.null)
        case .boolean(let value):
            buffer.writeInteger(value ? FormatCode.booleanTrue : FormatCode.booleanFalse)
        case .ubyte(let value):
            buffer.writeInteger(FormatCode.ubyte)
            buffer.writeInteger(value)
        case .ushort(let value):
            buffer.writeInteger(FormatCode.ushort)
            buffer.writeInteger(value)
        case .uint(let value):
            if value == 0 {
                buffer.writeInteger(FormatCode.uint0)
            } else if value <= UInt8.max {
                buffer.writeInteger(FormatCode.smalluint)
                buffer.writeInteger(UInt8(value))
            } else {
                buffer.writeInteger(FormatCode.uint)
                buffer.writeInteger(value)
            }
        case .ulong(let value):
            if value == 0 {
                buffer.writeInteger(FormatCode.ulong0)
            } else if value <= UInt8.max {
                buffer.writeInteger(FormatCode.smallulong)
                buffer.writeInteger(UInt8(value))
            } else {
                buffer.writeInteger(FormatCode.ulong)
                buffer.writeInteger(value)
            }
        case .byte(let value):
            buffer.writeInteger(FormatCode.byte)
            buffer.writeInteger(value)
        case .short(let value):
            buffer.writeInteger(FormatCode.short)
            buffer.writeInteger(value)
        case .int(let value):
            if let small = Int8(exactly: value) {
                buffer.writeInteger(FormatCode.smallint)
                buffer.writeInteger(small)
            } else {
                buffer.writeInteger(FormatCode.int)
                buffer.writeInteger(value)
            }
        case .long(let value):
            if let small = Int8(exactly: value) {
                buffer.writeInteger(FormatCode.smalllong)
                buffer.writeInteger(small)
            } else {
                buffer.writeInteger(FormatCode.long)
                buffer.writeInteger(value)
            }
        case .binary(let value):
            Self.writeVariable(small: FormatCode.vbin8, large: FormatCode.vbin32, count: value.readableBytes, into: &buffer)
            buffer.writeImmutableBuffer(value)
        case .string(let value):
            Self.writeVariable(small: FormatCode.str8, large: FormatCode.str32, count: value.utf8.count, into: &buffer)
            buffer.writeString(value)
        case .symbol(let value):
            guard value.utf8.allSatisfy({ $0 < 0x80 }) else { throw .invalidSymbol }
            Self.writeVariable(small: FormatCode.sym8, large: FormatCode.sym32, count: value.utf8.count, into: &buffer)
            buffer.writeString(value)
        case .list(let elements):
            if elements.isEmpty {
                buffer.writeInteger(FormatCode.list0)
                return
            }
            try Self.writeCompound(small: FormatCode.list8, large: FormatCode.list32, count: elements.count, into: &buffer) {
                (buffer: inout ByteBuffer) throws(AMQP10ProtocolError) in
                for element in elements { try element.encode(into: &buffer) }
            }
        case .map(let map):
            try Self.writeCompound(small: FormatCode.map8, large: FormatCode.map32, count: map.count * 2, into: &buffer) {
                (buffer: inout ByteBuffer) throws(AMQP10ProtocolError) in
                for entry in map.entries {
                    try entry.key.encode(into: &buffer)
                    try entry.value.encode(into: &buffer)
                }
            }
        case .array(let elements):
            try Self.writeArray(elements, into: &buffer)
        case .described(let descriptor, let value):
            buffer.writeInteger(FormatCode.described)
            try descriptor.encode(into: &buffer)
            try value.encode(into: &buffer)
        case .float, .double, .decimal32, .decimal64, .decimal128, .char, .timestamp, .uuid:
            // Fixed-width types have one form: the same constructor as in an array.
            buffer.writeInteger(self.fixedWidthCode!)
            self.writeFixedWidthBody(into: &buffer)
        }
    }

    /// The encoded value as a new buffer.
    public func encoded() throws(AMQP10ProtocolError) -> ByteBuffer {
        var buffer = ByteBuffer()
        try self.encode(into: &buffer)
        return buffer
    }

    private static func writeVariable(small: UInt8, large: UInt8, count: Int, into buffer: inout ByteBuffer) {
        if count <= UInt8.max {
            buffer.writeInteger(small)
            buffer.writeInteger(UInt8(count))
        } else {
            buffer.writeInteger(large)
            buffer.writeInteger(UInt32(truncatingIfNeeded: count))
        }
    }

    /// Writes a list or map: reserves the 32-bit header, writes the elements, then moves them
    /// back into the 8-bit form when size and count fit in a byte.
    private static func writeCompound(
        small: UInt8,
        large: UInt8,
        count: Int,
        into buffer: inout ByteBuffer,
        elements: (inout ByteBuffer) throws(AMQP10ProtocolError) -> Void
    ) throws(AMQP10ProtocolError) {
        let start = buffer.writerIndex
        buffer.writeInteger(large)
        buffer.writeInteger(UInt32(0))
        buffer.writeInteger(UInt32(truncatingIfNeeded: count))
        let elementsStart = buffer.writerIndex
        try elements(&buffer)
        try Self.finishCompound(small: small, start: start, elementsStart: elementsStart, count: count, in: &buffer)
    }

    /// Fills in a compound's 32-bit size, or rewrites the header in the 8-bit form (size and
    /// count one byte each) and moves the elements back by six bytes.
    private static func finishCompound(
        small: UInt8,
        start: Int,
        elementsStart: Int,
        count: Int,
        in buffer: inout ByteBuffer
    ) throws(AMQP10ProtocolError) {
        let elementsLength = buffer.writerIndex - elementsStart
        if elementsLength + 1 <= UInt8.max, count <= UInt8.max {
            buffer.setInteger(small, at: start)
            buffer.setInteger(UInt8(elementsLength + 1), at: start + 1)
            buffer.setInteger(UInt8(count), at: start + 2)
            buffer.withVeryUnsafeMutableBytes { storage in
                let base = storage.baseAddress!
                (base + start + 3).copyMemory(from: base + elementsStart, byteCount: elementsLength)
            }
            buffer.moveWriterIndex(to: start + 3 + elementsLength)
        } else {
            guard elementsLength + 4 <= UInt32.max else { throw .valueTooLong(length: elementsLength) }
            buffer.setInteger(UInt32(elementsLength + 4), at: start + 1)
        }
    }

    private static func writeArray(_ elements: [AMQP10Value], into buffer: inout ByteBuffer) throws(AMQP10ProtocolError) {
        let start = buffer.writerIndex
        buffer.writeInteger(FormatCode.array32)
        buffer.writeInteger(UInt32(0))
        buffer.writeInteger(UInt32(elements.count))
        let elementsStart = buffer.writerIndex
        guard let first = elements.first else {
            buffer.writeInteger(FormatCode.sym8)
            try Self.finishCompound(small: FormatCode.array8, start: start, elementsStart: elementsStart, count: 0, in: &buffer)
            return
        }
        // Described elements share the descriptor, written once in the constructor.
        var values = elements
        if case .described(let descriptor, _) = first {
            var inner: [AMQP10Value] = []
            inner.reserveCapacity(elements.count)
            for element in elements {
                guard case .described(let elementDescriptor, let value) = element, elementDescriptor == descriptor else {
                    throw .arrayNotHomogeneous
                }
                inner.append(value)
            }
            values = inner
            buffer.writeInteger(FormatCode.described)
            try descriptor.encode(into: &buffer)
        }
        let code = try Self.arrayElementCode(values)
        buffer.writeInteger(code)
        for value in values {
            try value.writeArrayElement(code: code, into: &buffer)
        }
        try Self.finishCompound(small: FormatCode.array8, start: start, elementsStart: elementsStart, count: elements.count, in: &buffer)
    }

    /// The one constructor every element of an array is written with.
    private static func arrayElementCode(_ values: [AMQP10Value]) throws(AMQP10ProtocolError) -> UInt8 {
        let first = values[0]
        var maxLength = 0
        for value in values {
            guard value.typeName == first.typeName else { throw .arrayNotHomogeneous }
            switch value {
            case .binary(let bytes): maxLength = max(maxLength, bytes.readableBytes)
            case .string(let string), .symbol(let string): maxLength = max(maxLength, string.utf8.count)
            case .described: throw .arrayNotHomogeneous
            default: break
            }
        }
        let small = maxLength <= UInt8.max
        switch first {
        case .null: return FormatCode.null
        case .boolean: return FormatCode.boolean
        case .ubyte: return FormatCode.ubyte
        case .ushort: return FormatCode.ushort
        case .uint: return FormatCode.uint
        case .ulong: return FormatCode.ulong
        case .byte: return FormatCode.byte
        case .short: return FormatCode.short
        case .int: return FormatCode.int
        case .long: return FormatCode.long
        case .binary: return small ? FormatCode.vbin8 : FormatCode.vbin32
        case .string: return small ? FormatCode.str8 : FormatCode.str32
        case .symbol: return small ? FormatCode.sym8 : FormatCode.sym32
        case .list: return FormatCode.list32
        case .map: return FormatCode.map32
        case .array: return FormatCode.array32
        case .described: throw .arrayNotHomogeneous
        case .float, .double, .decimal32, .decimal64, .decimal128, .char, .timestamp, .uuid:
            return first.fixedWidthCode!
        }
    }

    /// Writes the value without its constructor, in the form `code` names.
    private func writeArrayElement(code: UInt8, into buffer: inout ByteBuffer) throws(AMQP10ProtocolError) {
        switch self {
        case .null: break
        case .boolean(let value): buffer.writeInteger(UInt8(value ? 1 : 0))
        case .ubyte(let value): buffer.writeInteger(value)
        case .ushort(let value): buffer.writeInteger(value)
        case .uint(let value): buffer.writeInteger(value)
        case .ulong(let value): buffer.writeInteger(value)
        case .byte(let value): buffer.writeInteger(value)
        case .short(let value): buffer.writeInteger(value)
        case .int(let value): buffer.writeInteger(value)
        case .long(let value): buffer.writeInteger(value)
        case .binary(let value):
            Self.writeElementLength(value.readableBytes, code: code, into: &buffer)
            buffer.writeImmutableBuffer(value)
        case .string(let value):
            Self.writeElementLength(value.utf8.count, code: code, into: &buffer)
            buffer.writeString(value)
        case .symbol(let value):
            guard value.utf8.allSatisfy({ $0 < 0x80 }) else { throw .invalidSymbol }
            Self.writeElementLength(value.utf8.count, code: code, into: &buffer)
            buffer.writeString(value)
        case .list(let elements):
            let start = buffer.writerIndex
            buffer.writeInteger(UInt32(0))
            buffer.writeInteger(UInt32(elements.count))
            for element in elements { try element.encode(into: &buffer) }
            try Self.setElementSize(from: start, in: &buffer)
        case .map(let map):
            let start = buffer.writerIndex
            buffer.writeInteger(UInt32(0))
            buffer.writeInteger(UInt32(map.count * 2))
            for entry in map.entries {
                try entry.key.encode(into: &buffer)
                try entry.value.encode(into: &buffer)
            }
            try Self.setElementSize(from: start, in: &buffer)
        case .array(let elements):
            // Encode as a whole array, then drop its constructor byte and widen to array32.
            var nested = ByteBuffer()
            try Self.writeArray(elements, into: &nested)
            let nestedCode: UInt8 = nested.readInteger()!
            if nestedCode == FormatCode.array8 {
                let size: UInt8 = nested.readInteger()!
                let count: UInt8 = nested.readInteger()!
                buffer.writeInteger(UInt32(size) + 3)
                buffer.writeInteger(UInt32(count))
            }
            buffer.writeBuffer(&nested)
        case .described:
            throw .arrayNotHomogeneous
        case .float, .double, .decimal32, .decimal64, .decimal128, .char, .timestamp, .uuid:
            self.writeFixedWidthBody(into: &buffer)
        }
    }

    private static func writeElementLength(_ length: Int, code: UInt8, into buffer: inout ByteBuffer) {
        if code & 0xF0 == 0xA0 {
            buffer.writeInteger(UInt8(length))
        } else {
            buffer.writeInteger(UInt32(truncatingIfNeeded: length))
        }
    }

    private static func setElementSize(from start: Int, in buffer: inout ByteBuffer) throws(AMQP10ProtocolError) {
        let size = buffer.writerIndex - start - 4
        guard size <= UInt32.max else { throw .valueTooLong(length: size) }
        buffer.setInteger(UInt32(size), at: start)
    }

    private var fixedWidthCode: UInt8? {
        switch self {
        case .float: FormatCode.float
        case .double: FormatCode.double
        case .decimal32: FormatCode.decimal32
        case .decimal64: FormatCode.decimal64
        case .decimal128: FormatCode.decimal128
        case .char: FormatCode.char
        case .timestamp: FormatCode.timestamp
        case .uuid: FormatCode.uuid
        default: nil
        }
    }

    private func writeFixedWidthBody(into buffer: inout ByteBuffer) {
        switch self {
        case .float(let value): buffer.writeInteger(value.bitPattern)
        case .double(let value): buffer.writeInteger(value.bitPattern)
        case .decimal32(let value): buffer.writeInteger(value)
        case .decimal64(let value): buffer.writeInteger(value)
        case .decimal128(let high, let low):
            buffer.writeInteger(high)
            buffer.writeInteger(low)
        case .char(let value): buffer.writeInteger(value.value)
        case .timestamp(let value): buffer.writeInteger(value)
        case .uuid(let value):
            buffer.writeInteger(value.high)
            buffer.writeInteger(value.low)
        default: break
        }
    }

    // MARK: Decoding

    /// Reads one value (constructor and data) from the front of `buffer`.
    ///
    /// Every size and count is checked against the bytes that remain before anything is
    /// allocated, so a hostile size cannot make the decoder reserve memory.
    ///
    /// - Parameters:
    ///   - buffer: the bytes; on success the value's bytes are consumed. On error the
    ///     reader index is unspecified.
    ///   - maxDepth: the deepest nesting of lists, maps, arrays and described values accepted.
    /// - Throws: `AMQP10ProtocolError` (`.truncated`, `.unknownConstructor`,
    ///   `.nestingTooDeep`, `.sizeExceedsRemaining`, ...).
    public static func decode(from buffer: inout ByteBuffer, maxDepth: Int = defaultMaxDepth) throws(AMQP10ProtocolError) -> AMQP10Value {
        try Self.decode(from: &buffer, depth: 0, maxDepth: maxDepth)
    }

    static func decode(from buffer: inout ByteBuffer, depth: Int, maxDepth: Int) throws(AMQP10ProtocolError) -> AMQP10Value {
        let code = try buffer.readAMQP10(UInt8.self)
        if code == FormatCode.described {
            guard depth < maxDepth else { throw .nestingTooDeep(limit: maxDepth) }
            let descriptor = try Self.decode(from: &buffer, depth: depth + 1, maxDepth: maxDepth)
            let value = try Self.decode(from: &buffer, depth: depth + 1, maxDepth: maxDepth)
            return .described(descriptor: descriptor, value: value)
        }
        return try Self.decodeBody(code: code, from: &buffer, depth: depth, maxDepth: maxDepth)
    }

    /// Reads the data after constructor `code` (also for array elements, which share one
    /// constructor).
    static func decodeBody(code: UInt8, from buffer: inout ByteBuffer, depth: Int, maxDepth: Int) throws(AMQP10ProtocolError) -> AMQP10Value {
        switch code {
        case FormatCode.null: return .null
        case FormatCode.booleanTrue: return .boolean(true)
        case FormatCode.booleanFalse: return .boolean(false)
        case FormatCode.boolean:
            switch try buffer.readAMQP10(UInt8.self) {
            case 0: return .boolean(false)
            case 1: return .boolean(true)
            case let other: throw .invalidFieldValue(type: "boolean", field: "value", value: "\(other)")
            }
        case FormatCode.uint0: return .uint(0)
        case FormatCode.ulong0: return .ulong(0)
        case FormatCode.list0: return .list([])
        case FormatCode.ubyte: return .ubyte(try buffer.readAMQP10(UInt8.self))
        case FormatCode.byte: return .byte(try buffer.readAMQP10(Int8.self))
        case FormatCode.smalluint: return .uint(UInt32(try buffer.readAMQP10(UInt8.self)))
        case FormatCode.smallulong: return .ulong(UInt64(try buffer.readAMQP10(UInt8.self)))
        case FormatCode.smallint: return .int(Int32(try buffer.readAMQP10(Int8.self)))
        case FormatCode.smalllong: return .long(Int64(try buffer.readAMQP10(Int8.self)))
        case FormatCode.ushort: return .ushort(try buffer.readAMQP10(UInt16.self))
        case FormatCode.short: return .short(try buffer.readAMQP10(Int16.self))
        case FormatCode.uint: return .uint(try buffer.readAMQP10(UInt32.self))
        case FormatCode.int: return .int(try buffer.readAMQP10(Int32.self))
        case FormatCode.float: return .float(Float(bitPattern: try buffer.readAMQP10(UInt32.self)))
        case FormatCode.char:
            let value = try buffer.readAMQP10(UInt32.self)
            guard let scalar = Unicode.Scalar(value) else { throw .invalidChar(value) }
            return .char(scalar)
        case FormatCode.decimal32: return .decimal32(try buffer.readAMQP10(UInt32.self))
        case FormatCode.ulong: return .ulong(try buffer.readAMQP10(UInt64.self))
        case FormatCode.long: return .long(try buffer.readAMQP10(Int64.self))
        case FormatCode.double: return .double(Double(bitPattern: try buffer.readAMQP10(UInt64.self)))
        case FormatCode.timestamp: return .timestamp(try buffer.readAMQP10(Int64.self))
        case FormatCode.decimal64: return .decimal64(try buffer.readAMQP10(UInt64.self))
        case FormatCode.decimal128:
            let high = try buffer.readAMQP10(UInt64.self)
            return .decimal128(high: high, low: try buffer.readAMQP10(UInt64.self))
        case FormatCode.uuid:
            let high = try buffer.readAMQP10(UInt64.self)
            return .uuid(AMQP10UUID(high: high, low: try buffer.readAMQP10(UInt64.self)))
        case FormatCode.vbin8, FormatCode.vbin32:
            return .binary(try buffer.readAMQP10Sized(wide: code == FormatCode.vbin32))
        case FormatCode.str8, FormatCode.str32:
            let bytes = try buffer.readAMQP10Sized(wide: code == FormatCode.str32)
            guard let string = bytes.withUnsafeReadableBytes({ String(validating: $0, as: UTF8.self) }) else {
                throw .invalidUTF8
            }
            return .string(string)
        case FormatCode.sym8, FormatCode.sym32:
            let bytes = try buffer.readAMQP10Sized(wide: code == FormatCode.sym32)
            guard bytes.readableBytesView.allSatisfy({ $0 < 0x80 }) else { throw .invalidSymbol }
            return .symbol(String(buffer: bytes))
        case FormatCode.list8, FormatCode.list32, FormatCode.map8, FormatCode.map32:
            guard depth < maxDepth else { throw .nestingTooDeep(limit: maxDepth) }
            var (body, count) = try buffer.readAMQP10Compound(wide: code & 0xF0 == 0xD0)
            let isMap = code & 0x0F == 1
            if isMap, count % 2 != 0 { throw .oddMapCount(UInt64(count)) }
            var elements: [AMQP10Value] = []
            elements.reserveCapacity(count)
            for _ in 0 ..< count {
                elements.append(try Self.decode(from: &body, depth: depth + 1, maxDepth: maxDepth))
            }
            guard body.readableBytes == 0 else {
                throw .sizeMismatch(declared: UInt64(body.writerIndex), used: UInt64(body.readerIndex))
            }
            guard isMap else { return .list(elements) }
            var entries: [AMQP10Map.Entry] = []
            entries.reserveCapacity(count / 2)
            for index in stride(from: 0, to: count, by: 2) {
                entries.append(AMQP10Map.Entry(key: elements[index], value: elements[index + 1]))
            }
            return .map(AMQP10Map(entries))
        case FormatCode.array8, FormatCode.array32:
            guard depth < maxDepth else { throw .nestingTooDeep(limit: maxDepth) }
            var (body, count) = try buffer.readAMQP10Compound(wide: code == FormatCode.array32, checkCount: false)
            let size = UInt64(body.readableBytes + (code == FormatCode.array32 ? 4 : 1))
            var elementCode = try body.readAMQP10(UInt8.self)
            var descriptor: AMQP10Value?
            if elementCode == FormatCode.described {
                descriptor = try Self.decode(from: &body, depth: depth + 1, maxDepth: maxDepth)
                elementCode = try body.readAMQP10(UInt8.self)
                guard elementCode != FormatCode.described else { throw .arrayNotHomogeneous }
            }
            // Elements of null, true, false, uint0, ulong0 and list0 take no bytes at all;
            // the others at least one.
            let zeroWidth = (FormatCode.null ... FormatCode.list0).contains(elementCode)
            guard UInt64(count) <= (zeroWidth ? max(size, UInt64(Self.maxZeroWidthArrayCount)) : size) else {
                throw .countExceedsSize(count: UInt64(count), size: size)
            }
            var elements: [AMQP10Value] = []
            elements.reserveCapacity(count)
            for _ in 0 ..< count {
                let value = try Self.decodeBody(code: elementCode, from: &body, depth: depth + 1, maxDepth: maxDepth)
                elements.append(descriptor.map { .described(descriptor: $0, value: value) } ?? value)
            }
            guard body.readableBytes == 0 else {
                throw .sizeMismatch(declared: UInt64(body.writerIndex), used: UInt64(body.readerIndex))
            }
            return .array(elements)
        default:
            throw .unknownConstructor(code)
        }
    }
}

extension ByteBuffer {
    @inlinable
    mutating func readAMQP10<T: FixedWidthInteger>(_: T.Type) throws(AMQP10ProtocolError) -> T {
        guard let value = self.readInteger(as: T.self) else { throw .truncated }
        return value
    }

    /// Reads a 1- or 4-byte size and that many bytes (a slice, not a copy).
    mutating func readAMQP10Sized(wide: Bool) throws(AMQP10ProtocolError) -> ByteBuffer {
        let size = wide ? UInt64(try self.readAMQP10(UInt32.self)) : UInt64(try self.readAMQP10(UInt8.self))
        guard size <= UInt64(self.readableBytes) else {
            throw .sizeExceedsRemaining(declared: size, remaining: self.readableBytes)
        }
        return self.readSlice(length: Int(size))!
    }

    /// Reads a compound's size and count; returns the bytes after the count (a slice) and
    /// the count. Every list or map element takes at least one byte, so a count above the
    /// size is refused (arrays check after reading their element constructor).
    mutating func readAMQP10Compound(wide: Bool, checkCount: Bool = true) throws(AMQP10ProtocolError) -> (ByteBuffer, Int) {
        var body = try self.readAMQP10Sized(wide: wide)
        let size = UInt64(body.readableBytes)
        let count = wide ? UInt64(try body.readAMQP10(UInt32.self)) : UInt64(try body.readAMQP10(UInt8.self))
        guard !checkCount || count <= size else { throw .countExceedsSize(count: count, size: size) }
        return (body, Int(count))
    }
}
