import NIOCore

/// A content-carrying method with its properties and body: basic.publish going out;
/// basic.deliver, basic.return or basic.get-ok coming in.
public struct Content: Sendable, Hashable {
    /// The method the content follows; `method.hasContent` is true.
    public var method: Method
    public var properties: BasicProperties
    /// The whole body. A slice of the received frame when it came in one body frame.
    public var body: ByteBuffer

    public init(method: Method, properties: BasicProperties = BasicProperties(), body: ByteBuffer) {
        self.method = method
        self.properties = properties
        self.body = body
    }
}

extension Content {
    /// The frames that carry this content on `channel`: the method frame, the header frame,
    /// then body frames of at most `frameMax - 8` payload bytes each; no body frame for an
    /// empty body. Body frames are slices of `body` (no copy).
    ///
    /// - Parameters:
    ///   - channel: the channel to send on.
    ///   - frameMax: the negotiated frame-max, overhead included; 0 means no limit.
    /// - Throws: `AMQPProtocolError.frameMaxTooSmall` below 9 bytes;
    ///   `.frameTooLarge` when the method or header frame alone exceeds `frameMax`
    ///   (e.g. huge headers); `.shortStringTooLong`.
    public func frames(channel: UInt16, frameMax: UInt32) throws(AMQPProtocolError) -> [Frame] {
        if frameMax != 0, frameMax <= UInt32(Frame.overhead) { throw .frameMaxTooSmall(frameMax) }
        let header = ContentHeader(classID: self.method.classID, bodySize: UInt64(self.body.readableBytes), properties: self.properties)
        var frames = [
            Frame(channel: channel, payload: .method(self.method)),
            Frame(channel: channel, payload: .header(header)),
        ]
        var scratch = ByteBuffer()
        for frame in frames {
            scratch.clear()
            try frame.encode(into: &scratch)
            if frameMax != 0, scratch.readableBytes > Int(frameMax) {
                throw .frameTooLarge(size: UInt64(scratch.readableBytes), limit: frameMax)
            }
        }
        let chunk = frameMax == 0 ? Int(UInt32.max) : Int(frameMax) - Frame.overhead
        var rest = self.body
        while rest.readableBytes > 0 {
            let slice = rest.readSlice(length: min(chunk, rest.readableBytes))!
            frames.append(Frame(channel: channel, payload: .body(slice)))
        }
        return frames
    }

    /// Writes the frames of `frames(channel:frameMax:)` into `buffer`.
    ///
    /// On a thrown error `buffer` is left as it was.
    public func encode(channel: UInt16, frameMax: UInt32, into buffer: inout ByteBuffer) throws(AMQPProtocolError) {
        let writerIndex = buffer.writerIndex
        do {
            for frame in try self.frames(channel: channel, frameMax: frameMax) {
                try frame.encode(into: &buffer)
            }
        } catch {
            buffer.moveWriterIndex(to: writerIndex)
            throw error
        }
    }
}
