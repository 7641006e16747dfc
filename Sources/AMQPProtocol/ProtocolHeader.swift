import NIOCore

/// The eight octets a client sends first: `AMQP`, 0, then the protocol version.
///
/// A server that does not speak the version answers with its own header and closes.
public struct ProtocolHeader: Sendable, Hashable {
    public var protocolID: UInt8
    public var major: UInt8
    public var minor: UInt8
    public var revision: UInt8

    /// `AMQP\x00\x00\x09\x01`: AMQP 0-9-1.
    public static let amqp091 = ProtocolHeader(protocolID: 0, major: 0, minor: 9, revision: 1)

    public init(protocolID: UInt8, major: UInt8, minor: UInt8, revision: UInt8) {
        self.protocolID = protocolID
        self.major = major
        self.minor = minor
        self.revision = revision
    }

    /// Writes the eight octets.
    public func encode(into buffer: inout ByteBuffer) {
        buffer.writeString("AMQP")
        buffer.writeInteger(self.protocolID)
        buffer.writeInteger(self.major)
        buffer.writeInteger(self.minor)
        buffer.writeInteger(self.revision)
    }

    /// Reads a header if `buffer` starts with `AMQP` and holds eight bytes; consumes nothing otherwise.
    static func peek(in buffer: ByteBuffer) -> ProtocolHeader? {
        guard let bytes = buffer.getBytes(at: buffer.readerIndex, length: 8),
              bytes[0 ..< 4].elementsEqual("AMQP".utf8)
        else { return nil }
        return ProtocolHeader(protocolID: bytes[4], major: bytes[5], minor: bytes[6], revision: bytes[7])
    }
}
