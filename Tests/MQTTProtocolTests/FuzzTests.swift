import MQTTProtocol
import NIOCore
import Testing

/// One million random and mutated inputs: the decoder must decode, ask for more bytes or
/// throw a typed error, never trap; it must not consume bytes unless it returns a packet;
/// and whatever it accepts must encode again and decode to the same packet.
@Suite struct FuzzTests {
    static let iterations = 1_000_000

    struct Tally {
        var fed = 0
        var bytesFed = 0
        var decoded = 0
        var needMoreData = 0
        var thrown = 0
        var consumedWithoutPacket = 0
        var reencodeFailures = 0
        var errorKinds = Set<Int>()
        var packetTypes = Set<MQTTPacketType>()
    }

    @Test func randomAndMutatedPacketsNeverCrash() throws {
        var corpus: [(MQTTVersion, [UInt8])] = []
        for version in MQTTVersion.allCases {
            for packet in Samples.packets(version) { corpus.append((version, try encoded(packet, version))) }
            var random = RandomPackets(seed: 0xFA22 + UInt64(version.rawValue))
            for _ in 0..<1000 { corpus.append((version, try encoded(random.packet(version), version))) }
        }
        var rng = SplitMix64(seed: 0xB81D_6E00_0000_0005)
        var tally = Tally()
        var bytes: [UInt8] = []
        bytes.reserveCapacity(8192)
        var input = ByteBuffer()
        input.reserveCapacity(8192)
        var scratch = input

        for _ in 0..<Self.iterations {
            bytes.removeAll(keepingCapacity: true)
            var version: MQTTVersion = rng.next() & 1 == 0 ? .v311 : .v5
            switch rng.below(10) {
            case 0:
                // Pure noise.
                for _ in 0..<rng.below(24) { bytes.append(rng.byte()) }
            case 1:
                // A plausible fixed header with a short remaining length, then noise.
                let type = UInt8(1 + rng.below(15))
                let flags: UInt8 = type == 3 ? rng.byte() & 0x0F : (type == 6 || type == 8 || type == 10 ? 2 : 0)
                let length = rng.below(20)
                bytes.append(type << 4 | flags)
                bytes.append(UInt8(length))
                for _ in 0..<length { bytes.append(rng.byte()) }
            default:
                let sample = corpus[rng.below(corpus.count)]
                version = sample.0
                bytes.append(contentsOf: sample.1)
                for _ in 0..<(1 + rng.below(3)) { Self.mutate(&bytes, corpus: corpus, rng: &rng) }
            }

            input.clear()
            input.writeBytes(bytes)
            tally.fed += 1
            tally.bytesFed += bytes.count
            let limit = rng.below(8) == 0 ? 16 + rng.below(64) : MQTTPacketDecoder.largestPacketSize
            Self.feed(&input, decoder: MQTTPacketDecoder(version: version, maxPacketSize: limit), scratch: &scratch, tally: &tally)
        }

        print(
            "MQTT fuzz: \(tally.fed) inputs, \(tally.bytesFed) bytes: \(tally.decoded) packets decoded,",
            "\(tally.needMoreData) need more data, \(tally.thrown) typed errors of \(tally.errorKinds.count) kinds"
        )
        #expect(tally.fed == 1_000_000)
        #expect(tally.consumedWithoutPacket == 0)
        #expect(tally.reencodeFailures == 0)
        // Every outcome happened many times, so the run exercised more than one path.
        #expect(tally.decoded > 10_000)
        #expect(tally.needMoreData > 10_000)
        #expect(tally.thrown > 10_000)
        // Every error the decoder can throw was reached; the other three (valueTooLong,
        // notSupported, versionMismatch) only come from the encoder.
        #expect(tally.errorKinds.count == 23, "error kinds reached: \(tally.errorKinds.sorted())")
        #expect(tally.packetTypes.count == 15)
    }

    private static func feed(
        _ input: inout ByteBuffer,
        decoder: MQTTPacketDecoder,
        scratch again: inout ByteBuffer,
        tally: inout Tally
    ) {
        var decoder = decoder
        while true {
            let before = input.readerIndex
            do throws(MQTTProtocolError) {
                guard let packet = try decoder.decode(buffer: &input) else {
                    tally.needMoreData += 1
                    if input.readerIndex != before { tally.consumedWithoutPacket += 1 }
                    return
                }
                tally.decoded += 1
                tally.packetTypes.insert(packet.type)
                again.clear()
                var fresh = MQTTPacketDecoder(version: decoder.version)
                if (try? MQTTPacketEncoder.encode(packet, version: decoder.version, into: &again)) == nil
                    || (try? fresh.decode(buffer: &again)) != packet
                {
                    tally.reencodeFailures += 1
                }
            } catch {
                tally.thrown += 1
                tally.errorKinds.insert(kind(of: error))
                if input.readerIndex != before { tally.consumedWithoutPacket += 1 }
                return
            }
        }
    }

    private static func mutate(_ bytes: inout [UInt8], corpus: [(MQTTVersion, [UInt8])], rng: inout SplitMix64) {
        let interesting: [UInt8] = [0x00, 0x01, 0x02, 0x03, 0x7F, 0x80, 0xFF, 0x23, 0x2B, 0x26, 0x0B]
        switch rng.below(9) {
        case 0 where !bytes.isEmpty:
            bytes[rng.below(bytes.count)] ^= 1 << UInt8(rng.below(8))
        case 1 where !bytes.isEmpty:
            bytes[rng.below(bytes.count)] = rng.byte()
        case 2 where !bytes.isEmpty:
            bytes[rng.below(bytes.count)] = interesting[rng.below(interesting.count)]
        case 3:
            bytes.removeLast(rng.below(bytes.count + 1))
        case 4:
            for _ in 0..<(1 + rng.below(8)) { bytes.append(rng.byte()) }
        case 5:
            bytes.insert(rng.byte(), at: rng.below(bytes.count + 1))
        case 6 where !bytes.isEmpty:
            bytes.remove(at: rng.below(bytes.count))
        case 7 where bytes.count > 1:
            // Lengthen or shorten the remaining length.
            bytes[1] = bytes[1] &+ UInt8(truncatingIfNeeded: rng.below(9) - 4)
        case 8:
            bytes.append(contentsOf: corpus[rng.below(corpus.count)].1)
        default:
            break
        }
    }

    private static func kind(of error: MQTTProtocolError) -> Int {
        switch error {
        case .packetTooLarge: 0
        case .invalidPacketType: 1
        case .invalidFixedHeaderFlags: 2
        case .invalidQoS: 3
        case .invalidVariableByteInteger: 4
        case .truncated: 5
        case .trailingBytes: 6
        case .invalidUTF8: 7
        case .nullCharacter: 8
        case .invalidTopicName: 9
        case .invalidTopicFilter: 10
        case .invalidPacketIdentifier: 11
        case .emptyPayload: 12
        case .invalidProtocolName: 13
        case .unsupportedProtocolLevel: 14
        case .invalidConnectFlags: 15
        case .invalidConnackFlags: 16
        case .invalidSubscriptionOptions: 17
        case .invalidReasonCode: 18
        case .unknownProperty: 19
        case .propertyNotAllowed: 20
        case .duplicateProperty: 21
        case .invalidPropertyValue: 22
        case .valueTooLong: 23
        case .notSupported: 24
        case .versionMismatch: 25
        }
    }
}
