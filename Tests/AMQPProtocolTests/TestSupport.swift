import AMQPProtocol
import NIOCore

/// A seeded generator (SplitMix64), so a failing random case can be run again.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64

    init(seed: UInt64) {
        self.state = seed
    }

    mutating func next() -> UInt64 {
        self.state &+= 0x9E37_79B9_7F4A_7C15
        var z = self.state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
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

func encoded(_ frame: Frame) throws -> ByteBuffer {
    var buffer = ByteBuffer()
    try frame.encode(into: &buffer)
    return buffer
}

func encoded(_ frames: [Frame]) throws -> ByteBuffer {
    var buffer = ByteBuffer()
    for frame in frames {
        try frame.encode(into: &buffer)
    }
    return buffer
}

func encoded(_ table: FieldTable) throws -> ByteBuffer {
    var buffer = ByteBuffer()
    try table.encode(into: &buffer)
    return buffer
}

/// Decodes every whole frame in `buffer`; fails if bytes remain.
func decodeAll(_ buffer: ByteBuffer, maxFrameSize: UInt32 = 131_072) throws -> [Frame] {
    var buffer = buffer
    var decoder = FrameDecoder(maxFrameSize: maxFrameSize)
    var frames: [Frame] = []
    while let frame = try decoder.decode(buffer: &buffer) {
        frames.append(frame)
    }
    guard buffer.readableBytes == 0 else { throw LeftoverBytes(count: buffer.readableBytes) }
    return frames
}

struct LeftoverBytes: Error {
    var count: Int
}

func randomShortString(using rng: inout some RandomNumberGenerator) -> String {
    let alphabet = Array("abcxyz-._/:ü€ 0129")
    let length = Int.random(in: 0 ... 20, using: &rng)
    return String((0 ..< length).map { _ in alphabet.randomElement(using: &rng)! })
}

func randomLongString(using rng: inout some RandomNumberGenerator) -> String {
    let length = Int.random(in: 0 ... 300, using: &rng)
    return String((0 ..< length).map { _ in Character(Unicode.Scalar(UInt8.random(in: 32 ... 126, using: &rng))) })
}

func randomBytes(using rng: inout some RandomNumberGenerator, maximumCount: Int = 64) -> ByteBuffer {
    let count = Int.random(in: 0 ... maximumCount, using: &rng)
    var buffer = ByteBuffer()
    for _ in 0 ..< count {
        buffer.writeInteger(UInt8.random(in: .min ... .max, using: &rng))
    }
    return buffer
}

extension AMQPValue {
    /// A random value of any type; tables and arrays only while `depth` > 0.
    static func random(depth: Int, using rng: inout some RandomNumberGenerator) -> AMQPValue {
        let kinds = depth > 0 ? 17 : 15
        switch Int.random(in: 0 ..< kinds, using: &rng) {
        case 0: return .bool(Bool.random(using: &rng))
        case 1: return .int8(Int8.random(in: .min ... .max, using: &rng))
        case 2: return .uint8(UInt8.random(in: .min ... .max, using: &rng))
        case 3: return .int16(Int16.random(in: .min ... .max, using: &rng))
        case 4: return .uint16(UInt16.random(in: .min ... .max, using: &rng))
        case 5: return .int32(Int32.random(in: .min ... .max, using: &rng))
        case 6: return .uint32(UInt32.random(in: .min ... .max, using: &rng))
        case 7: return .int64(Int64.random(in: .min ... .max, using: &rng))
        case 8: return .float(Float.random(in: -1e6 ... 1e6, using: &rng))
        case 9: return .double(Double.random(in: -1e12 ... 1e12, using: &rng))
        case 10: return .decimal(scale: UInt8.random(in: 0 ... 10, using: &rng), value: UInt32.random(in: .min ... .max, using: &rng))
        case 11: return .string(randomShortString(using: &rng))
        case 12: return .timestamp(UInt64.random(in: .min ... .max, using: &rng))
        case 13: return .void
        case 14: return .bytes(randomBytes(using: &rng))
        case 15: return .table(FieldTable.random(depth: depth - 1, using: &rng))
        default:
            let count = Int.random(in: 0 ... 4, using: &rng)
            return .array((0 ..< count).map { _ in AMQPValue.random(depth: depth - 1, using: &rng) })
        }
    }
}

extension FieldTable {
    /// A random table of up to six entries (names may repeat), nested up to `depth` more levels.
    static func random(depth: Int, using rng: inout some RandomNumberGenerator) -> FieldTable {
        var table = FieldTable()
        for _ in 0 ..< Int.random(in: 0 ... 6, using: &rng) {
            let name = Bool.random(using: &rng) ? "dup" : randomShortString(using: &rng)
            table.append(name: name, value: AMQPValue.random(depth: depth, using: &rng))
        }
        return table
    }
}

extension BasicProperties {
    /// Each property present or absent at random.
    static func random(using rng: inout some RandomNumberGenerator) -> BasicProperties {
        var properties = BasicProperties()
        if Bool.random(using: &rng) { properties.contentType = randomShortString(using: &rng) }
        if Bool.random(using: &rng) { properties.contentEncoding = randomShortString(using: &rng) }
        if Bool.random(using: &rng) { properties.headers = FieldTable.random(depth: 2, using: &rng) }
        if Bool.random(using: &rng) { properties.deliveryMode = UInt8.random(in: 1 ... 2, using: &rng) }
        if Bool.random(using: &rng) { properties.priority = UInt8.random(in: 0 ... 9, using: &rng) }
        if Bool.random(using: &rng) { properties.correlationID = randomShortString(using: &rng) }
        if Bool.random(using: &rng) { properties.replyTo = randomShortString(using: &rng) }
        if Bool.random(using: &rng) { properties.expiration = randomShortString(using: &rng) }
        if Bool.random(using: &rng) { properties.messageID = randomShortString(using: &rng) }
        if Bool.random(using: &rng) { properties.timestamp = UInt64.random(in: .min ... .max, using: &rng) }
        if Bool.random(using: &rng) { properties.type = randomShortString(using: &rng) }
        if Bool.random(using: &rng) { properties.userID = randomShortString(using: &rng) }
        if Bool.random(using: &rng) { properties.appID = randomShortString(using: &rng) }
        if Bool.random(using: &rng) { properties.clusterID = randomShortString(using: &rng) }
        return properties
    }
}

/// Every property set, with distinct values.
let allProperties = BasicProperties(
    contentType: "application/json",
    contentEncoding: "gzip",
    headers: ["bridge-id": "amqp:c:1", "bridge-hops": .int32(2)],
    deliveryMode: 2,
    priority: 7,
    correlationID: "corr-1",
    replyTo: "reply-queue",
    expiration: "60000",
    messageID: "msg-1",
    timestamp: 1_700_000_000,
    type: "order.created",
    userID: "guest",
    appID: "message-bridge",
    clusterID: "cluster-a"
)
