/// Everything that can be wrong with AMQP 0-9-1 bytes, or with a value that cannot be encoded.
///
/// A decoding error means the peer broke the protocol: the connection layer answers it
/// with `connection.close` (501 FRAME_ERROR or 502 SYNTAX_ERROR) and drops the connection.
public enum AMQPProtocolError: Error, Sendable, Hashable {
    /// The octet after a frame's payload was not 0xCE.
    case badFrameEnd(UInt8)
    /// A frame type other than method (1), header (2), body (3) or heartbeat (8).
    case unknownFrameType(UInt8)
    /// A frame whose declared size, overhead included, is above the negotiated frame-max.
    case frameTooLarge(size: UInt64, limit: UInt32)
    /// The peer sent a protocol header instead of a frame: the server refuses our version
    /// and names the one it speaks.
    case protocolHeaderReceived(ProtocolHeader)
    /// A payload ended in the middle of a field.
    case truncated
    /// A class id and method id pair this library does not know.
    case unknownMethod(classID: UInt16, methodID: UInt16)
    /// A field table or array value with a type octet outside RabbitMQ's set.
    case unknownFieldType(UInt8)
    /// Field tables or arrays nested deeper than the limit (hostile or broken input).
    case nestingTooDeep(limit: Int)
    /// A short string (names, most properties) longer than 255 bytes of UTF-8.
    case shortStringTooLong(length: Int)
    /// A field table or array whose encoding is longer than its 32-bit length can say.
    case valueTooLong(length: Int)
    /// A content header for a class other than basic (60).
    case unknownContentClass(UInt16)
    /// A content header whose property flags name properties after cluster-id.
    case unknownProperties(flags: UInt16)
    /// A frame-max too small to carry one body byte per frame (it must be at least 9).
    case frameMaxTooSmall(UInt32)
    /// A frame arrived where the content sequence does not allow it, e.g. a body frame
    /// without a header, or a method while a body was still expected.
    case unexpectedFrame(expected: String, received: String)
    /// Body frames carried more bytes than the content header declared.
    case bodyLongerThanDeclared(declared: UInt64, received: UInt64)
    /// A content header declared a body larger than the assembler accepts.
    case bodyTooLarge(declared: UInt64, limit: UInt64)
}
