import AMQP10Protocol
import NIOCore
import Testing

/// The type system (spec part 1): every constructor decodes, encoding picks the compact
/// form, random values round-trip, and the limits hold.
@Suite(.serialized, .timeLimit(.minutes(1))) struct ValueTests {
    /// Every format code of spec 1.6, in each of its forms, with the value it decodes to.
    static let everyForm: [(hex: String, value: AMQP10Value)] = [
        ("40", .null),
        ("41", .boolean(true)),
        ("42", .boolean(false)),
        ("5601", .boolean(true)),
        ("5600", .boolean(false)),
        ("50ff", .ubyte(255)),
        ("60ffff", .ushort(65535)),
        ("43", .uint(0)),
        ("5207", .uint(7)),
        ("7000000007", .uint(7)),
        ("70ffffffff", .uint(.max)),
        ("44", .ulong(0)),
        ("5307", .ulong(7)),
        ("800000000000000007", .ulong(7)),
        ("80ffffffffffffffff", .ulong(.max)),
        ("51ff", .byte(-1)),
        ("618000", .short(-32768)),
        ("54ff", .int(-1)),
        ("71ffffffff", .int(-1)),
        ("7180000000", .int(.min)),
        ("55ff", .long(-1)),
        ("81ffffffffffffffff", .long(-1)),
        ("818000000000000000", .long(.min)),
        ("723fc00000", .float(1.5)),
        ("82400c000000000000", .double(3.5)),
        ("7401020304", .decimal32(0x0102_0304)),
        ("840102030405060708", .decimal64(0x0102_0304_0506_0708)),
        ("94000102030405060708090a0b0c0d0e0f", .decimal128(high: 0x0001_0203_0405_0607, low: 0x0809_0A0B_0C0D_0E0F)),
        ("7300000041", .char("A")),
        ("730001f600", .char("😀")),
        ("830000016a8023f000", .timestamp(1_556_928_000_000)),
        ("98f81d4fae7dec11d0a76500a0c91e6bf6", .uuid(AMQP10UUID("f81d4fae-7dec-11d0-a765-00a0c91e6bf6")!)),
        ("a003010203", .binary(ByteBuffer(bytes: [1, 2, 3]))),
        ("b000000003010203", .binary(ByteBuffer(bytes: [1, 2, 3]))),
        ("a000", .binary(ByteBuffer())),
        ("a102c3bc", .string("ü")),
        ("b100000002c3bc", .string("ü")),
        ("a30361626b", .symbol("abk")),
        ("b30000000361626b", .symbol("abk")),
        ("45", .list([])),
        ("c00100", .list([])),
        ("d00000000400000000", .list([])),
        ("c0040241a000", .list([.boolean(true), .binary(ByteBuffer())])),
        ("d000000007000000024152ff", .list([.boolean(true), .uint(255)])),
        ("c10100", .map([:])),
        ("c10702a30161a10162", .map([.symbol("a"): .string("b")])),
        ("d10000000800000002a3016141", .map([.symbol("a"): .boolean(true)])),
        ("e00402520102", .array([.uint(1), .uint(2)])),
        ("e0060170000000ff", .array([.uint(255)])),
        ("e00a0270000000010000000a", .array([.uint(1), .uint(10)])),
        ("e0050356010001", .array([.boolean(true), .boolean(false), .boolean(true)])),
        ("e0020341", .array([.boolean(true), .boolean(true), .boolean(true)])),
        ("e00502a3016100", .array([.symbol("a"), .symbol("")])),
        ("f00000000900000002a3016101 62", .array([.symbol("a"), .symbol("b")])),
        ("e00200a3", .array([])),
        ("e00d02005341700000a0a10000a0a2", .array([.described(descriptor: .ulong(0x41), value: .uint(0xA0A1)), .described(descriptor: .ulong(0x41), value: .uint(0xA0A2))])),
        ("005314c0020143", .described(descriptor: .ulong(0x14), value: .list([.uint(0)]))),
        ("00a3026161c10100", .described(descriptor: .symbol("aa"), value: .map([:]))),
    ]

    @Test func everyFormDecodes() throws {
        for (index, vector) in Self.everyForm.enumerated() {
            let decoded: AMQP10Value
            do {
                decoded = try decodeValue(bytes(hex: vector.hex))
            } catch {
                Issue.record("vector \(index) \(vector.hex): \(error)")
                continue
            }
            #expect(decoded == vector.value, "vector \(index): \(vector.hex)")
            #expect(try roundTrip(decoded) == decoded)
        }
    }

    @Test func encodingPicksTheCompactForm() throws {
        let expected: [(AMQP10Value, String)] = [
            (.null, "40"),
            (.boolean(true), "41"),
            (.boolean(false), "42"),
            (.uint(0), "43"),
            (.uint(255), "52ff"),
            (.uint(256), "7000000100"),
            (.ulong(0), "44"),
            (.ulong(255), "53ff"),
            (.ulong(256), "800000000000000100"),
            (.int(-128), "5480"),
            (.int(127), "547f"),
            (.int(128), "7100000080"),
            (.int(-129), "71ffffff7f"),
            (.long(-128), "5580"),
            (.long(128), "810000000000000080"),
            (.binary(ByteBuffer(repeating: 7, count: 255)), "a0ff" + String(repeating: "07", count: 255)),
            (.binary(ByteBuffer(repeating: 7, count: 256)), "b000000100" + String(repeating: "07", count: 256)),
            (.string(""), "a100"),
            (.symbol("amqp:accepted:list"), "a312616d71703a61636365707465643a6c697374"),
            (.list([]), "45"),
            (.list([.null]), "c0020140"),
            (.map([:]), "c10100"),
            (.array([.symbol("a"), .symbol("bc")]), "e00702a30161026263"),
            (.array([.uint(0)]), "e006017000000000"),
            (.array([]), "e00200a3"),
            (.described(descriptor: .ulong(0x24), value: .list([])), "00532445"),
        ]
        for (value, hexString) in expected {
            #expect(hex(try value.encoded()) == hexString, "\(value.typeName)")
        }
        // 255 bytes of elements plus the count byte no longer fit list8's size octet.
        let long = AMQP10Value.list(Array(repeating: .null, count: 254))
        #expect(hex(try long.encoded()).hasPrefix("c0fffe"))
        let longer = AMQP10Value.list(Array(repeating: .null, count: 255))
        #expect(hex(try longer.encoded()).hasPrefix("d000000103000000ff"))
        #expect(try roundTrip(longer) == longer)
        #expect(try roundTrip(long) == long)
    }

    @Test func randomValuesRoundTrip() throws {
        var random = RandomAMQP10(seed: 0xA11_7E5)
        for _ in 0 ..< 3000 {
            let value = random.value(depth: 4)
            #expect(try roundTrip(value) == value)
        }
    }

    @Test func arraysMustBeHomogeneous() {
        #expect(throws: AMQP10ProtocolError.arrayNotHomogeneous) { try AMQP10Value.array([.uint(1), .ulong(1)]).encoded() }
        #expect(throws: AMQP10ProtocolError.arrayNotHomogeneous) {
            try AMQP10Value.array([.described(descriptor: .ulong(1), value: .null), .described(descriptor: .ulong(2), value: .null)]).encoded()
        }
        #expect(throws: AMQP10ProtocolError.arrayNotHomogeneous) {
            try AMQP10Value.array([.described(descriptor: .ulong(1), value: .null), .null]).encoded()
        }
    }

    @Test func symbolsAreASCII() {
        #expect(throws: AMQP10ProtocolError.invalidSymbol) { try AMQP10Value.symbol("ü").encoded() }
        #expect(throws: AMQP10ProtocolError.invalidSymbol) { try decodeValue(bytes(hex: "a302c3bc")) }
    }

    @Test func malformedValuesThrowClearErrors() {
        let cases: [(String, AMQP10ProtocolError)] = [
            ("", .truncated),
            ("70000000", .truncated),
            ("01", .unknownConstructor(0x01)),
            ("ff", .unknownConstructor(0xFF)),
            ("a105616263", .sizeExceedsRemaining(declared: 5, remaining: 3)),
            ("b0ffffffff00", .sizeExceedsRemaining(declared: 0xFFFF_FFFF, remaining: 1)),
            ("d0ffffffff00000001", .sizeExceedsRemaining(declared: 0xFFFF_FFFF, remaining: 4)),
            ("c002ff40", .countExceedsSize(count: 255, size: 2)),
            ("f000000005ffffffff40", .countExceedsSize(count: 0xFFFF_FFFF, size: 5)),
            ("c0030140 40", .sizeMismatch(declared: 3, used: 2)),
            ("c1030141 42", .oddMapCount(1)),
            ("a102c328", .invalidUTF8),
            ("7300110000", .invalidChar(0x11_0000)),
            ("730000d800", .invalidChar(0xD800)),
            ("5602", .invalidFieldValue(type: "boolean", field: "value", value: "2")),
            ("e00401004000", .arrayNotHomogeneous),
            ("c0020101", .unknownConstructor(0x01)),
            ("00", .truncated),
        ]
        for (hexString, error) in cases {
            #expect(throws: error, "\(hexString)") { try decodeValue(bytes(hex: hexString)) }
        }
    }

    @Test func nestingDepthIsLimited() throws {
        var value = AMQP10Value.null
        for _ in 0 ..< 40 { value = .list([value]) }
        let wire = try value.encoded()
        #expect(throws: AMQP10ProtocolError.nestingTooDeep(limit: 32)) { try decodeValue(wire) }
        #expect(try decodeValue(wire, maxDepth: 40) == value)
        // Described values count too: a descriptor that is itself described, 10 000 deep.
        var described = ByteBuffer(repeating: 0x00, count: 10_000)
        described.writeInteger(UInt8(0x40))
        #expect(throws: AMQP10ProtocolError.nestingTooDeep(limit: 32)) { try decodeValue(described) }
    }

    @Test func uuidText() {
        let uuid = AMQP10UUID("F81D4FAE-7DEC-11D0-A765-00A0C91E6BF6")
        #expect(uuid?.description == "f81d4fae-7dec-11d0-a765-00a0c91e6bf6")
        #expect(AMQP10UUID("f81d4fae7dec11d0a76500a0c91e6bf6") == nil)
        #expect(AMQP10UUID("f81d4fae-7dec-11d0-a765-00a0c91e6bfg") == nil)
        #expect(AMQP10UUID("f81d4fae-7dec-11d0a-765-00a0c91e6bf6") == nil)
        #expect(AMQP10UUID(high: 1, low: 2).description == "00000000-0000-0001-0000-000000000002")
    }

    @Test func mapKeepsOrderAndLooksUpKeys() {
        var map: AMQP10Map = [.string("b"): .uint(1), .symbol("a"): .uint(2)]
        map[string: "c"] = .uint(3)
        map[string: "b"] = .uint(4)
        #expect(map.entries.map(\.key) == [.string("b"), .symbol("a"), .string("c")])
        #expect(map[string: "b"] == .uint(4))
        #expect(map[symbol: "a"] == .uint(2))
        #expect(map[string: "a"] == nil)
        map[string: "b"] = nil
        #expect(map.count == 2)
    }
}
