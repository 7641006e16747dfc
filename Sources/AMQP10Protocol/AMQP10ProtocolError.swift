/// Everything that can be wrong with AMQP 1.0 bytes, or with a value that cannot be encoded.
///
/// A decoding error means the peer broke the protocol: the connection layer closes the
/// connection with `amqp:decode-error` (or `amqp:frame-size-too-small` for
/// `.frameTooLarge`) and drops it.
public enum AMQP10ProtocolError: Error, Sendable, Hashable {
    /// The bytes ended in the middle of a value.
    case truncated
    /// A format code that is not in the spec's type system (or a reserved one).
    case unknownConstructor(UInt8)
    /// Lists, maps, arrays or described values nested deeper than the limit.
    case nestingTooDeep(limit: Int)
    /// A variable-width value (binary, string, symbol, list, map, array) declared more bytes
    /// than remain in its enclosing frame or value.
    case sizeExceedsRemaining(declared: UInt64, remaining: Int)
    /// A compound declared more elements than its byte size can hold.
    case countExceedsSize(count: UInt64, size: UInt64)
    /// A compound's elements did not fill exactly its declared size.
    case sizeMismatch(declared: UInt64, used: UInt64)
    /// A map with an odd element count.
    case oddMapCount(UInt64)
    /// A string that is not valid UTF-8.
    case invalidUTF8
    /// A symbol with a byte outside ASCII.
    case invalidSymbol
    /// A char that is not a Unicode scalar.
    case invalidChar(UInt32)
    /// An array whose elements are not all of one type (and, for described elements, one
    /// descriptor); or an element type that cannot stand in an array.
    case arrayNotHomogeneous
    /// A value whose encoding is longer than a 32-bit size can say.
    case valueTooLong(length: Int)
    /// A frame's declared size is above the negotiated max-frame-size.
    case frameTooLarge(size: UInt32, limit: UInt32)
    /// A frame's declared size is below its 8-byte header, or its data offset points
    /// before the end of the header or past the end of the frame.
    case badFrameHeader(size: UInt32, dataOffset: UInt8)
    /// A frame type other than AMQP (0) or SASL (1).
    case unknownFrameType(UInt8)
    /// A SASL frame without a body.
    case emptySASLFrame
    /// Bytes that begin "AMQP" but are not a protocol header this library speaks.
    case unsupportedProtocolHeader([UInt8])
    /// A frame body, section or field that was not the described type expected there.
    /// `found` names the descriptor (or the type) that came instead.
    case unexpectedDescriptor(expected: String, found: String)
    /// A field of a composite type (performative, terminus, section) had the wrong type.
    case invalidField(type: String, field: String, found: String)
    /// A mandatory field of a composite type was absent or null.
    case missingMandatoryField(type: String, field: String)
    /// A value outside a restricted type's choices (e.g. sender-settle-mode 7).
    case invalidFieldValue(type: String, field: String, value: String)
    /// A message payload's sections were not in the order the spec requires, or a body
    /// section kind was mixed with another, or a section came twice.
    case invalidSectionOrder(String)
    /// A max-frame-size below the spec's minimum of 512 bytes, or too small to carry a
    /// transfer with at least one payload byte.
    case maxFrameSizeTooSmall(UInt32)
    /// A reassembled message (the payload of transfers with `more = true`) is above the limit.
    case messageTooLarge(size: Int, limit: Int)
    /// A continuation transfer did not belong to the delivery in progress (another
    /// delivery-id or tag), or a transfer arrived while nothing was in progress with only
    /// continuation fields set.
    case unexpectedTransfer(String)
}
