import NIOCore

/// Writes frames as bytes: a NIO `MessageToByteEncoder` for `MessageToByteHandler`.
public struct FrameEncoder: MessageToByteEncoder, Sendable {
    public typealias OutboundIn = Frame

    public init() {}

    public func encode(data: Frame, out: inout ByteBuffer) throws {
        try data.encode(into: &out)
    }
}
