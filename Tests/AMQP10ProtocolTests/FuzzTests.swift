import AMQP10Protocol
import NIOCore
import Testing

/// Random and mutated input never crashes the decoders: each case decodes, asks for more
/// bytes, or throws an AMQP10ProtocolError.
@Suite(.serialized, .timeLimit(.minutes(1))) struct FuzzTests {
    static let cases = 6_000

    static func validStream() throws -> [UInt8] {
        var items = try SplitTests.stream()
        var random = RandomAMQP10(seed: 0xF0_22)
        items += (0 ..< 40).map { _ in .frame(random.frame()) }
        items += try CapturedTests.all.flatMap { try decodeAll(bytes(hex: $0.hex)) }
        return Array(try SplitTests.wire(items).readableBytesView)
    }

    @Test func randomAndMutatedFramesNeverCrash() throws {
        let valid = try Self.validStream()
        var rng = SplitMix64(seed: 0xF022_5EED)
        var outcomes = (decoded: 0, needMore: 0, errors: 0)
        for index in 0 ..< Self.cases {
            var input: [UInt8]
            switch index % 4 {
            case 0:
                // Random bytes behind a plausible frame header, so the body parsers run.
                let count = rng.below(120)
                input = (0 ..< count).map { _ in rng.byte() }
                if rng.bool() {
                    let size = UInt32(8 + count)
                    input = [UInt8(size >> 24), UInt8(truncatingIfNeeded: size >> 16), UInt8(truncatingIfNeeded: size >> 8), UInt8(truncatingIfNeeded: size), 2, UInt8(rng.below(2)), 0, 0, 0x00, 0x53, UInt8(0x10 + rng.below(9))] + input
                }
            case 1:
                // A window of the valid stream with a few bytes changed.
                let start = rng.below(valid.count - 1)
                let length = 1 + rng.below(min(600, valid.count - start))
                input = Array(valid[start ..< start + length])
                for _ in 0 ... rng.below(4) { input[rng.below(input.count)] = rng.byte() }
            case 2:
                // The valid stream with a byte inserted or removed.
                input = Array(valid.prefix(1 + rng.below(1500)))
                let position = rng.below(input.count)
                if rng.bool() { input.insert(rng.byte(), at: position) } else { input.remove(at: position) }
            default:
                // Huge declared sizes and counts: a 32-bit size or count field set to a
                // large value somewhere in the stream.
                input = Array(valid.prefix(1 + rng.below(1500)))
                let position = rng.below(input.count)
                let huge: [UInt8] = [0xFF, 0xFF, 0xFF, UInt8(rng.below(256))]
                for offset in 0 ..< 4 where position + offset < input.count { input[position + offset] = huge[offset] }
            }
            switch Self.decode(input, maxFrameSize: rng.bool() ? 4096 : .max) {
            case .needMore(let frames):
                outcomes.decoded += frames
                outcomes.needMore += 1
            case .failed(let frames):
                outcomes.decoded += frames
                outcomes.errors += 1
            }
        }
        // All three outcomes happen, so the cases reach past the first checks.
        #expect(outcomes.decoded > 2_000)
        #expect(outcomes.needMore > 500)
        #expect(outcomes.errors > 500)
        #expect(outcomes.needMore + outcomes.errors == Self.cases)
    }

    enum Outcome {
        case needMore(frames: Int)
        case failed(frames: Int)
    }

    /// Decodes frames until more bytes are needed or an error, feeding transfers to an
    /// assembler and complete deliveries to the message decoder.
    static func decode(_ input: [UInt8], maxFrameSize: UInt32) -> Outcome {
        var buffer = ByteBuffer(bytes: input)
        var decoder = AMQP10FrameDecoder(maxFrameSize: maxFrameSize)
        var assembler = AMQP10TransferAssembler(maxMessageSize: 10_000)
        var frames = 0
        do {
            while let item = try decoder.decode(buffer: &buffer) {
                frames += 1
                guard case .frame(let frame) = item, case .amqp(.transfer(let transfer)) = frame.body else { continue }
                let result = try assembler.receive(transfer)
                if case .complete(let whole) = result {
                    _ = try? AMQP10Message(decoding: whole.payload)
                }
            }
            return .needMore(frames: frames)
        } catch {
            return .failed(frames: frames)
        }
    }

    @Test func mutatedValuesAndMessagesNeverCrash() throws {
        var random = RandomAMQP10(seed: 0xBAD_7A1)
        var rng = SplitMix64(seed: 0x1234)
        var outcomes = (decoded: 0, errors: 0)
        let values = try (0 ..< 100).map { _ in try random.value(depth: 4).encoded() }
        let messages = try (0 ..< 100).map { _ in try random.message().encoded() }
        for index in 0 ..< 8_000 {
            let valid = index % 2 == 0 ? values[index / 2 % 100] : messages[index / 2 % 100]
            var mutated = Array(valid.readableBytesView)
            guard !mutated.isEmpty else { continue }
            for _ in 0 ... rng.below(3) { mutated[rng.below(mutated.count)] = rng.byte() }
            if rng.below(4) == 0 { mutated.removeLast(rng.below(mutated.count)) }
            do {
                if index % 2 == 0 {
                    var buffer = ByteBuffer(bytes: mutated)
                    _ = try AMQP10Value.decode(from: &buffer)
                } else {
                    _ = try AMQP10Message(decoding: ByteBuffer(bytes: mutated))
                }
                outcomes.decoded += 1
            } catch {
                outcomes.errors += 1
            }
        }
        #expect(outcomes.decoded > 500)
        #expect(outcomes.errors > 500)
    }

    @Test func everyTruncationOfAValidFrameAsksForMore() throws {
        // A frame cut anywhere is "need more data", never an error or a wrong frame.
        var random = RandomAMQP10(seed: 0x7C)
        for _ in 0 ..< 60 {
            let frame = random.frame()
            let wire = try frame.encoded()
            for length in 0 ..< wire.readableBytes {
                var decoder = AMQP10FrameDecoder(maxFrameSize: .max)
                var prefix = wire.getSlice(at: 0, length: length)!
                #expect(try decoder.decode(buffer: &prefix) == nil)
                #expect(prefix.readableBytes == length)
            }
        }
    }
}
