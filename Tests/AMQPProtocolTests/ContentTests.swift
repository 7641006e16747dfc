import AMQPProtocol
import NIOCore
import Testing

@Suite struct ContentTests {
    static let publish = Method.basicPublish(BasicPublish(exchange: "ex", routingKey: "rk", mandatory: true))

    /// Body frames carry at most frameMax - 8 bytes; an empty body has no body frame.
    @Test(arguments: [(0, 0), (1, 1), (4087, 1), (4088, 1), (4089, 2), (100_000, 25)])
    func bodySplitsAtFrameMaxMinusOverhead(size: Int, expectedBodyFrames: Int) throws {
        let body = ByteBuffer(bytes: (0 ..< size).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ $0 >> 8) })
        let content = Content(method: Self.publish, properties: allProperties, body: body)
        let frames = try content.frames(channel: 1, frameMax: 4096)
        #expect(frames.count == 2 + expectedBodyFrames)
        #expect(frames.count == 2 + (size + 4087) / 4088)

        var wire = ByteBuffer()
        try content.encode(channel: 1, frameMax: 4096, into: &wire)
        #expect(try encoded(frames) == wire)

        // No frame over frameMax on the wire, each body frame full except the last.
        var decoder = FrameDecoder(maxFrameSize: 4096)
        var assembler = ContentAssembler()
        var outputs: [ContentAssembler.Output] = []
        var bodySizes: [Int] = []
        var reading = wire
        while let frame = try decoder.decode(buffer: &reading) {
            #expect(try encoded(frame).readableBytes <= 4096)
            if case .body(let piece) = frame.payload { bodySizes.append(piece.readableBytes) }
            if let output = try assembler.receive(frame.payload) { outputs.append(output) }
        }
        #expect(reading.readableBytes == 0)
        #expect(bodySizes.dropLast().allSatisfy { $0 == 4088 })
        #expect(bodySizes.reduce(0, +) == size)
        #expect(outputs == [.content(content)])
        #expect(!assembler.isAssembling)
    }

    @Test func frameMaxZeroMeansOneBodyFrame() throws {
        let frames = try Content(method: Self.publish, body: ByteBuffer(repeating: 1, count: 200_000)).frames(channel: 1, frameMax: 0)
        #expect(frames.count == 3)
    }

    @Test func headersLargerThanFrameMaxAreRefused() throws {
        var headers = FieldTable()
        headers["big"] = .string(String(repeating: "x", count: 5000))
        let content = Content(method: Self.publish, properties: BasicProperties(headers: headers), body: ByteBuffer())
        #expect(throws: AMQPProtocolError.self) { try content.frames(channel: 1, frameMax: 4096) }
        var buffer = ByteBuffer(string: "kept")
        #expect(throws: AMQPProtocolError.self) { try content.encode(channel: 1, frameMax: 4096, into: &buffer) }
        #expect(String(buffer: buffer) == "kept")
        #expect(throws: AMQPProtocolError.frameMaxTooSmall(8)) { try content.frames(channel: 1, frameMax: 8) }
    }

    @Test func emptyBodyCompletesAfterTheHeader() throws {
        var assembler = ContentAssembler()
        let deliver = Method.basicDeliver(BasicDeliver(consumerTag: "c", deliveryTag: 1, redelivered: false, exchange: "", routingKey: "q"))
        #expect(try assembler.receive(.method(deliver)) == nil)
        #expect(assembler.isAssembling)
        let output = try assembler.receive(.header(ContentHeader(bodySize: 0, properties: allProperties)))
        #expect(output == .content(Content(method: deliver, properties: allProperties, body: ByteBuffer())))
        // The next delivery starts cleanly.
        #expect(try assembler.receive(.method(deliver)) == nil)
    }

    @Test func methodsWithoutContentPassThrough() throws {
        var assembler = ContentAssembler()
        let ack = Method.basicAck(BasicAck(deliveryTag: 3))
        #expect(try assembler.receive(.method(ack)) == .method(ack))
        #expect(try assembler.receive(.heartbeat) == nil)
    }

    @Test func framesOutOfOrderAreTypedErrors() throws {
        let deliver = Method.basicDeliver(BasicDeliver(consumerTag: "c", deliveryTag: 1, redelivered: false, exchange: "", routingKey: "q"))
        let header = Frame.Payload.header(ContentHeader(bodySize: 4))
        let body = Frame.Payload.body(ByteBuffer(string: "ab"))
        let sequences: [[Frame.Payload]] = [
            [header],                                  // header without a method
            [body],                                    // body without a method
            [.method(deliver), body],                  // body before the header
            [.method(deliver), .method(deliver)],      // method instead of the header
            [.method(deliver), header, header],        // second header
            [.method(deliver), header, body, .method(.basicAck(BasicAck(deliveryTag: 1)))],  // method mid-body
        ]
        for sequence in sequences {
            var assembler = ContentAssembler()
            #expect(throws: AMQPProtocolError.self) {
                for payload in sequence { _ = try assembler.receive(payload) }
            }
            #expect(!assembler.isAssembling, "assembler resets after an error")
        }
    }

    @Test func bodyLongerThanDeclaredIsATypedError() throws {
        var assembler = ContentAssembler()
        _ = try assembler.receive(.method(Self.publish))
        _ = try assembler.receive(.header(ContentHeader(bodySize: 3)))
        _ = try assembler.receive(.body(ByteBuffer(string: "ab")))
        #expect(throws: AMQPProtocolError.bodyLongerThanDeclared(declared: 3, received: 4)) {
            try assembler.receive(.body(ByteBuffer(string: "cd")))
        }
    }

    @Test func declaredBodyOverTheLimitIsRefusedFromTheHeader() throws {
        var assembler = ContentAssembler(maximumBodySize: 1000)
        _ = try assembler.receive(.method(Self.publish))
        #expect(throws: AMQPProtocolError.bodyTooLarge(declared: 1001, limit: 1000)) {
            try assembler.receive(.header(ContentHeader(bodySize: 1001)))
        }
    }

    @Test func oneBodyFrameIsDeliveredWithoutACopy() throws {
        let body = ByteBuffer(repeating: 9, count: 500)
        var assembler = ContentAssembler()
        _ = try assembler.receive(.method(Self.publish))
        _ = try assembler.receive(.header(ContentHeader(bodySize: 500)))
        guard case .content(let content) = try assembler.receive(.body(body)) else {
            Issue.record("no content")
            return
        }
        let original = body.withUnsafeReadableBytes { UInt(bitPattern: $0.baseAddress) }
        let delivered = content.body.withUnsafeReadableBytes { UInt(bitPattern: $0.baseAddress) }
        #expect(original == delivered)
    }
}
