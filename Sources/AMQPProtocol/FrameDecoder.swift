import NIOCore

/// Turns received bytes into frames. No I/O: feed it bytes, take frames out.
///
/// Use it directly with `decode(buffer:)`, or as a NIO `ByteToMessageDecoder`
/// (`ByteToMessageHandler(FrameDecoder())`).
public struct FrameDecoder: ByteToMessageDecoder, Sendable {
    public typealias InboundOut = Frame

    /// The largest frame accepted, overhead included: the frame-max negotiated in
    /// connection.tune. A frame declaring more is refused from its header, before any
    /// of its payload is buffered. 0 means no limit, as in connection.tune.
    public var maxFrameSize: UInt32

    /// - Parameters:
    ///   - maxFrameSize: the frame-max; RabbitMQ's default 131072 until tuned.
    public init(maxFrameSize: UInt32 = 131_072) {
        self.maxFrameSize = maxFrameSize
    }

    /// Decodes one frame from the front of `buffer`.
    ///
    /// - Returns: the frame, with its bytes consumed; nil when `buffer` does not yet hold a
    ///   whole frame, with nothing consumed.
    /// - Throws: `AMQPProtocolError.unknownFrameType`, `.frameTooLarge`, `.badFrameEnd`,
    ///   `.protocolHeaderReceived`, or an error from the payload (method, header).
    public mutating func decode(buffer: inout ByteBuffer) throws(AMQPProtocolError) -> Frame? {
        let start = buffer.readerIndex
        guard let type = buffer.getInteger(at: start, as: UInt8.self),
              let channel = buffer.getInteger(at: start + 1, as: UInt16.self),
              let size = buffer.getInteger(at: start + 3, as: UInt32.self)
        else { return nil }
        guard Frame.Kind(rawValue: type) != nil else {
            if type == UInt8(ascii: "A") {
                guard let header = ProtocolHeader.peek(in: buffer) else {
                    // 'A' then bytes that may still become "AMQP..": wait for all eight.
                    if buffer.readableBytes < 8 { return nil }
                    throw .unknownFrameType(type)
                }
                throw .protocolHeaderReceived(header)
            }
            throw .unknownFrameType(type)
        }
        let frameSize = UInt64(size) + UInt64(Frame.overhead)
        if self.maxFrameSize != 0, frameSize > UInt64(self.maxFrameSize) {
            throw .frameTooLarge(size: frameSize, limit: self.maxFrameSize)
        }
        guard UInt64(buffer.readableBytes) >= frameSize else { return nil }
        let endIndex = start + Frame.headerSize + Int(size)
        let end = buffer.getInteger(at: endIndex, as: UInt8.self)!
        guard end == Frame.frameEnd else { throw .badFrameEnd(end) }
        var payload = buffer.getSlice(at: start + Frame.headerSize, length: Int(size))!
        let decoded = try Frame.decodePayload(kind: type, from: &payload)
        buffer.moveReaderIndex(to: endIndex + 1)
        return Frame(channel: channel, payload: decoded)
    }

    public mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let frame = try self.decode(buffer: &buffer) else { return .needMoreData }
        context.fireChannelRead(Self.wrapInboundOut(frame))
        return .continue
    }

    public mutating func decodeLast(
        context: ChannelHandlerContext,
        buffer: inout ByteBuffer,
        seenEOF: Bool
    ) throws -> DecodingState {
        try self.decode(context: context, buffer: &buffer)
    }
}
