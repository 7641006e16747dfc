import AMQPProtocol
import NIOCore
import NIOTestUtils
import Testing

/// A stream of several frames decodes to the same frames however it is split.
@Suite struct SplitTests {
    static func streamFrames() throws -> [Frame] {
        let content = Content(
            method: .basicDeliver(BasicDeliver(consumerTag: "ctag", deliveryTag: 42, redelivered: true, exchange: "ex", routingKey: "rk")),
            properties: allProperties,
            body: ByteBuffer(bytes: (0 ..< 1500).map { UInt8(truncatingIfNeeded: $0 * 31) })
        )
        return [Frame.heartbeat]
            + [Frame(channel: 0, payload: .method(.connectionTune(ConnectionTune(channelMax: 2047, frameMax: 131_072, heartbeat: 60))))]
            + (try content.frames(channel: 7, frameMax: 512))
            + [Frame(channel: 7, payload: .method(.basicAck(BasicAck(deliveryTag: 42, multiple: true))))]
            + (try Content(method: .basicReturn(BasicReturn(replyCode: 312, replyText: "NO_ROUTE", exchange: "", routingKey: "x")), body: ByteBuffer()).frames(channel: 9, frameMax: 512))
    }

    @Test func everyTwoWaySplitAndByteByByteDecodeTheSame() throws {
        let frames = try Self.streamFrames()
        let wire = try encoded(frames)
        #expect(try decodeAll(wire) == frames)

        // Two pieces, split at every index.
        for split in 0 ... wire.readableBytes {
            var decoder = FrameDecoder()
            var buffer = wire.getSlice(at: 0, length: split)!
            var decoded: [Frame] = []
            while let frame = try decoder.decode(buffer: &buffer) { decoded.append(frame) }
            var rest = wire.getSlice(at: split, length: wire.readableBytes - split)!
            buffer.writeBuffer(&rest)
            while let frame = try decoder.decode(buffer: &buffer) { decoded.append(frame) }
            #expect(decoded == frames, "split at \(split)")
            #expect(buffer.readableBytes == 0)
        }

        // One byte at a time.
        var decoder = FrameDecoder()
        var buffer = ByteBuffer()
        var decoded: [Frame] = []
        for byte in wire.readableBytesView {
            buffer.writeInteger(byte)
            while let frame = try decoder.decode(buffer: &buffer) { decoded.append(frame) }
        }
        #expect(decoded == frames)
    }

    @Test func byteToMessageDecoderVerifier() throws {
        let frames = try Self.streamFrames()
        var inputs: [(ByteBuffer, [Frame])] = []
        for frame in frames {
            inputs.append((try encoded(frame), [frame]))
        }
        inputs.append((try encoded(frames), frames))
        try ByteToMessageDecoderVerifier.verifyDecoder(inputOutputPairs: inputs) { FrameDecoder() }
    }
}
