import MQTTProtocol
import NIOCore
import Testing

@Suite struct VariableByteIntegerTests {
    /// The boundaries of MQTT 5 section 1.5.5, table 1-1.
    static let vectors: [(UInt32, [UInt8])] = [
        (0, [0x00]),
        (127, [0x7F]),
        (128, [0x80, 0x01]),
        (16_383, [0xFF, 0x7F]),
        (16_384, [0x80, 0x80, 0x01]),
        (2_097_151, [0xFF, 0xFF, 0x7F]),
        (2_097_152, [0x80, 0x80, 0x80, 0x01]),
        (268_435_455, [0xFF, 0xFF, 0xFF, 0x7F]),
    ]

    @Test(arguments: vectors)
    func encodes(value: UInt32, bytes: [UInt8]) throws {
        var out = ByteBuffer()
        try VariableByteInteger.write(value, into: &out)
        #expect(Array(out.readableBytesView) == bytes)
        #expect(VariableByteInteger.encodedLength(value) == bytes.count)
    }

    @Test(arguments: vectors)
    func decodes(value: UInt32, bytes: [UInt8]) throws {
        var input = buffer(bytes + [0xAA])
        #expect(try VariableByteInteger.read(from: &input) == value)
        #expect(input.readableBytes == 1)
    }

    @Test(arguments: vectors)
    func partialNeedsMoreWithoutConsuming(value: UInt32, bytes: [UInt8]) throws {
        for cut in 0..<bytes.count {
            var input = buffer(Array(bytes.prefix(cut)))
            #expect(try VariableByteInteger.read(from: &input) == nil)
            #expect(input.readableBytes == cut)
        }
    }

    @Test func fiveBytesAreInvalid() {
        var input = buffer([0xFF, 0xFF, 0xFF, 0xFF, 0x7F])
        #expect(throws: MQTTProtocolError.invalidVariableByteInteger) { try VariableByteInteger.read(from: &input) }
        #expect(input.readableBytes == 5)
        var continued = buffer([0x80, 0x80, 0x80, 0x80])
        #expect(throws: MQTTProtocolError.invalidVariableByteInteger) { try VariableByteInteger.read(from: &continued) }
    }

    @Test func longerFormThanNeededIsInvalid() {
        for bytes: [UInt8] in [[0x80, 0x00], [0xFF, 0x80, 0x00], [0x81, 0x80, 0x80, 0x00]] {
            var input = buffer(bytes)
            #expect(throws: MQTTProtocolError.invalidVariableByteInteger) { try VariableByteInteger.read(from: &input) }
        }
    }

    @Test func aboveMaximumIsNotWritten() {
        var out = ByteBuffer()
        #expect(throws: MQTTProtocolError.valueTooLong(length: 268_435_456, maximum: 268_435_455)) {
            try VariableByteInteger.write(268_435_456, into: &out)
        }
        #expect(out.readableBytes == 0)
    }

    @Test func everyValueUpTo70000RoundTrips() throws {
        var out = ByteBuffer()
        for value in UInt32(0)...70_000 { try VariableByteInteger.write(value, into: &out) }
        for value in UInt32(0)...70_000 { #expect(try VariableByteInteger.read(from: &out) == value) }
        #expect(out.readableBytes == 0)
    }
}
