import AMQPProtocol
import NIOCore
import Testing

/// Frames captured from RabbitMQ 3.10 on this machine (scripts/amqp/capture-rabbitmq.py).
@Suite struct CapturedFrameTests {
    static let all: [(String, [String])] = [
        ("connectionStart", CapturedFrames.connectionStart),
        ("connectionTune", CapturedFrames.connectionTune),
        ("connectionOpenOk", CapturedFrames.connectionOpenOk),
        ("channelOpenOk", CapturedFrames.channelOpenOk),
        ("confirmSelectOk", CapturedFrames.confirmSelectOk),
        ("queueDeclareOk", CapturedFrames.queueDeclareOk),
        ("publishAck", CapturedFrames.publishAck),
        ("getOk", CapturedFrames.getOk),
        ("deadLettered", CapturedFrames.deadLettered),
        ("getEmpty", CapturedFrames.getEmpty),
        ("returned", CapturedFrames.returned),
        ("connectionCloseOk", CapturedFrames.connectionCloseOk),
    ]

    static func frames(_ hexFrames: [String]) throws -> [Frame] {
        try hexFrames.flatMap { try decodeAll(bytes(hex: $0)) }
    }

    static func content(_ hexFrames: [String]) throws -> Content {
        var assembler = ContentAssembler()
        var outputs: [ContentAssembler.Output] = []
        for frame in try frames(hexFrames) {
            if let output = try assembler.receive(frame.payload) { outputs.append(output) }
        }
        guard outputs.count == 1, case .content(let content) = outputs[0] else {
            throw LeftoverBytes(count: -1)
        }
        return content
    }

    /// Every captured frame decodes, and encodes back to the same bytes.
    @Test func everyCapturedFrameDecodesAndReEncodesByteExact() throws {
        var count = 0
        for (name, hexFrames) in Self.all {
            for frameHex in hexFrames {
                let wire = bytes(hex: frameHex)
                let decoded = try decodeAll(wire)
                #expect(decoded.count == 1, "\(name)")
                #expect(hex(try encoded(decoded)) == frameHex, "\(name)")
                count += 1
            }
        }
        #expect(count >= 20)
    }

    @Test func connectionStartAndTune() throws {
        guard case .method(.connectionStart(let start)) = try Self.frames(CapturedFrames.connectionStart).first?.payload else {
            Issue.record("not connection.start")
            return
        }
        #expect(start.versionMajor == 0 && start.versionMinor == 9)
        #expect(start.mechanisms.split(separator: " ").contains("PLAIN"))
        #expect(start.serverProperties["product"]?.stringValue == "RabbitMQ")
        guard case .table(let capabilities) = start.serverProperties["capabilities"] else {
            Issue.record("no capabilities table")
            return
        }
        #expect(capabilities["publisher_confirms"] == .bool(true))
        #expect(capabilities["basic.nack"] == .bool(true))
        #expect(capabilities["connection.blocked"] == .bool(true))

        guard case .method(.connectionTune(let tune)) = try Self.frames(CapturedFrames.connectionTune).first?.payload else {
            Issue.record("not connection.tune")
            return
        }
        #expect(tune.frameMax == 131_072)
        #expect(tune.heartbeat == 60)
    }

