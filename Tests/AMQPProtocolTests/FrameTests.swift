import AMQPProtocol
import NIOCore
import Testing

/// Frames written by hand from the spec (4.2.3: type, channel, size, payload, 0xCE).
@Suite struct FrameTests {
    @Test func protocolHeaderIsAMQP0091() {
        var buffer = ByteBuffer()
        ProtocolHeader.amqp091.encode(into: &buffer)
        #expect(hex(buffer) == "414d515000000901")
    }

    @Test func heartbeatFrame() throws {
        #expect(hex(try encoded(Frame.heartbeat)) == "08000000000000ce")
        #expect(try decodeAll(bytes(hex: "08 0000 00000000 ce")) == [Frame.heartbeat])
    }

    @Test func connectionTune() throws {
        // channel-max 2047, frame-max 131072, heartbeat 60
        let wire = "01 0000 0000000c 000a 001e 07ff 00020000 003c ce"
        let frame = Frame(channel: 0, payload: .method(.connectionTune(ConnectionTune(channelMax: 2047, frameMax: 131_072, heartbeat: 60))))
        #expect(try decodeAll(bytes(hex: wire)) == [frame])
        #expect(try encoded(frame) == bytes(hex: wire))
    }

    @Test func basicPublish() throws {
        // reserved short 0, exchange "ex", routing key "rk", bits: mandatory
        let wire = "01 0001 0000000d 003c 0028 0000 02 6578 02 726b 01 ce"
        let frame = Frame(channel: 1, payload: .method(.basicPublish(BasicPublish(exchange: "ex", routingKey: "rk", mandatory: true))))
        #expect(try decodeAll(bytes(hex: wire)) == [frame])
        #expect(try encoded(frame) == bytes(hex: wire))
    }

    @Test func contentHeaderWithAFewProperties() throws {
        // class 60, weight 0, body size 5; flags: content-type (bit 15), delivery-mode (12),
        // message-id (7) = 0x9080; "text/plain", 2, "m1".
        let payload = "003c 0000 0000000000000005 9080 0a 746578742f706c61696e 02 02 6d31"
        let wire = "02 0005 0000001d " + payload + " ce"
        let header = ContentHeader(bodySize: 5, properties: BasicProperties(contentType: "text/plain", deliveryMode: 2, messageID: "m1"))
        let frame = Frame(channel: 5, payload: .header(header))
        #expect(try decodeAll(bytes(hex: wire)) == [frame])
        #expect(try encoded(frame) == bytes(hex: wire))
    }

    @Test func contentHeadersWithEveryPropertyAndWithNoneRoundTrip() throws {
        for properties in [allProperties, BasicProperties()] {
            let frame = Frame(channel: 3, payload: .header(ContentHeader(bodySize: 1 << 40, properties: properties)))
            let wire = try encoded(frame)
            #expect(try decodeAll(wire) == [frame])
        }
        var none = ByteBuffer()
        try ContentHeader(bodySize: 0).encode(into: &none)
        #expect(hex(none) == "003c" + "0000" + "0000000000000000" + "0000")
        var every = ByteBuffer()
        try ContentHeader(bodySize: 0, properties: allProperties).encode(into: &every)
        #expect(every.getInteger(at: 12, as: UInt16.self) == 0xFFFC)
    }

    @Test func randomPropertiesRoundTrip() throws {
        var rng = SeededGenerator(seed: 0x7072_6F70)
        for _ in 0 ..< 2000 {
            let header = ContentHeader(bodySize: UInt64.random(in: 0 ... .max, using: &rng), properties: .random(using: &rng))
            var buffer = ByteBuffer()
            try header.encode(into: &buffer)
            #expect(try ContentHeader(from: &buffer) == header)
            #expect(buffer.readableBytes == 0)
        }
    }

    @Test func propertyFlagContinuationWordIsRead() throws {
        // flags 0x8001: content-type, then a continuation word 0x0000.
        var buffer = bytes(hex: "003c 0000 0000000000000000 8001 0000 01 61")
        #expect(try ContentHeader(from: &buffer).properties == BasicProperties(contentType: "a"))
        var unknown = bytes(hex: "003c 0000 0000000000000000 0001 8000")
        #expect(throws: AMQPProtocolError.unknownProperties(flags: 0x8000)) { try ContentHeader(from: &unknown) }
    }

    @Test func badFrameEndIsATypedError() throws {
        #expect(throws: AMQPProtocolError.badFrameEnd(0xCD)) { try decodeAll(bytes(hex: "08 0000 00000000 cd")) }
    }

    @Test func unknownFrameTypeIsATypedError() throws {
        #expect(throws: AMQPProtocolError.unknownFrameType(4)) { try decodeAll(bytes(hex: "04 0000 00000000 ce")) }
    }

    @Test func oversizeIsRefusedFromTheHeaderAlone() throws {
        var decoder = FrameDecoder(maxFrameSize: 4096)
        // 4089 bytes of payload: 4097 with overhead. Only the 7 header bytes are present.
        var header = bytes(hex: "03 0001 00000ff9")
        #expect(throws: AMQPProtocolError.frameTooLarge(size: 4097, limit: 4096)) { try decoder.decode(buffer: &header) }
        // 4088 is allowed: nil (waits for the payload) without consuming anything.
        var fits = bytes(hex: "03 0001 00000ff8")
        #expect(try decoder.decode(buffer: &fits) == nil)
        #expect(fits.readableBytes == 7)
    }

    @Test func partialInputConsumesNothing() throws {
        let wire = try encoded(Frame(channel: 2, payload: .method(.basicAck(BasicAck(deliveryTag: 7, multiple: true)))))
        var decoder = FrameDecoder()
        for length in 0 ..< wire.readableBytes {
            var partial = wire.getSlice(at: 0, length: length)!
            #expect(try decoder.decode(buffer: &partial) == nil)
            #expect(partial.readableBytes == length)
        }
    }

    @Test func serverProtocolHeaderIsReported() throws {
        // A server that speaks another version answers with its header and closes.
        var decoder = FrameDecoder()
        var reply = bytes(hex: "414d5150 00000800")
        #expect(throws: AMQPProtocolError.protocolHeaderReceived(ProtocolHeader(protocolID: 0, major: 0, minor: 8, revision: 0))) {
            try decoder.decode(buffer: &reply)
        }
    }

    @Test func bodyFrameIsASliceNotACopy() throws {
        let body = ByteBuffer(repeating: 0x42, count: 1000)
        let frame = Frame(channel: 1, payload: .body(body))
        var wire = try encoded(frame)
        var decoder = FrameDecoder()
        guard case .body(let decoded) = try decoder.decode(buffer: &wire)?.payload else {
            Issue.record("not a body frame")
            return
        }
        #expect(decoded == body)
        // A slice shares the receive buffer's storage: its bytes start right after the
        // 7-byte frame header.
        let storage = wire.withVeryUnsafeBytes { UInt(bitPattern: $0.baseAddress) }
        let slice = decoded.withUnsafeReadableBytes { UInt(bitPattern: $0.baseAddress) }
        #expect(slice == storage + UInt(Frame.headerSize))
    }

    @Test func frameEncoderForNIOWritesTheSameBytes() throws {
        let frame = Frame(channel: 4, payload: .method(.channelClose(ChannelClose(replyCode: 406, replyText: "PRECONDITION_FAILED", classID: 50, methodID: 10))))
        var out = ByteBuffer()
        try FrameEncoder().encode(data: frame, out: &out)
        #expect(out == (try encoded(frame)))
        #expect(try decodeAll(out) == [frame])
    }
}
