import NIOCore

extension AMQP10Transfer {
    /// Splits a delivery into transfers whose frames each fit in `maxFrameSize`.
    ///
    /// `self` is the delivery's first transfer with the whole message payload. The first
    /// transfer keeps every field; the continuations carry the handle, the delivery-id and
    /// `more`. Every transfer but the last has `more = true`. An empty payload gives one
    /// transfer with an empty payload. Payload pieces are slices, not copies.
    ///
    /// - Parameter maxFrameSize: the peer's max-frame-size, frame header included.
    /// - Throws: `AMQP10ProtocolError.maxFrameSizeTooSmall` when a frame cannot hold the
    ///   performative and at least one payload byte; a value error from the fields.
    public func split(maxFrameSize: UInt32) throws(AMQP10ProtocolError) -> [AMQP10Transfer] {
        var first = self
        first.payload = ByteBuffer()
        first.more = false
        let wholeSize = try Self.frameOverhead(first) + self.payload.readableBytes
        if UInt64(wholeSize) <= UInt64(maxFrameSize) {
            var single = self
            single.more = false
            return [single]
        }
        first.more = true
        var continuation = AMQP10Transfer(handle: self.handle, deliveryID: self.deliveryID, more: true)
        let firstRoom = Int(maxFrameSize) - (try Self.frameOverhead(first))
        let continuationRoom = Int(maxFrameSize) - (try Self.frameOverhead(continuation))
        guard firstRoom > 0, continuationRoom > 0 else { throw .maxFrameSizeTooSmall(maxFrameSize) }

        var rest = self.payload
        var transfers: [AMQP10Transfer] = []
        transfers.reserveCapacity(1 + rest.readableBytes / continuationRoom)
        first.payload = rest.readSlice(length: firstRoom)!
        transfers.append(first)
        while rest.readableBytes > 0 {
            let length = min(continuationRoom, rest.readableBytes)
            continuation.payload = rest.readSlice(length: length)!
            continuation.more = rest.readableBytes > 0
            transfers.append(continuation)
        }
        return transfers
    }

    /// The frame header plus the encoded performative (without payload).
    static func frameOverhead(_ transfer: AMQP10Transfer) throws(AMQP10ProtocolError) -> Int {
        var buffer = ByteBuffer()
        try transfer.value.encode(into: &buffer)
        return AMQP10Frame.headerSize + buffer.readableBytes
    }
}
