import NIOCore

/// What is sent on an AMQP 1.0 connection: a protocol header or a frame.
public enum AMQP10Outbound: Sendable, Hashable {
    case protocolHeader(AMQP10ProtocolHeader)
    case frame(AMQP10Frame)
}

/// Writes headers and frames as bytes: a NIO `MessageToByteEncoder` for
/// `MessageToByteHandler`.
///
/// With `maxFrameSize` set (the peer's max-frame-size from its open), a frame larger than
/// that throws `AMQP10ProtocolError.frameTooLarge` instead of being sent: split transfers
/// with `AMQP10Transfer.split`.
public struct AMQP10FrameEncoder: MessageToByteEncoder, Sendable {
    public typealias OutboundIn = AMQP10Outbound

    /// The peer's max-frame-size; `UInt32.max` for none.
    public var maxFrameSize: UInt32

    public init(maxFrameSize: UInt32 = .max) {
        self.maxFrameSize = maxFrameSize
    }

    public func encode(data: AMQP10Outbound, out: inout ByteBuffer) throws {
        try self.encode(data, into: &out)
    }

    /// Writes one header or frame.
    public func encode(_ item: AMQP10Outbound, into out: inout ByteBuffer) throws(AMQP10ProtocolError) {
        switch item {
        case .protocolHeader(let header):
            header.encode(into: &out)
        case .frame(let frame):
            let start = out.writerIndex
            try frame.encode(into: &out)
            let size = out.writerIndex - start
            if size > self.maxFrameSize {
                out.moveWriterIndex(to: start)
                throw .frameTooLarge(size: UInt32(clamping: size), limit: self.maxFrameSize)
            }
        }
    }
}
