import AMQP10Protocol
import NIOCore
import NIOTestUtils
import Testing

/// A stream of headers and frames decodes the same however it is split.
@Suite(.serialized, .timeLimit(.minutes(1))) struct SplitTests {
    static func stream() throws -> [AMQP10Inbound] {
        var random = RandomAMQP10(seed: 0x5917)
        var items: [AMQP10Inbound] = [.protocolHeader(.sasl)]
        items += (0 ..< 5).map { .frame(AMQP10Frame(random.sasl($0))) }
        items.append(.protocolHeader(.amqp))
        items += (0 ..< 9).map { .frame(AMQP10Frame(channel: UInt16($0), random.performative($0))) }
        items.append(.frame(.heartbeat))
        let message = try AMQP10Message(
            header: AMQP10Header(durable: true),
            properties: AMQP10Properties(messageID: .string("m-1"), contentType: "application/octet-stream"),
            applicationProperties: [.string("k"): .string("v")],
            body: .data([ByteBuffer(bytes: (0 ..< 1000).map { UInt8(truncatingIfNeeded: $0) })])
        ).encoded()
        let transfers = try AMQP10Transfer(handle: 1, deliveryID: 9, deliveryTag: ByteBuffer(bytes: [9]), payload: message).split(maxFrameSize: 512)
        items += transfers.map { .frame(AMQP10Frame(channel: 1, .transfer($0))) }
        return items
    }

    static func wire(_ items: [AMQP10Inbound]) throws -> ByteBuffer {
        var buffer = ByteBuffer()
        let encoder = AMQP10FrameEncoder()
        for item in items {
            switch item {
            case .protocolHeader(let header): try encoder.encode(.protocolHeader(header), into: &buffer)
            case .frame(let frame): try encoder.encode(.frame(frame), into: &buffer)
            }
        }
        return buffer
    }

    /// Every frame split in two at every index: the first piece asks for more without
    /// consuming anything, the whole then decodes to the frame. (The decoder keeps no state
    /// between frames, so this covers every split point of the stream at a fraction of the
    /// cost of decoding the whole stream once per index.)
    @Test func everyTwoWaySplitDecodesTheSame() throws {
        let items = try Self.stream()
        for item in items {
            let wire = try Self.wire([item])
            for split in 0 ... wire.readableBytes {
                var decoder = AMQP10FrameDecoder(maxFrameSize: .max)
                var buffer = wire.getSlice(at: 0, length: split)!
                if split < wire.readableBytes {
                    #expect(try decoder.decode(buffer: &buffer) == nil, "split at \(split)")
                    #expect(buffer.readableBytes == split)
                    var rest = wire.getSlice(at: split, length: wire.readableBytes - split)!
                    buffer.writeBuffer(&rest)
                }
                #expect(try decoder.decode(buffer: &buffer) == item, "split at \(split)")
                #expect(buffer.readableBytes == 0)
            }
        }
    }

    /// The whole stream, split at every frame boundary and fed one byte at a time.
    @Test func streamSplitAtBoundariesAndByteByByteDecodesTheSame() throws {
        let items = try Self.stream()
        let wire = try Self.wire(items)
        #expect(try decodeAll(wire) == items)
        var boundary = 0
        for item in items {
            boundary += try Self.wire([item]).readableBytes
            var first = wire.getSlice(at: 0, length: boundary)!
            var decoder = AMQP10FrameDecoder(maxFrameSize: .max)
            var decoded: [AMQP10Inbound] = []
            while let item = try decoder.decode(buffer: &first) { decoded.append(item) }
            var rest = wire.getSlice(at: boundary, length: wire.readableBytes - boundary)!
            while let item = try decoder.decode(buffer: &rest) { decoded.append(item) }
            #expect(decoded == items)
        }

        var decoder = AMQP10FrameDecoder(maxFrameSize: .max)
        var buffer = ByteBuffer()
        var decoded: [AMQP10Inbound] = []
        for byte in wire.readableBytesView {
            buffer.writeInteger(byte)
            while let item = try decoder.decode(buffer: &buffer) { decoded.append(item) }
        }
        #expect(decoded == items)
        #expect(buffer.readableBytes == 0)
    }

    @Test func byteToMessageDecoderVerifier() throws {
        let items = try Self.stream()
        // One frame per input: the verifier feeds each whole, byte by byte and in pieces.
        let inputs: [(ByteBuffer, [AMQP10Inbound])] = try items.map { (try Self.wire([$0]), [$0]) }
        try ByteToMessageDecoderVerifier.verifyDecoder(inputOutputPairs: inputs) { AMQP10FrameDecoder(maxFrameSize: .max) }
    }
}
