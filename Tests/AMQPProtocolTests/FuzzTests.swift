import AMQPProtocol
import NIOCore
import Testing

/// Random bytes and mutated valid frames never crash the decoder or the assembler: each
/// case either decodes, asks for more bytes, or throws an AMQPProtocolError.
@Suite struct FuzzTests {
    static let cases = 200_000

    static func validStream() throws -> ByteBuffer {
        var rng = SeededGenerator(seed: 99)
        var frames = try SplitTests.streamFrames()
        frames += Method.randomOfEach(using: &rng).map { Frame(channel: 1, payload: .method($0)) }
        frames += try CapturedFrameTests.all.flatMap { try CapturedFrameTests.frames($0.1) }
        return try encoded(frames)
    }

    @Test func randomAndMutatedInputNeverCrashes() throws {
        let valid = try Self.validStream()
        let validBytes = Array(valid.readableBytesView)
        var rng = SeededGenerator(seed: 0xF022_5EED)
        var outcomes = (decoded: 0, needMore: 0, errors: 0)
        for index in 0 ..< Self.cases {
            var input: [UInt8]
            switch index % 3 {
            case 0:
                // Random bytes, often starting with a valid frame type so the payload parsers run.
                let count = Int.random(in: 0 ... 200, using: &rng)
                input = (0 ..< count).map { _ in UInt8.random(in: .min ... .max, using: &rng) }
                if !input.isEmpty, Bool.random(using: &rng) { input[0] = [1, 2, 3, 8].randomElement(using: &rng)! }
            case 1:
                // A window of the valid stream with a few bytes changed.
                let start = Int.random(in: 0 ..< validBytes.count - 1, using: &rng)
                let length = Int.random(in: 1 ... min(600, validBytes.count - start), using: &rng)
                input = Array(validBytes[start ..< start + length])
                for _ in 0 ..< Int.random(in: 1 ... 4, using: &rng) {
                    input[Int.random(in: 0 ..< input.count, using: &rng)] = UInt8.random(in: .min ... .max, using: &rng)
                }
            default:
                // The valid stream from a frame boundary, with bytes inserted or removed.
                input = Array(validBytes.prefix(Int.random(in: 1 ... 2000, using: &rng)))
                let position = Int.random(in: 0 ..< input.count, using: &rng)
                if Bool.random(using: &rng) {
                    input.insert(UInt8.random(in: .min ... .max, using: &rng), at: position)
                } else {
                    input.remove(at: position)
                }
            }
            var buffer = ByteBuffer(bytes: input)
            var decoder = FrameDecoder(maxFrameSize: 4096)
            var assemblers: [UInt16: ContentAssembler] = [:]
            do {
                while let frame = try decoder.decode(buffer: &buffer) {
                    outcomes.decoded += 1
                    _ = try assemblers[frame.channel, default: ContentAssembler()].receive(frame.payload)
                }
                outcomes.needMore += 1
            } catch {
                outcomes.errors += 1
            }
        }
        // All three outcomes happen, so the cases reach past the first checks.
        #expect(outcomes.decoded > 10_000)
        #expect(outcomes.needMore > 1_000)
        #expect(outcomes.errors > 1_000)
        #expect(outcomes.needMore + outcomes.errors == Self.cases)
    }

    @Test func randomFieldTableBytesNeverCrash() {
        var rng = SeededGenerator(seed: 0x7AB1E)
        var valid = ByteBuffer()
        try? FieldTable.random(depth: 5, using: &rng).encode(into: &valid)
        for _ in 0 ..< 20_000 {
            var mutated = Array(valid.readableBytesView)
            if mutated.isEmpty { continue }
            for _ in 0 ..< Int.random(in: 1 ... 3, using: &rng) {
                mutated[Int.random(in: 0 ..< mutated.count, using: &rng)] = UInt8.random(in: .min ... .max, using: &rng)
            }
            var buffer = ByteBuffer(bytes: mutated)
            _ = try? FieldTable(from: &buffer)
            if Int.random(in: 0 ..< 50, using: &rng) == 0 {
                valid.clear()
                try? FieldTable.random(depth: 5, using: &rng).encode(into: &valid)
            }
        }
    }
}
