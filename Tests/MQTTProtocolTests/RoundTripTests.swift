import MQTTProtocol
import NIOCore
import Testing

@Suite struct RoundTripTests {
    @Test(arguments: MQTTVersion.allCases)
    func everySampleRoundTrips(version: MQTTVersion) throws {
        let packets = Samples.packets(version)
        for packet in packets {
            let bytes = try encoded(packet, version)
            #expect(try decodedAll(bytes, version) == [packet], "\(packet.type)")
            #expect(try MQTTPacketEncoder.encodedSize(of: packet, version: version) == bytes.count)
        }
    }

    /// 10,000 random valid packets per version: encode, size, decode, equal; and all
    /// of them as one stream.
    @Test(arguments: MQTTVersion.allCases)
    func randomPacketsRoundTrip(version: MQTTVersion) throws {
        var random = RandomPackets(seed: 0xC0DE_0000 + UInt64(version.rawValue))
        var stream = ByteBuffer()
        var packets: [MQTTPacket] = []
        var types = Set<MQTTPacketType>()
        for _ in 0..<10_000 {
            let packet = random.packet(version)
            let bytes = try encoded(packet, version)
            #expect(try MQTTPacketEncoder.encodedSize(of: packet, version: version) == bytes.count)
            #expect(try decodedAll(bytes, version) == [packet])
            stream.writeBytes(bytes)
            packets.append(packet)
            types.insert(packet.type)
        }
        #expect(try decodedAll(Array(stream.readableBytesView), version) == packets)
        #expect(types.count == (version == .v5 ? 15 : 14))
    }

    @Test(arguments: MQTTVersion.allCases)
    func everyPacketTypeIsCovered(version: MQTTVersion) {
        let types = Set(Samples.packets(version).map(\.type))
        let expected = Set(MQTTPacketType.allCases.filter { version == .v5 || $0 != .auth })
        #expect(types == expected)
    }

    /// Every property identifier appears in some sample, so each data type is exercised.
    @Test func everyPropertyIsCovered() {
        var seen = Set<MQTTPropertyIdentifier>()
        for packet in Samples.packets(.v5) {
            for properties in Self.propertyLists(packet) { seen.formUnion(properties.map(\.identifier)) }
        }
        #expect(seen == Set(MQTTPropertyIdentifier.allCases))
    }

    /// The typed accessors find what was put in, in order.
    @Test func propertyAccessors() {
        let p = Samples.publishProperties
        #expect(p.payloadFormatIndicator == .utf8)
        #expect(p.messageExpiryInterval == 3600)
        #expect(p.contentType == "application/json")
        #expect(p.correlationData == buffer([0, 1, 2, 255]))
        #expect(p.subscriptionIdentifiers == [1, 268_435_455])
        #expect(p.userProperties.map(\.name) == ["bridge-key", "a", "a"])
        #expect(p.userProperties.map(\.value) == ["k1", "1", "2"])
        let c = Samples.connackProperties
        #expect(c.receiveMaximum == 20)
        #expect(c.maximumQoS == .atLeastOnce)
        #expect(c.maximumPacketSize == 268_435_460)
        #expect(c.topicAliasMaximum == 65535)
        #expect(c.serverKeepAlive == 30)
        #expect(c.sessionExpiryInterval == 7200)
        #expect(c.assignedClientIdentifier == "auto-1234")
        #expect(c.retainAvailable == true)
        #expect(c.subscriptionIdentifiersAvailable == false)
        #expect(c.topicAlias == nil)
    }

    /// A payload as big as a 2-byte remaining length allows, and one just past it.
    @Test(arguments: [16_383 - 7, 16_383 - 6, 2_097_151 - 7, 2_097_151 - 6])
    func remainingLengthBoundaries(payloadSize: Int) throws {
        let packet = MQTTPacket.publish(.init(topic: "a/b", payload: buffer(Array(repeating: 0x5A, count: payloadSize))))
        let bytes = try encoded(packet, .v311)
        #expect(try MQTTPacketEncoder.encodedSize(of: packet, version: .v311) == bytes.count)
        #expect(try decodedAll(bytes, .v311) == [packet])
    }

    @Test func encoderConformsToMessageToByteEncoder() throws {
        let encoder = MQTTPacketEncoder(version: .v5)
        var out = ByteBuffer()
        try encoder.encode(data: .puback(.init(packetID: 7, reasonCode: .noMatchingSubscribers)), out: &out)
        #expect(Array(out.readableBytesView) == [0x40, 0x03, 0x00, 0x07, 0x10])
    }

    @Test func reasonCodeFailures() {
        #expect(!MQTTReasonCode.success.isFailure)
        #expect(!MQTTReasonCode.noMatchingSubscribers.isFailure)
        #expect(!MQTTReasonCode.grantedQoS2.isFailure)
        #expect(MQTTReasonCode.unspecifiedError.isFailure)
        #expect(MQTTReasonCode.wildcardSubscriptionsNotSupported.isFailure)
        #expect((0...255).filter { MQTTReasonCode(rawValue: UInt8($0)).isFailure }.count == 128)
    }

    static func propertyLists(_ packet: MQTTPacket) -> [MQTTProperties] {
        switch packet {
        case .connect(let c): [c.properties, c.will?.properties ?? []]
        case .connack(let c): [c.properties]
        case .publish(let p): [p.properties]
        case .puback(let a), .pubrec(let a), .pubrel(let a), .pubcomp(let a): [a.properties]
        case .subscribe(let s): [s.properties]
        case .suback(let s): [s.properties]
        case .unsubscribe(let u): [u.properties]
        case .unsuback(let u): [u.properties]
        case .disconnect(let d): [d.properties]
        case .auth(let a): [a.properties]
        case .pingreq, .pingresp: []
        }
    }
}
