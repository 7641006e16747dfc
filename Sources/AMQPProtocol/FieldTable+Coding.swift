import NIOCore

extension FieldTable {
    /// Decodes a field table: a 32-bit byte length, then name (short string), type octet,
    /// value, repeated.
    ///
    /// - Parameters:
    ///   - buffer: read past the table.
    ///   - depth: the depth of this table; the outermost is 1.
    /// - Throws: `AMQPProtocolError.truncated`, `.unknownFieldType`, `.nestingTooDeep`.
    public init(from buffer: inout ByteBuffer, depth: Int = 1) throws(AMQPProtocolError) {
        guard depth <= FieldTable.maximumDepth else { throw .nestingTooDeep(limit: FieldTable.maximumDepth) }
        var contents = try buffer.readLongStringBytes()
        var entries: [Entry] = []
        while contents.readableBytes > 0 {
            let name = try contents.readShortString()
            let value = try AMQPValue(from: &contents, depth: depth)
            entries.append(Entry(name: name, value: value))
        }
        self.entries = entries
    }

    /// Encodes the table with its 32-bit length.
    ///
    /// - Throws: `AMQPProtocolError.shortStringTooLong` for a name over 255 bytes.
    public func encode(into buffer: inout ByteBuffer) throws(AMQPProtocolError) {
        try buffer.writeWithUInt32Length { (buffer: inout ByteBuffer) throws(AMQPProtocolError) in
            for entry in self.entries {
                try buffer.writeShortString(entry.name)
                try entry.value.encode(into: &buffer)
            }
        }
    }
}

extension AMQPValue {
    /// Decodes a type octet and its value.
    ///
    /// - Parameters:
    ///   - depth: the depth of the table or array that holds the value.
    init(from buffer: inout ByteBuffer, depth: Int) throws(AMQPProtocolError) {
        let type = try buffer.readAMQPInteger(as: UInt8.self)
        switch type {
        case UInt8(ascii: "t"): self = .bool(try buffer.readAMQPInteger(as: UInt8.self) != 0)
        case UInt8(ascii: "b"): self = .int8(try buffer.readAMQPInteger())
        case UInt8(ascii: "B"): self = .uint8(try buffer.readAMQPInteger())
        case UInt8(ascii: "s"): self = .int16(try buffer.readAMQPInteger())
        case UInt8(ascii: "u"): self = .uint16(try buffer.readAMQPInteger())
        case UInt8(ascii: "I"): self = .int32(try buffer.readAMQPInteger())
        case UInt8(ascii: "i"): self = .uint32(try buffer.readAMQPInteger())
        case UInt8(ascii: "l"): self = .int64(try buffer.readAMQPInteger())
        case UInt8(ascii: "f"): self = .float(Float(bitPattern: try buffer.readAMQPInteger()))
        case UInt8(ascii: "d"): self = .double(Double(bitPattern: try buffer.readAMQPInteger()))
        case UInt8(ascii: "D"):
            let scale = try buffer.readAMQPInteger(as: UInt8.self)
            self = .decimal(scale: scale, value: try buffer.readAMQPInteger())
        case UInt8(ascii: "S"): self = .longString(try buffer.readLongStringBytes())
        case UInt8(ascii: "x"): self = .bytes(try buffer.readLongStringBytes())
        case UInt8(ascii: "T"): self = .timestamp(try buffer.readAMQPInteger())
        case UInt8(ascii: "V"): self = .void
        case UInt8(ascii: "F"): self = .table(try FieldTable(from: &buffer, depth: depth + 1))
        case UInt8(ascii: "A"):
            guard depth + 1 <= FieldTable.maximumDepth else {
                throw .nestingTooDeep(limit: FieldTable.maximumDepth)
            }
            var contents = try buffer.readLongStringBytes()
            var values: [AMQPValue] = []
            while contents.readableBytes > 0 {
                values.append(try AMQPValue(from: &contents, depth: depth + 1))
            }
            self = .array(values)
        default: throw .unknownFieldType(type)
        }
    }

    /// Encodes the type octet and the value.
    func encode(into buffer: inout ByteBuffer) throws(AMQPProtocolError) {
        buffer.writeInteger(self.typeOctet)
        switch self {
        case .bool(let value): buffer.writeInteger(UInt8(value ? 1 : 0))
        case .int8(let value): buffer.writeInteger(value)
        case .uint8(let value): buffer.writeInteger(value)
        case .int16(let value): buffer.writeInteger(value)
        case .uint16(let value): buffer.writeInteger(value)
        case .int32(let value): buffer.writeInteger(value)
        case .uint32(let value): buffer.writeInteger(value)
        case .int64(let value): buffer.writeInteger(value)
        case .float(let value): buffer.writeInteger(value.bitPattern)
        case .double(let value): buffer.writeInteger(value.bitPattern)
        case .decimal(let scale, let value):
            buffer.writeInteger(scale)
            buffer.writeInteger(value)
        case .longString(let bytes), .bytes(let bytes):
            guard bytes.readableBytes <= Int(UInt32.max) else { throw .valueTooLong(length: bytes.readableBytes) }
            buffer.writeLongString(bytes)
        case .timestamp(let value): buffer.writeInteger(value)
        case .void: break
        case .table(let table): try table.encode(into: &buffer)
        case .array(let values):
            try buffer.writeWithUInt32Length { (buffer: inout ByteBuffer) throws(AMQPProtocolError) in
                for value in values {
                    try value.encode(into: &buffer)
                }
            }
        }
    }
}
