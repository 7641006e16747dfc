import NIOCore

/// MQTT's variable byte integer: 7 bits a byte, low group first, at most 4 bytes
/// (MQTT 5 section 1.5.5). Only the shortest encoding of a value is accepted.
public enum VariableByteInteger {
    /// The largest encodable value, 268,435,455.
    public static let maximum: UInt32 = 268_435_455

    /// The number of bytes `value` takes (1 to 4); values above `maximum` are not encodable.
    public static func encodedLength(_ value: UInt32) -> Int {
        switch value {
        case 0..<128: 1
        case 128..<16_384: 2
        case 16_384..<2_097_152: 3
        default: 4
        }
    }

    /// Writes `value`.
    /// - Throws: `MQTTProtocolError.valueTooLong` above `maximum`; nothing is written then.
    public static func write(_ value: UInt32, into buffer: inout ByteBuffer) throws(MQTTProtocolError) {
        guard value <= maximum else { throw .valueTooLong(length: Int(value), maximum: Int(maximum)) }
        buffer.putVariableByteInteger(value)
    }

    /// Reads a value, moving the reader index past it.
    /// - Returns: nil when the buffer ends inside the integer; nothing is consumed then.
    /// - Throws: `MQTTProtocolError.invalidVariableByteInteger` for more than 4 bytes or a longer form than needed.
    public static func read(from buffer: inout ByteBuffer) throws(MQTTProtocolError) -> UInt32? {
        guard let (value, length) = try peek(buffer, at: buffer.readerIndex) else { return nil }
        buffer.moveReaderIndex(forwardBy: length)
        return value
    }

    /// Reads a value at `index` without moving the reader index.
    static func peek(_ buffer: ByteBuffer, at index: Int) throws(MQTTProtocolError) -> (value: UInt32, length: Int)? {
        var value: UInt32 = 0
        var shift: UInt32 = 0
        for offset in 0..<4 {
            guard let byte = buffer.getInteger(at: index + offset, as: UInt8.self) else { return nil }
            value |= UInt32(byte & 0x7F) << shift
            if byte & 0x80 == 0 {
                // A zero final byte after the first means a longer form than needed [MQTT-1.5.5-1].
                if offset > 0 && byte == 0 { throw .invalidVariableByteInteger }
                return (value, offset + 1)
            }
            shift += 7
        }
        throw .invalidVariableByteInteger
    }
}
