import AMQP10Protocol
import NIOCore
import Testing

/// Multi-frame transfers: splitting under a max-frame-size and reassembling, with limits.
@Suite(.serialized, .timeLimit(.minutes(1))) struct TransferSplitTests {
    static func first(payload: ByteBuffer) -> AMQP10Transfer {
        AMQP10Transfer(handle: 2, deliveryID: 70_000, deliveryTag: ByteBuffer(bytes: [1, 2, 3, 4]), messageFormat: 0,
                       settled: false, payload: payload)
    }

    @Test func splitFramesFitAndReassemble() throws {
        var rng = SplitMix64(seed: 0x5911_7)
        for maxFrameSize: UInt32 in [512, 513, 600, 1024, 4096, 65536] {
            for length in [0, 1, 100, 479, 480, 481, 1000, 4095, 4096, 70_000] {
                let payload = ByteBuffer(bytes: (0 ..< length).map { _ in rng.byte() })
                let transfers = try Self.first(payload: payload).split(maxFrameSize: maxFrameSize)
                // Every frame within the limit, all but the last with more=true.
                for (index, transfer) in transfers.enumerated() {
                    let frame = try AMQP10Frame(channel: 1, .transfer(transfer)).encoded()
                    #expect(frame.readableBytes <= Int(maxFrameSize))
                    #expect(transfer.more == (index < transfers.count - 1))
                    #expect(!transfer.payload.readableBytesView.isEmpty || transfers.count == 1)
                }
                // No frame is wasted: all but the last are full to the byte.
                for transfer in transfers.dropLast() {
                    #expect(try AMQP10Frame(channel: 1, .transfer(transfer)).encoded().readableBytes == Int(maxFrameSize))
                }
                // The frames decode (through the decoder with the same limit) and reassemble.
                var wire = ByteBuffer()
                for transfer in transfers { try AMQP10Frame(channel: 1, .transfer(transfer)).encode(into: &wire) }
                var assembler = AMQP10TransferAssembler(maxMessageSize: 100_000)
                var results: [AMQP10TransferAssembler.Result] = []
                for item in try decodeAll(wire, maxFrameSize: maxFrameSize) {
                    guard case .frame(let frame) = item, case .amqp(.transfer(let transfer)) = frame.body else {
                        Issue.record("not a transfer")
                        return
                    }
                    results.append(try assembler.receive(transfer))
                }
                #expect(results.dropLast().allSatisfy { $0 == .incomplete })
                #expect(results.last == .complete(Self.first(payload: payload)), "\(maxFrameSize) \(length)")
                #expect(!assembler.isInProgress)
            }
        }
    }

    @Test func tooSmallMaxFrameSizeIsRefused() {
        #expect(throws: AMQP10ProtocolError.maxFrameSizeTooSmall(20)) {
            try Self.first(payload: ByteBuffer(repeating: 0, count: 100)).split(maxFrameSize: 20)
        }
    }

    @Test func assemblerMergesSettlementAndState() throws {
        var assembler = AMQP10TransferAssembler(maxMessageSize: 10)
        var first = Self.first(payload: ByteBuffer(string: "ab"))
        first.more = true
        #expect(try assembler.receive(first) == .incomplete)
        #expect(assembler.isInProgress)
        let last = AMQP10Transfer(handle: 2, settled: true, state: .accepted, payload: ByteBuffer(string: "cd"))
        var expected = Self.first(payload: ByteBuffer(string: "abcd"))
        expected.settled = true
        expected.state = .accepted
        #expect(try assembler.receive(last) == .complete(expected))
    }

    @Test func abortDropsTheDelivery() throws {
        var assembler = AMQP10TransferAssembler(maxMessageSize: 100)
        var first = Self.first(payload: ByteBuffer(string: "ab"))
        first.more = true
        #expect(try assembler.receive(first) == .incomplete)
        let abort = AMQP10Transfer(handle: 2, aborted: true)
        var expected = Self.first(payload: ByteBuffer())
        expected.more = false
        #expect(try assembler.receive(abort) == .aborted(expected))
        #expect(!assembler.isInProgress)
        // The next delivery starts clean.
        let next = AMQP10Transfer(handle: 2, deliveryID: 70_001, deliveryTag: ByteBuffer(bytes: [5]), payload: ByteBuffer(string: "z"))
        #expect(try assembler.receive(next) == .complete(next))
    }

    @Test func limitsAndMismatchesThrow() throws {
        var assembler = AMQP10TransferAssembler(maxMessageSize: 3)
        var first = Self.first(payload: ByteBuffer(string: "ab"))
        first.more = true
        #expect(try assembler.receive(first) == .incomplete)
        #expect(throws: AMQP10ProtocolError.messageTooLarge(size: 4, limit: 3)) {
            try assembler.receive(AMQP10Transfer(handle: 2, more: true, payload: ByteBuffer(string: "cd")))
        }
        #expect(!assembler.isInProgress)
        #expect(throws: AMQP10ProtocolError.messageTooLarge(size: 4, limit: 3)) {
            try assembler.receive(Self.first(payload: ByteBuffer(string: "abcd")))
        }

        assembler = AMQP10TransferAssembler(maxMessageSize: 100)
        #expect(try assembler.receive(first) == .incomplete)
        #expect(throws: AMQP10ProtocolError.self) {
            try assembler.receive(AMQP10Transfer(handle: 2, deliveryID: 1, payload: ByteBuffer(string: "x")))
        }
        #expect(try assembler.receive(first) == .incomplete)
        #expect(throws: AMQP10ProtocolError.self) {
            try assembler.receive(AMQP10Transfer(handle: 2, deliveryTag: ByteBuffer(bytes: [9]), payload: ByteBuffer(string: "x")))
        }
        // A transfer that starts a delivery needs its delivery-id.
        #expect(throws: AMQP10ProtocolError.self) { try assembler.receive(AMQP10Transfer(handle: 2, payload: ByteBuffer())) }
    }
}
