import AMQP10Protocol
import NIOCore
import Testing

/// Bytes captured between python-qpid-proton and RabbitMQ's AMQP 1.0 plugin (see
/// CapturedFrames.swift): every frame decodes and re-encodes, the conversation reads as
/// expected, and the multi-frame deliveries of both peers reassemble into the messages sent.
@Suite(.serialized, .timeLimit(.minutes(1))) struct CapturedTests {
    static var all: [(name: String, hex: String)] {
        CapturedFrames.client.enumerated().map { ("client \($0.offset)", $0.element) }
            + CapturedFrames.server.enumerated().map { ("server \($0.offset)", $0.element) }
            + CapturedProtonPeerFrames.client.enumerated().map { ("proton client \($0.offset)", $0.element) }
            + CapturedProtonPeerFrames.server.enumerated().map { ("proton broker \($0.offset)", $0.element) }
    }

    /// - Parameter maxFrameSize: what the receiving side announced (512 by the proton client).
    static func items(_ frames: [String], maxFrameSize: UInt32 = 512) throws -> [AMQP10Inbound] {
        var wire = ByteBuffer()
        for frame in frames { wire.writeImmutableBuffer(bytes(hex: frame)) }
        return try decodeAll(wire, maxFrameSize: maxFrameSize)
    }

    static func performatives(_ items: [AMQP10Inbound]) -> [AMQP10Performative] {
        items.compactMap { item in
            guard case .frame(let frame) = item, case .amqp(let performative) = frame.body else { return nil }
            return performative
        }
    }

    static func sasl(_ items: [AMQP10Inbound]) -> [AMQP10SASLPerformative] {
        items.compactMap { item in
            guard case .frame(let frame) = item, case .sasl(let performative) = frame.body else { return nil }
            return performative
        }
    }

    /// The messages carried by the transfers, reassembled.
    static func messages(_ performatives: [AMQP10Performative]) throws -> [AMQP10Message] {
        var assembler = AMQP10TransferAssembler(maxMessageSize: 1 << 20)
        var messages: [AMQP10Message] = []
        for case .transfer(let transfer) in performatives {
            if case .complete(let delivery) = try assembler.receive(transfer) {
                messages.append(try AMQP10Message(decoding: delivery.payload))
            }
        }
        return messages
    }

    @Test func everyFrameDecodesAndReencodesToTheSameFrame() throws {
        for (name, hexString) in Self.all {
            let items = try decodeAll(bytes(hex: hexString))
            #expect(items.count == 1, "\(name)")
            guard case .frame(let frame) = items.first else { continue }
            #expect(try roundTrip(frame) == frame, "\(name)")
        }
    }

    @Test func ourBytesMatchProtonsWhereTheEncodingIsCanonical() throws {
        #expect(hex(try AMQP10Frame(.initial(.plain(username: "guest", password: "guest"))).encoded()) == CapturedFrames.client[1])
        #expect(hex(try AMQP10Frame(.close(AMQP10Close())).encoded()) == CapturedFrames.client.last)
        var header = ByteBuffer()
        AMQP10ProtocolHeader.sasl.encode(into: &header)
        #expect(hex(header) == CapturedFrames.client[0])
    }

    @Test func rabbitMQSide() throws {
        let items = try Self.items(CapturedFrames.server)
        #expect(items.first == .protocolHeader(.sasl))
        #expect(items.contains(.protocolHeader(.amqp)))
        let sasl = Self.sasl(items)
        // sasl-mechanisms: an array8 of sym32 elements.
        #expect(sasl.first == .mechanisms(AMQP10SASLMechanisms(mechanisms: ["ANONYMOUS", "AMQPLAIN", "PLAIN"])))
        // sasl-outcome ok, with an explicit null additional-data.
        #expect(sasl.last == .outcome(AMQP10SASLOutcome(code: .ok)))

        let performatives = Self.performatives(items)
        guard case .open(let open) = performatives.first else {
            Issue.record("no open")
            return
        }
        #expect(!open.containerID.isEmpty)
        #expect(open.maxFrameSize == 512)
        #expect(performatives.contains { if case .begin(let begin) = $0 { begin.remoteChannel == 0 } else { false } })
        let attaches = performatives.compactMap { if case .attach(let attach) = $0 { attach } else { nil } }
        #expect(attaches.count == 2)
        #expect(attaches.allSatisfy { $0.source?.address?.hasPrefix("/queue/amqp10-capture-") == true || $0.target?.address?.hasPrefix("/queue/amqp10-capture-") == true })
        // RabbitMQ confirms each published message with a settled accepted disposition.
        let dispositions = performatives.compactMap { if case .disposition(let disposition) = $0 { disposition } else { nil } }
        #expect(dispositions.count == 3)
        #expect(dispositions.allSatisfy { $0.role == .receiver && $0.settled && $0.state == .accepted })
        #expect(Set(dispositions.map(\.first)) == [0, 1, 2])

        // The deliveries to the consumer: the second one split over five 512-byte frames.
        let transfers = performatives.compactMap { if case .transfer(let transfer) = $0 { transfer } else { nil } }
        #expect(transfers.filter(\.more).count >= 4)
        try Self.expectTheThreeMessages(try Self.messages(performatives))
        #expect(performatives.contains { if case .close(let close) = $0 { close.error == nil } else { false } })
    }

    @Test func protonSide() throws {
        let items = try Self.items(CapturedFrames.client)
        #expect(Self.sasl(items) == [.initial(.plain(username: "guest", password: "guest"))])
        let performatives = Self.performatives(items)
        guard case .open(let open) = performatives.first else {
            Issue.record("no open")
            return
        }
        #expect(open.maxFrameSize == 512)
        #expect(open.hostname == "/")
        let attaches = performatives.compactMap { if case .attach(let attach) = $0 { attach } else { nil } }
        #expect(attaches.map(\.role) == [.sender, .receiver])
        #expect(attaches.first?.initialDeliveryCount == 0)
        // Proton split the 2048-byte message into 512-byte frames too.
        try Self.expectTheThreeMessages(try Self.messages(performatives))
        let dispositions = performatives.compactMap { if case .disposition(let disposition) = $0 { disposition } else { nil } }
        #expect(dispositions.contains { $0.role == .receiver && $0.state == .accepted })
    }

    @Test func protonBrokerSide() throws {
        let server = try Self.items(CapturedProtonPeerFrames.server)
        #expect(Self.sasl(server) == [
            .mechanisms(AMQP10SASLMechanisms(mechanisms: ["ANONYMOUS"])),
            .outcome(AMQP10SASLOutcome(code: .ok)),
        ])
        let performatives = Self.performatives(server)
        guard case .open(let open) = performatives.first else {
            Issue.record("no open")
            return
        }
        #expect(open.containerID == "")
        #expect(open.maxFrameSize == .max)
        let dispositions = performatives.compactMap { if case .disposition(let disposition) = $0 { disposition } else { nil } }
        #expect(dispositions.map(\.first) == [0, 1, 2])
        #expect(dispositions.allSatisfy { $0.role == .receiver && $0.settled && $0.state == .accepted })
        try Self.expectTheThreeMessages(try Self.messages(performatives))

        // The client, to a peer without a frame limit: the 2 KiB message in one frame, which
        // a decoder limited to 512 refuses from the frame header.
        #expect(throws: AMQP10ProtocolError.self) { try Self.items(CapturedProtonPeerFrames.client) }
        let client = try Self.items(CapturedProtonPeerFrames.client, maxFrameSize: .max)
        #expect(Self.sasl(client) == [.initial(AMQP10SASLInit(mechanism: "ANONYMOUS", initialResponse: ByteBuffer(string: "anonymous")))])
        try Self.expectTheThreeMessages(try Self.messages(Self.performatives(client)))
    }

    /// The three messages the capture script sends, as proton typed them.
    static func expectTheThreeMessages(_ messages: [AMQP10Message]) throws {
        try #require(messages.count == 3)
        let first = messages[0]
        #expect(first.header?.durable == true)
        #expect(first.header?.priority == 7)
        #expect(first.header?.ttl == 60_000)
        #expect(first.messageAnnotations?[symbol: "x-opt-a"] == .string("b"))
        #expect(first.properties?.messageID == .string("id-1"))
        #expect(first.properties?.correlationID == .uuid(AMQP10UUID("01234567-89ab-cdef-0123-456789abcdef")!))
        #expect(first.properties?.subject == "subj")
        #expect(first.properties?.replyTo == "/queue/replies")
        #expect(first.properties?.contentType == "text/plain")
        #expect(first.properties?.creationTime == 1_700_000_000_500)
        #expect(first.applicationProperties?[string: "k"] == .string("v"))
        #expect(first.applicationProperties?[string: "n"] == .long(7))
        #expect(first.applicationProperties?[string: "f"] == .double(1.5))
        #expect(first.applicationProperties?[string: "b"] == .boolean(true))
        #expect(first.body == .value(.string("hello")))

        #expect(messages[1].properties?.messageID == .ulong(42))
        // Proton sends Python bytes as an amqp-value binary, not a data section.
        #expect(messages[1].body == .value(.binary(ByteBuffer(bytes: Array(repeating: Array(0 ... 255), count: 8).flatMap { $0 }))))

        #expect(messages[2].properties?.messageID == .uuid(AMQP10UUID("f81d4fae-7dec-11d0-a765-00a0c91e6bf6")!))
        #expect(messages[2].body == .sequence([[.long(1), .string("two"), .null]]))
    }
}
