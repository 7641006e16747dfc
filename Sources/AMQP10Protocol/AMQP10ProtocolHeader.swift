import NIOCore

/// The 8-byte protocol header that opens each layer of a connection: "AMQP", a protocol id
/// (0 AMQP, 2 TLS, 3 SASL) and the version 1.0.0.
public struct AMQP10ProtocolHeader: Sendable, Hashable, CustomStringConvertible {
    /// The layer the header announces.
    public enum ProtocolID: UInt8, Sendable, Hashable {
        case amqp = 0
        case tls = 2
        case sasl = 3
    }

    public var protocolID: ProtocolID
    public var major: UInt8
    public var minor: UInt8
    public var revision: UInt8

    public init(protocolID: ProtocolID, major: UInt8 = 1, minor: UInt8 = 0, revision: UInt8 = 0) {
        self.protocolID = protocolID
        self.major = major
        self.minor = minor
        self.revision = revision
    }

    /// `AMQP 0 1 0 0`.
    public static let amqp = AMQP10ProtocolHeader(protocolID: .amqp)
    /// `AMQP 3 1 0 0`.
    public static let sasl = AMQP10ProtocolHeader(protocolID: .sasl)
    /// `AMQP 2 1 0 0`.
    public static let tls = AMQP10ProtocolHeader(protocolID: .tls)

    public static let size = 8

    public var description: String { "AMQP \(self.protocolID.rawValue) \(self.major).\(self.minor).\(self.revision)" }

    public func encode(into buffer: inout ByteBuffer) {
        buffer.writeString("AMQP")
        buffer.writeInteger(self.protocolID.rawValue)
        buffer.writeInteger(self.major)
        buffer.writeInteger(self.minor)
        buffer.writeInteger(self.revision)
    }

    /// Whether `buffer` starts with "AMQP" (or a prefix of it, when shorter).
    static func startsLikeHeader(_ buffer: ByteBuffer) -> Bool {
        let magic: [UInt8] = Array("AMQP".utf8)
        let available = min(4, buffer.readableBytes)
        guard available > 0, let bytes = buffer.getBytes(at: buffer.readerIndex, length: available) else { return false }
        return bytes == Array(magic.prefix(available))
    }

    /// Reads a header from the front of `buffer`: nil (nothing consumed) when fewer than
    /// eight bytes are there.
    ///
    /// - Throws: `AMQP10ProtocolError.unsupportedProtocolHeader` for "AMQP" followed by an
    ///   unknown protocol id or a version other than 1.0.0; the connection answers it with
    ///   its own header and closes.
    public static func decode(from buffer: inout ByteBuffer) throws(AMQP10ProtocolError) -> AMQP10ProtocolHeader? {
        guard let bytes = buffer.getBytes(at: buffer.readerIndex, length: Self.size) else { return nil }
        guard bytes[0 ..< 4] == [0x41, 0x4D, 0x51, 0x50][...],
              let id = ProtocolID(rawValue: bytes[4]),
              bytes[5] == 1, bytes[6] == 0, bytes[7] == 0
        else { throw .unsupportedProtocolHeader(bytes) }
        buffer.moveReaderIndex(forwardBy: Self.size)
        return AMQP10ProtocolHeader(protocolID: id, major: bytes[5], minor: bytes[6], revision: bytes[7])
    }
}
