import MQTTProtocol
import NIOCore
import NIOTestUtils
import Testing

/// A stream of packets decodes to the same packets however it is cut.
@Suite struct SplitTests {
    @Test(arguments: MQTTVersion.allCases)
    func everySplitPointOfAStream(version: MQTTVersion) throws {
        let packets = Samples.packets(version)
        let stream = try packets.flatMap { try encoded($0, version) }
        var checked = 0
        for cut in 0...stream.count {
            var decoder = MQTTPacketDecoder(version: version)
            var input = buffer(Array(stream[..<cut]))
            var out: [MQTTPacket] = []
            while let packet = try decoder.decode(buffer: &input) { out.append(packet) }
            input.writeBytes(stream[cut...])
            while let packet = try decoder.decode(buffer: &input) { out.append(packet) }
            #expect(input.readableBytes == 0)
            #expect(out == packets, "cut at \(cut)")
            checked += 1
        }
        #expect(checked == stream.count + 1)
    }

    @Test(arguments: MQTTVersion.allCases)
    func byteByByte(version: MQTTVersion) throws {
        let packets = Samples.packets(version)
        let stream = try packets.flatMap { try encoded($0, version) }
        var decoder = MQTTPacketDecoder(version: version)
        var input = ByteBuffer()
        var out: [MQTTPacket] = []
        var nils = 0
        for byte in stream {
            input.writeInteger(byte)
            let before = input.readableBytes
            if let packet = try decoder.decode(buffer: &input) {
                out.append(packet)
            } else {
                nils += 1
                #expect(input.readableBytes == before, "a partial packet consumed bytes")
            }
        }
        #expect(out == packets)
        #expect(nils == stream.count - packets.count)
    }

    /// Random cuts into up to 8 pieces, 500 streams per version.
    @Test(arguments: MQTTVersion.allCases)
    func randomMultiSplits(version: MQTTVersion) throws {
        let packets = Samples.packets(version)
        let stream = try packets.flatMap { try encoded($0, version) }
        var rng = SplitMix64(seed: 0x5EED_0000 + UInt64(version.rawValue))
        for _ in 0..<500 {
            let cuts = (0..<Int(rng.next() % 8)).map { _ in Int(rng.next() % UInt64(stream.count + 1)) }.sorted()
            var decoder = MQTTPacketDecoder(version: version)
            var input = ByteBuffer()
            var out: [MQTTPacket] = []
            var from = 0
            for to in cuts + [stream.count] {
                input.writeBytes(stream[from..<to])
                from = to
                while let packet = try decoder.decode(buffer: &input) { out.append(packet) }
            }
            #expect(out == packets)
        }
    }

    /// NIO's verifier: every packet whole, byte by byte, in random chunks, and leftovers on EOF.
    @Test(arguments: MQTTVersion.allCases)
    func byteToMessageDecoderVerifier(version: MQTTVersion) throws {
        let pairs = try Samples.packets(version).map { packet in (buffer(try encoded(packet, version)), [packet]) }
        try ByteToMessageDecoderVerifier.verifyDecoder(inputOutputPairs: pairs) {
            MQTTPacketDecoder(version: version)
        }
    }
}
