import AMQPProtocol
import NIOCore
import Testing

@Suite struct FieldTableTests {
    /// One entry of every type RabbitMQ sends, written by hand from the errata's table.
    @Test func everyTypeMatchesHandWrittenBytes() throws {
        let cases: [(AMQPValue, String)] = [
            (.bool(true), "74 01"),
            (.bool(false), "74 00"),
            (.int8(-2), "62 fe"),
            (.uint8(254), "42 fe"),
            (.int16(-2), "73 fffe"),
            (.uint16(65534), "75 fffe"),
            (.int32(-2), "49 fffffffe"),
            (.uint32(4_294_967_294), "69 fffffffe"),
            (.int64(-2), "6c fffffffffffffffe"),
            (.float(1.5), "66 3fc00000"),
            (.double(-2.25), "64 c002000000000000"),
            (.decimal(scale: 2, value: 12345), "44 02 00003039"),
            (.string("hi"), "53 00000002 6869"),
            (.array([.int32(1), .string("a")]), "41 0000000b 49 00000001 53 00000001 61"),
            (.timestamp(1_700_000_000), "54 000000006553f100"),
            (.table(["k": .void]), "46 00000003 016b 56"),
            (.void, "56"),
            (.bytes(ByteBuffer(bytes: [0, 0xff])), "78 00000002 00ff"),
        ]
        for (value, valueHex) in cases {
            let table: FieldTable = ["n": value]
            let valueBytes = bytes(hex: valueHex)
            var expected = ByteBuffer()
            expected.writeInteger(UInt32(2 + valueBytes.readableBytes))
            expected.writeBytes([1, UInt8(ascii: "n")])
            expected.writeImmutableBuffer(valueBytes)
            let written = try encoded(table)
            #expect(hex(written) == hex(expected), "\(value)")
            var reading = expected
            let decoded = try FieldTable(from: &reading)
            #expect(decoded == table, "\(value)")
            #expect(decoded["n"]?.typeOctet == value.typeOctet)
            #expect(reading.readableBytes == 0)
        }
    }

    /// x-death as RabbitMQ builds it: an array of tables holding strings, a long, a
    /// timestamp and an array of strings; written by hand.
    @Test func nestedTableAndArrayFromHandWrittenBytes() throws {
        let table: FieldTable = [
            "x-death": .array([
                .table([
                    "count": .int64(1),
                    "reason": "rejected",
                    "routing-keys": .array(["order"]),
                    "time": .timestamp(1_700_000_000),
                ]),
            ]),
        ]
        let inner = "05636f756e74" + "6c0000000000000001"
            + "06726561736f6e" + "530000000872656a6563746564"
            + "0c726f7574696e672d6b657973" + "410000000a" + "53000000056f72646572"
            + "0474696d65" + "54000000006553f100"
        let innerLength = inner.count / 2
        let arrayContent = "46" + format8(innerLength) + inner
        let entry = "07782d6465617468" + "41" + format8(arrayContent.count / 2) + arrayContent
        let wire = format8(entry.count / 2) + entry
        #expect(hex(try encoded(table)) == wire)
        var reading = bytes(hex: wire)
        let decoded = try FieldTable(from: &reading)
        #expect(decoded == table)
        guard case .array(let deaths) = decoded["x-death"], case .table(let first) = deaths.first else {
            Issue.record("x-death is not an array of tables")
            return
        }
        #expect(first["count"] == .int64(1))
        #expect(first["reason"]?.stringValue == "rejected")
        #expect(first["routing-keys"] == .array([.string("order")]))
    }

    @Test func orderAndDuplicateNamesSurvive() throws {
        let table: FieldTable = ["b": .int8(1), "a": .int8(2), "b": .int8(3)]
        var buffer = try encoded(table)
        let decoded = try FieldTable(from: &buffer)
        #expect(decoded.entries.map(\.name) == ["b", "a", "b"])
        #expect(decoded.entries.map(\.value) == [.int8(1), .int8(2), .int8(3)])
        #expect(decoded["b"] == .int8(1))
        var edited = decoded
        edited["b"] = nil
        #expect(edited.entries.map(\.name) == ["a"])
    }

