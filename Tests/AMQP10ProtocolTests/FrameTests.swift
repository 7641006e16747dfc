import AMQP10Protocol
import NIOCore
import Testing

/// Frame headers, protocol headers, heartbeats and the max-frame-size limits.
@Suite(.serialized, .timeLimit(.minutes(1))) struct FrameTests {
    @Test func protocolHeaders() throws {
        var buffer = ByteBuffer()
        AMQP10ProtocolHeader.sasl.encode(into: &buffer)
        AMQP10ProtocolHeader.amqp.encode(into: &buffer)
        #expect(hex(buffer) == "414d5150030100004" + "14d515000010000")
        #expect(try decodeAll(buffer) == [.protocolHeader(.sasl), .protocolHeader(.amqp)])
        // A 0-9-1 header, or an unknown version, is refused once all 8 bytes are in.
        for wrong in ["414d515000000901", "414d515001010000", "414d515000010100"] {
            var partial = bytes(hex: String(wrong.prefix(14)))
            var decoder = AMQP10FrameDecoder()
            #expect(try decoder.decode(buffer: &partial) == nil)
            #expect(throws: AMQP10ProtocolError.unsupportedProtocolHeader(Array(bytes(hex: wrong).readableBytesView))) {
                try decodeAll(bytes(hex: wrong))
            }
        }
    }

    @Test func heartbeatIsAnEmptyFrame() throws {
        #expect(hex(try AMQP10Frame.heartbeat.encoded()) == "0000000802000000")
        #expect(try decodeAll(bytes(hex: "0000000802000000")) == [.frame(.heartbeat)])
        // An empty frame on another channel is an empty frame too.
        #expect(try decodeAll(bytes(hex: "0000000802000007")) == [.frame(AMQP10Frame(channel: 7, body: .empty))])
    }

    @Test func extendedHeaderIsSkipped() throws {
        // doff 3: four bytes of extended header before the body (a close).
        let wire = bytes(hex: "00000010 03 00 0005 deadbeef 00531845")
        #expect(try decodeAll(wire) == [.frame(AMQP10Frame(channel: 5, .close(AMQP10Close())))])
    }

    @Test func badHeadersAreRefused() {
        let cases: [(String, AMQP10ProtocolError)] = [
            ("00000007 02 00 0000", .badFrameHeader(size: 7, dataOffset: 2)),
            ("00000008 01 00 0000", .badFrameHeader(size: 8, dataOffset: 1)),
            ("0000000c 04 00 0000 00000000", .badFrameHeader(size: 12, dataOffset: 4)),
            ("00000008 02 07 0000", .unknownFrameType(7)),
            ("00000008 02 01 0000", .emptySASLFrame),
        ]
        for (hexString, error) in cases {
            #expect(throws: error, "\(hexString)") { try decodeAll(bytes(hex: hexString)) }
        }
    }

    @Test func maxFrameSizeIsEnforcedFromTheHeader() throws {
        // The size alone is enough to refuse: the body is never awaited.
        var decoder = AMQP10FrameDecoder(maxFrameSize: 512)
        var buffer = bytes(hex: "00000201")
        #expect(throws: AMQP10ProtocolError.frameTooLarge(size: 513, limit: 512)) { try decoder.decode(buffer: &buffer) }
        var huge = bytes(hex: "ffffffff02000000")
        #expect(throws: AMQP10ProtocolError.frameTooLarge(size: .max, limit: 512)) { try decoder.decode(buffer: &huge) }
        // Exactly the limit is fine.
        let transfer = AMQP10Frame(channel: 1, .transfer(AMQP10Transfer(handle: 0, deliveryID: 0, payload: ByteBuffer(repeating: 1, count: 512 - 8 - 8))))
        let wire = try transfer.encoded()
        #expect(wire.readableBytes == 512)
        #expect(try decodeAll(wire, maxFrameSize: 512) == [.frame(transfer)])

        // The encoder refuses a frame above the peer's limit and writes nothing.
        let encoder = AMQP10FrameEncoder(maxFrameSize: 511)
        var out = ByteBuffer(bytes: [9])
        #expect(throws: AMQP10ProtocolError.frameTooLarge(size: 512, limit: 511)) { try encoder.encode(.frame(transfer), into: &out) }
        #expect(out == ByteBuffer(bytes: [9]))
        try AMQP10FrameEncoder(maxFrameSize: 512).encode(.frame(transfer), into: &out)
        #expect(out.readableBytes == 513)
    }

    @Test func transferPayloadIsTheRestOfTheFrame() throws {
        let wire = bytes(hex: "00000018 02 00 0001 005314c0050343 43 a0 00 0102030405 06")
        guard case .frame(let frame) = try decodeAll(wire).first, case .amqp(.transfer(let transfer)) = frame.body else {
            Issue.record("not a transfer")
            return
        }
        #expect(transfer.handle == 0)
        #expect(transfer.deliveryID == 0)
        #expect(transfer.deliveryTag == ByteBuffer())
        #expect(transfer.payload == ByteBuffer(bytes: [1, 2, 3, 4, 5, 6]))
        #expect(frame.channel == 1)
    }
}
