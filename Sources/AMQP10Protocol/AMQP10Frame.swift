import NIOCore

/// One AMQP 1.0 frame (transport 2.3): a 4-byte size, a data offset (in 4-byte words), a
/// type (0 AMQP, 1 SASL), a 2-byte channel, an ignored extended header, then the body.
public struct AMQP10Frame: Sendable, Hashable {
    /// The frame's body.
    public enum Body: Sendable, Hashable {
        /// An AMQP frame without a body: a heartbeat.
        case empty
        case amqp(AMQP10Performative)
        case sasl(AMQP10SASLPerformative)
    }

    /// Size, data offset, type and channel.
    public static let headerSize = 8
    /// The smallest max-frame-size a peer may announce (transport `MIN-MAX-FRAME-SIZE`).
    public static let minimumMaxFrameSize: UInt32 = 512
    /// Frame type octets.
    public static let typeAMQP: UInt8 = 0
    public static let typeSASL: UInt8 = 1

    /// The channel (session); 0 for connection-level and SASL frames.
    public var channel: UInt16
    public var body: Body

    public init(channel: UInt16 = 0, body: Body) {
        self.channel = channel
        self.body = body
    }

    public init(channel: UInt16 = 0, _ performative: AMQP10Performative) {
        self.init(channel: channel, body: .amqp(performative))
    }

    public init(_ sasl: AMQP10SASLPerformative) {
        self.init(channel: 0, body: .sasl(sasl))
    }

    /// An empty AMQP frame on channel 0: keeps an idle connection alive.
    public static let heartbeat = AMQP10Frame(channel: 0, body: .empty)

    /// The type octet.
    public var type: UInt8 {
        if case .sasl = self.body { return Self.typeSASL }
        return Self.typeAMQP
    }

    /// Writes the whole frame.
    ///
    /// - Throws: a value error (`.invalidSymbol`, `.arrayNotHomogeneous`), or
    ///   `.valueTooLong` for a frame over 4 GiB.
    public func encode(into buffer: inout ByteBuffer) throws(AMQP10ProtocolError) {
        let start = buffer.writerIndex
        buffer.writeInteger(UInt32(0))
        buffer.writeInteger(UInt8(2))
        buffer.writeInteger(self.type)
        buffer.writeInteger(self.channel)
        switch self.body {
        case .empty: break
        case .amqp(let performative): try performative.encode(into: &buffer)
        case .sasl(let performative): try performative.encode(into: &buffer)
        }
        let size = buffer.writerIndex - start
        guard size <= UInt32.max else { throw .valueTooLong(length: size) }
        buffer.setInteger(UInt32(size), at: start)
    }

    /// The encoded frame as a new buffer.
    public func encoded() throws(AMQP10ProtocolError) -> ByteBuffer {
        var buffer = ByteBuffer()
        try self.encode(into: &buffer)
        return buffer
    }
}
