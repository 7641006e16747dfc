import NIOCore

/// The primitive field encodings of AMQP 0-9-1 (spec section 4.2.5), all big-endian.
extension ByteBuffer {
    @inlinable
    mutating func readAMQPInteger<T: FixedWidthInteger>(as: T.Type = T.self) throws(AMQPProtocolError) -> T {
        guard let value = self.readInteger(endianness: .big, as: T.self) else { throw .truncated }
        return value
    }

    /// A short string: one length octet, then up to 255 bytes. Invalid UTF-8 is repaired
    /// (U+FFFD), as Swift strings must be valid.
    mutating func readShortString() throws(AMQPProtocolError) -> String {
        let length = try self.readAMQPInteger(as: UInt8.self)
        guard let string = self.readString(length: Int(length)) else { throw .truncated }
        return string
    }

    /// Writes a short string.
    ///
    /// - Throws: `AMQPProtocolError.shortStringTooLong` above 255 bytes of UTF-8; nothing is written then.
    mutating func writeShortString(_ string: String) throws(AMQPProtocolError) {
        let length = string.utf8.count
        guard length <= Int(UInt8.max) else { throw .shortStringTooLong(length: length) }
        self.writeInteger(UInt8(length))
        self.writeString(string)
    }

    /// A long string's bytes: a 32-bit length, then the bytes, as a slice (no copy).
    mutating func readLongStringBytes() throws(AMQPProtocolError) -> ByteBuffer {
        let length = try self.readAMQPInteger(as: UInt32.self)
        guard length <= self.readableBytes, let bytes = self.readSlice(length: Int(length)) else {
            throw .truncated
        }
        return bytes
    }

    /// A long string as text.
    mutating func readLongString() throws(AMQPProtocolError) -> String {
        let bytes = try self.readLongStringBytes()
        return String(buffer: bytes)
    }

    mutating func writeLongString(_ string: String) {
        self.writeInteger(UInt32(truncatingIfNeeded: string.utf8.count))
        self.writeString(string)
    }

    mutating func writeLongString(_ bytes: ByteBuffer) {
        self.writeInteger(UInt32(truncatingIfNeeded: bytes.readableBytes))
        self.writeImmutableBuffer(bytes)
    }

    /// Reserves a 32-bit length, runs `body`, then fills the length with what `body` wrote.
    mutating func writeWithUInt32Length(
        _ body: (inout ByteBuffer) throws(AMQPProtocolError) -> Void
    ) throws(AMQPProtocolError) {
        let lengthIndex = self.writerIndex
        self.writeInteger(UInt32(0))
        try body(&self)
        let length = self.writerIndex - lengthIndex - 4
        guard length <= Int(UInt32.max) else { throw .valueTooLong(length: length) }
        self.setInteger(UInt32(length), at: lengthIndex)
    }
}