    /// basic.get-ok of our 5000-byte publish: two body frames (frame-max 4096), and every
    /// header type exactly as published.
    @Test func getOkWithEveryHeaderTypeAndASplitBody() throws {
        let frames = try Self.frames(CapturedFrames.getOk)
        #expect(frames.count == 4)
        let content = try Self.content(CapturedFrames.getOk)
        guard case .basicGetOk(let getOk) = content.method else {
            Issue.record("not basic.get-ok")
            return
        }
        #expect(getOk.redelivered == false)
        #expect(content.body.readableBytes == CapturedFrames.publishedBodyCount)
        #expect(Array(content.body.readableBytesView) == (0 ..< CapturedFrames.publishedBodyCount).map { UInt8(($0 * 7) % 251) })
        #expect(content.properties.contentType == "application/octet-stream")
        #expect(content.properties.deliveryMode == 2)
        #expect(content.properties.messageID == "capture-1")
        #expect(content.properties.timestamp == 1_700_000_001)
        let headers = try #require(content.properties.headers)
        #expect(headers["string"]?.stringValue == "text ü")
        #expect(headers["bool"] == .bool(true))
        #expect(headers["int8"] == .int8(-8))
        #expect(headers["uint8"] == .uint8(200))
        #expect(headers["int16"] == .int16(-1600))
        #expect(headers["uint16"] == .uint16(60000))
        #expect(headers["int32"] == .int32(-320_000))
        #expect(headers["uint32"] == .uint32(4_000_000_000))
        #expect(headers["int64"] == .int64(-6_400_000_000))
        #expect(headers["float"] == .float(1.5))
        #expect(headers["double"] == .double(-2.25))
        #expect(headers["timestamp"] == .timestamp(1_700_000_000))
        #expect(headers["void"] == .void)
        #expect(headers["nested"] == .table([
            "inner": .table(["deep": "yes"]),
            "list": .array([.int32(1), "two"]),
        ]))
        #expect(headers["array"] == .array([.table(["k": "v"]), .array([.bool(false)])]))

        // Re-sending the same content at the same frame-max gives the same frames.
        let again = try content.frames(channel: frames[0].channel, frameMax: CapturedFrames.frameMax)
        #expect(again.count == 4)
        let bodies = again.compactMap { frame -> ByteBuffer? in
            if case .body(let body) = frame.payload { return body }
            return nil
        }
        let capturedBodies = frames.compactMap { frame -> ByteBuffer? in
            if case .body(let body) = frame.payload { return body }
            return nil
        }
        #expect(bodies == capturedBodies)
    }

    /// The rejected message dead-lettered by RabbitMQ: x-death is an array of tables.
    @Test func deadLetteredMessageCarriesXDeath() throws {
        let content = try Self.content(CapturedFrames.deadLettered)
        let headers = try #require(content.properties.headers)
        guard case .array(let deaths) = headers["x-death"], case .table(let death) = deaths.first else {
            Issue.record("x-death is not an array of tables: \(String(describing: headers["x-death"]))")
            return
        }
        #expect(death["reason"]?.stringValue == "rejected")
        #expect(death["count"] == .int64(1))
        #expect(death["queue"]?.stringValue?.hasPrefix("amqp-protocol-capture-") == true)
        guard case .array(let routingKeys) = death["routing-keys"], case .timestamp = death["time"] else {
            Issue.record("x-death without routing-keys array or time")
            return
        }
        #expect(routingKeys.count == 1)
        #expect(headers["x-first-death-reason"]?.stringValue == "rejected")
        // The original headers are still there, unchanged.
        #expect(headers["int8"] == .int8(-8))
        #expect(content.body.readableBytes == CapturedFrames.publishedBodyCount)
    }

    /// A mandatory publish with an empty body to nowhere: basic.return, a header with body
    /// size 0 and no body frame, then the ack.
    @Test func returnOfAnEmptyBodyCompletesWithoutABodyFrame() throws {
        let frames = try Self.frames(CapturedFrames.returned)
        #expect(frames.count == 3)
        var assembler = ContentAssembler()
        var outputs: [ContentAssembler.Output] = []
        for frame in frames {
            if let output = try assembler.receive(frame.payload) { outputs.append(output) }
        }
        #expect(outputs.count == 2)
        guard case .content(let returned) = outputs.first, case .basicReturn(let method) = returned.method else {
            Issue.record("not a basic.return")
            return
        }
        #expect(method.replyCode == 312)
        #expect(method.replyText == "NO_ROUTE")
        #expect(returned.body.readableBytes == 0)
        #expect(returned.properties.messageID == "capture-2")
        guard case .method(.basicAck) = outputs.last else {
            Issue.record("no ack after the return")
            return
        }
    }

    @Test func capturedStreamDecodesAtEverySplit() throws {
        let stream = try encoded(Self.all.flatMap { try Self.frames($0.1) })
        let expected = try decodeAll(stream)
        for split in stride(from: 0, through: stream.readableBytes, by: 1) {
            var decoder = FrameDecoder()
            var buffer = stream.getSlice(at: 0, length: split)!
            var decoded: [Frame] = []
            while let frame = try decoder.decode(buffer: &buffer) { decoded.append(frame) }
            var rest = stream.getSlice(at: split, length: stream.readableBytes - split)!
            buffer.writeBuffer(&rest)
            while let frame = try decoder.decode(buffer: &buffer) { decoded.append(frame) }
            #expect(decoded == expected)
        }
    }
}