    @Test func floatSpecialValuesRoundTripBitExact() throws {
        for bits: UInt32 in [0x7FC0_0001, 0x8000_0000, 0x7F80_0000, 0xFF80_0000, 1] {
            var buffer = try encoded(["f": .float(Float(bitPattern: bits))])
            guard case .float(let value) = try FieldTable(from: &buffer)["f"] else {
                Issue.record("not a float")
                continue
            }
            #expect(value.bitPattern == bits)
        }
        for bits: UInt64 in [0x7FF8_0000_0000_0001, 0x8000_0000_0000_0000, 0x7FF0_0000_0000_0000] {
            var buffer = try encoded(["d": .double(Double(bitPattern: bits))])
            guard case .double(let value) = try FieldTable(from: &buffer)["d"] else {
                Issue.record("not a double")
                continue
            }
            #expect(value.bitPattern == bits)
        }
    }

    @Test func randomNestedTablesRoundTrip() throws {
        var rng = SeededGenerator(seed: 0x7461_626C)
        for _ in 0 ..< 3000 {
            let table = FieldTable.random(depth: 4, using: &rng)
            let wire = try encoded(table)
            var reading = wire
            let decoded = try FieldTable(from: &reading)
            #expect(decoded == table)
            #expect(reading.readableBytes == 0)
            #expect(try encoded(decoded) == wire)
        }
    }

    @Test func hostileNestingIsRefusedWithATypedError() throws {
        for wrapper in ["F", "A"] {
            // 100,000 levels: each level is a one-entry table or a one-element array.
            var wire = bytes(hex: "00000000")  // innermost: an empty table
            for _ in 0 ..< 100_000 {
                var outer = ByteBuffer()
                if wrapper == "F" {
                    outer.writeInteger(UInt32(wire.readableBytes + 3))
                    outer.writeBytes([1, UInt8(ascii: "k"), UInt8(ascii: "F")])
                } else {
                    // a table holding one array that holds the previous table
                    outer.writeInteger(UInt32(wire.readableBytes + 8))
                    outer.writeBytes([1, UInt8(ascii: "k"), UInt8(ascii: "A")])
                    outer.writeInteger(UInt32(wire.readableBytes + 1))
                    outer.writeInteger(UInt8(ascii: "F"))
                }
                outer.writeImmutableBuffer(wire)
                wire = outer
            }
            var reading = wire
            #expect(throws: AMQPProtocolError.nestingTooDeep(limit: FieldTable.maximumDepth)) {
                try FieldTable(from: &reading)
            }
        }
        // Exactly at the limit decodes; one more level does not.
        func nested(_ depth: Int) -> FieldTable {
            depth == 1 ? ["leaf": .void] : ["t": .table(nested(depth - 1))]
        }
        var atLimit = try encoded(nested(FieldTable.maximumDepth))
        #expect(try FieldTable(from: &atLimit) == nested(FieldTable.maximumDepth))
        var over = try encoded(nested(FieldTable.maximumDepth + 1))
        #expect(throws: AMQPProtocolError.nestingTooDeep(limit: FieldTable.maximumDepth)) { try FieldTable(from: &over) }
    }

    @Test func unknownTypeAndShortStringTypeAreRefused() throws {
        // 'U' and 'L' are in the 0-9-1 spec but not in RabbitMQ's set; 's' is int16, so a
        // short string as the spec's 's' reads as a 2-byte integer, never as text.
        var unknown = bytes(hex: "00000004 016b 5a00")
        #expect(throws: AMQPProtocolError.unknownFieldType(UInt8(ascii: "Z"))) { try FieldTable(from: &unknown) }
        var shortInt = bytes(hex: "00000005 016b 73 0102")
        #expect(try FieldTable(from: &shortInt)["k"] == .int16(0x0102))
        var truncated = bytes(hex: "00000005 016b 49 0102")
        #expect(throws: AMQPProtocolError.truncated) { try FieldTable(from: &truncated) }
        var lengthPastEnd = bytes(hex: "00000010 016b 56")
        #expect(throws: AMQPProtocolError.truncated) { try FieldTable(from: &lengthPastEnd) }
    }
}

func format8(_ value: Int) -> String {
    let digits = String(value, radix: 16)
    return String(repeating: "0", count: 8 - digits.count) + digits
}
