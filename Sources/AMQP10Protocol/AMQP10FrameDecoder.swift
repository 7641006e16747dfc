import NIOCore

/// What arrives on an AMQP 1.0 connection: a protocol header (at the start, and again after
/// SASL) or a frame.
public enum AMQP10Inbound: Sendable, Hashable {
    case protocolHeader(AMQP10ProtocolHeader)
    case frame(AMQP10Frame)
}

/// Turns received bytes into protocol headers and frames. No I/O: feed it bytes, take
/// frames out.
///
/// Use it directly with `decode(buffer:)`, or as a NIO `ByteToMessageDecoder`
/// (`ByteToMessageHandler(AMQP10FrameDecoder())`), which fires `AMQP10Inbound` values.
/// A frame's size is checked against `maxFrameSize` from its first four bytes, before its
/// body is buffered.
public struct AMQP10FrameDecoder: ByteToMessageDecoder, Sendable {
    public typealias InboundOut = AMQP10Inbound

    /// The largest frame accepted, header included: the max-frame-size this end announced
    /// in its open. Before open, the spec's 512.
    public var maxFrameSize: UInt32
    /// The deepest nesting accepted in a frame body.
    public var maxDepth: Int

    /// - Parameters:
    ///   - maxFrameSize: the max-frame-size this end announces (default 512, the spec's
    ///     minimum that holds until open is exchanged; raise it after sending open).
    ///   - maxDepth: the nesting limit for values.
    public init(maxFrameSize: UInt32 = AMQP10Frame.minimumMaxFrameSize, maxDepth: Int = AMQP10Value.defaultMaxDepth) {
        self.maxFrameSize = maxFrameSize
        self.maxDepth = maxDepth
    }

    /// Decodes one header or frame from the front of `buffer`.
    ///
    /// - Returns: the item, with its bytes consumed; nil when `buffer` does not yet hold a
    ///   whole one, with nothing consumed.
    /// - Throws: `AMQP10ProtocolError.frameTooLarge`, `.badFrameHeader`,
    ///   `.unknownFrameType`, `.emptySASLFrame`, `.unsupportedProtocolHeader`, or an error
    ///   from the body.
    public mutating func decode(buffer: inout ByteBuffer) throws(AMQP10ProtocolError) -> AMQP10Inbound? {
        // A frame starting with 'A' would declare over 1 GiB: "AMQP" is always a header.
        if AMQP10ProtocolHeader.startsLikeHeader(buffer) {
            return try AMQP10ProtocolHeader.decode(from: &buffer).map { .protocolHeader($0) }
        }
        let start = buffer.readerIndex
        guard let size = buffer.getInteger(at: start, as: UInt32.self) else { return nil }
        if size > self.maxFrameSize { throw .frameTooLarge(size: size, limit: self.maxFrameSize) }
        guard let dataOffset = buffer.getInteger(at: start + 4, as: UInt8.self) else { return nil }
        guard size >= AMQP10Frame.headerSize, dataOffset >= 2, UInt32(dataOffset) * 4 <= size else {
            throw .badFrameHeader(size: size, dataOffset: dataOffset)
        }
        guard buffer.readableBytes >= Int(size) else { return nil }
        let type = buffer.getInteger(at: start + 5, as: UInt8.self)!
        let channel = buffer.getInteger(at: start + 6, as: UInt16.self)!
        let bodyStart = Int(dataOffset) * 4
        var body = buffer.getSlice(at: start + bodyStart, length: Int(size) - bodyStart)!
        let frame: AMQP10Frame
        switch type {
        case AMQP10Frame.typeAMQP:
            if body.readableBytes == 0 {
                frame = AMQP10Frame(channel: channel, body: .empty)
            } else {
                frame = AMQP10Frame(channel: channel, body: .amqp(try AMQP10Performative.decode(from: &body, maxDepth: self.maxDepth)))
            }
        case AMQP10Frame.typeSASL:
            guard body.readableBytes > 0 else { throw .emptySASLFrame }
            frame = AMQP10Frame(channel: channel, body: .sasl(try AMQP10SASLPerformative.decode(from: &body, maxDepth: self.maxDepth)))
        default:
            throw .unknownFrameType(type)
        }
        buffer.moveReaderIndex(forwardBy: Int(size))
        return .frame(frame)
    }

    public mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let item = try self.decode(buffer: &buffer) else { return .needMoreData }
        context.fireChannelRead(Self.wrapInboundOut(item))
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
