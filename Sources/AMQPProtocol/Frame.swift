import NIOCore

/// One AMQP frame: type octet, channel, 32-bit payload size, payload, frame-end 0xCE.
public struct Frame: Sendable, Hashable {
    /// The frame type octet.
    public enum Kind: UInt8, Sendable, Hashable {
        case method = 1
        case header = 2
        case body = 3
        case heartbeat = 8
    }

    /// The decoded payload.
    public enum Payload: Sendable, Hashable {
        case method(Method)
        case header(ContentHeader)
        /// A body frame's bytes: a slice of the received buffer, not a copy.
        case body(ByteBuffer)
        case heartbeat

        public var kind: Kind {
            switch self {
            case .method: .method
            case .header: .header
            case .body: .body
            case .heartbeat: .heartbeat
            }
        }
    }

    /// Type octet, channel and payload size before the payload, frame-end after it.
    public static let headerSize = 7
    /// The bytes of a frame that are not payload: the 7-byte header and the frame-end.
    public static let overhead = 8
    /// The octet that ends every frame.
    public static let frameEnd: UInt8 = 0xCE
    /// The smallest frame-max a peer must accept (spec `frame-min-size`).
    public static let minimumFrameMax: UInt32 = 4096

    /// Channel 0 carries connection methods and heartbeats.
    public var channel: UInt16
    public var payload: Payload

    public init(channel: UInt16, payload: Payload) {
        self.channel = channel
        self.payload = payload
    }

    /// A heartbeat frame (always channel 0).
    public static let heartbeat = Frame(channel: 0, payload: .heartbeat)

    /// Encodes the whole frame.
    ///
    /// - Throws: `AMQPProtocolError.shortStringTooLong`, or `.valueTooLong` for a payload
    ///   over 4 GiB.
    public func encode(into buffer: inout ByteBuffer) throws(AMQPProtocolError) {
        buffer.writeInteger(self.payload.kind.rawValue)
        buffer.writeInteger(self.channel)
        try buffer.writeWithUInt32Length { (buffer: inout ByteBuffer) throws(AMQPProtocolError) in
            switch self.payload {
            case .method(let method): try method.encode(into: &buffer)
            case .header(let header): try header.encode(into: &buffer)
            case .body(let body): buffer.writeImmutableBuffer(body)
            case .heartbeat: break
            }
        }
        buffer.writeInteger(Frame.frameEnd)
    }

    /// Decodes a frame's payload given its type octet.
    static func decodePayload(kind: UInt8, from payload: inout ByteBuffer) throws(AMQPProtocolError) -> Payload {
        switch Kind(rawValue: kind) {
        case .method: return .method(try Method.decode(from: &payload))
        case .header: return .header(try ContentHeader(from: &payload))
        case .body: return .body(payload)
        case .heartbeat: return .heartbeat
        case nil: throw .unknownFrameType(kind)
        }
    }
}
