import AMQP10Protocol
import NIOCore

/// A small, fast, seeded generator (SplitMix64), so a failing random case can be rerun.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { self.state = seed }

    mutating func next() -> UInt64 {
        self.state &+= 0x9E37_79B9_7F4A_7C15
        var z = self.state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A value in 0..<bound (bound > 0).
    mutating func below(_ bound: Int) -> Int { Int(self.next() % UInt64(bound)) }

    mutating func byte() -> UInt8 { UInt8(truncatingIfNeeded: self.next()) }

    mutating func bool() -> Bool { self.next() & 1 == 0 }
}

/// Bytes from hex text; spaces, newlines and `|` separators are ignored.
func bytes(hex: String) -> ByteBuffer {
    let digits = hex.unicodeScalars.filter { $0.properties.isASCIIHexDigit }.map { Character($0) }
    precondition(digits.count % 2 == 0, "odd number of hex digits")
    var buffer = ByteBuffer()
    var index = digits.startIndex
    while index < digits.endIndex {
        buffer.writeInteger(UInt8(String(digits[index ... index + 1]), radix: 16)!)
        index += 2
    }
    return buffer
}

func hex(_ buffer: ByteBuffer) -> String {
    buffer.readableBytesView.map { byte in
        let digits = String(byte, radix: 16)
        return digits.count == 1 ? "0" + digits : digits
    }.joined()
}

func encoded(_ frames: [AMQP10Frame]) throws -> ByteBuffer {
    var buffer = ByteBuffer()
    for frame in frames { try frame.encode(into: &buffer) }
    return buffer
}

/// Decodes every header and frame in `buffer`; fails if bytes are left over.
func decodeAll(_ buffer: ByteBuffer, maxFrameSize: UInt32 = .max) throws -> [AMQP10Inbound] {
    var buffer = buffer
    var decoder = AMQP10FrameDecoder(maxFrameSize: maxFrameSize)
    var items: [AMQP10Inbound] = []
    while let item = try decoder.decode(buffer: &buffer) { items.append(item) }
    precondition(buffer.readableBytes == 0, "\(buffer.readableBytes) bytes left over")
    return items
}

/// Decodes one value from all of `buffer` and checks nothing is left.
func decodeValue(_ buffer: ByteBuffer, maxDepth: Int = AMQP10Value.defaultMaxDepth) throws -> AMQP10Value {
    var buffer = buffer
    let value = try AMQP10Value.decode(from: &buffer, maxDepth: maxDepth)
    guard buffer.readableBytes == 0 else { throw LeftOver(count: buffer.readableBytes) }
    return value
}

struct LeftOver: Error {
    var count: Int
}

/// Round-trips a value through its encoding.
func roundTrip(_ value: AMQP10Value) throws -> AMQP10Value {
    try decodeValue(try value.encoded())
}

/// Round-trips a frame through the encoder and decoder.
func roundTrip(_ frame: AMQP10Frame) throws -> AMQP10Frame {
    let items = try decodeAll(try frame.encoded())
    guard items.count == 1, case .frame(let decoded) = items[0] else { throw LeftOver(count: items.count) }
    return decoded
}
