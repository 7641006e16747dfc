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
        let message = try random.message().encoded()
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

    @Test func everyTwoWaySplitAndByteByByteDecodeTheSame() throws {
        let items = try Self.stream()
        let wire = try Self.wire(items)
        #expect(try decodeAll(wire) == items)

        for split in 0 ... wire.readableBytes {
            var decoder = AMQP10FrameDecoder(maxFrameSize: .max)
            var buffer = wire.getSlice(at: 0, length: split)!
            var decoded: [AMQP10Inbound] = []
            while let item = try decoder.decode(buffer: &buffer) { decoded.append(item) }
            var rest = wire.getSlice(at: split, length: wire.readableBytes - split)!
            buffer.writeBuffer(&rest)
            while let item = try decoder.decode(buffer: &buffer) { decoded.append(item) }
            #expect(decoded == items, "split at \(split)")
            #expect(buffer.readableBytes == 0)
        }

        var decoder = AMQP10FrameDecoder(maxFrameSize: .max)
        var buffer = ByteBuffer()
        var decoded: [AMQP10Inbound] = []
        for byte in wire.readableBytesView {
            buffer.writeInteger(byte)
            while let item = try decoder.decode(buffer: &buffer) { decoded.append(item) }
        }
        #expect(decoded == items)
    }

    @Test func byteToMessageDecoderVerifier() throws {
        let items = try Self.stream()
        var inputs: [(ByteBuffer, [AMQP10Inbound])] = try items.map { (try Self.wire([$0]), [$0]) }
        inputs.append((try Self.wire(items), items))
        try ByteToMessageDecoderVerifier.verifyDecoder(inputOutputPairs: inputs) { AMQP10FrameDecoder(maxFrameSize: .max) }
    }
}
