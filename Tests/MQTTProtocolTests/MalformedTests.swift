import MQTTProtocol
import NIOCore
import Testing

/// Each rule the decoder and encoder enforce, with the typed error it gives.
@Suite struct MalformedTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var version: MQTTVersion
        var bytes: [UInt8]
        var error: MQTTProtocolError
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "packet type 0", version: .v5, bytes: [0x00, 0x00], error: .invalidPacketType(0)),
        Case(name: "AUTH in 3.1.1", version: .v311, bytes: [0xF0, 0x00], error: .invalidPacketType(15)),
        Case(name: "PUBREL flags 0", version: .v5, bytes: [0x60, 0x02, 0x00, 0x01], error: .invalidFixedHeaderFlags(.pubrel, flags: 0)),
        Case(
            name: "SUBSCRIBE flags 0", version: .v311, bytes: [0x80, 0x06, 0x00, 0x01, 0x00, 0x01, 0x61, 0x00],
            error: .invalidFixedHeaderFlags(.subscribe, flags: 0)
        ),
        Case(
            name: "UNSUBSCRIBE flags 3", version: .v311, bytes: [0xA3, 0x05, 0x00, 0x01, 0x00, 0x01, 0x61],
            error: .invalidFixedHeaderFlags(.unsubscribe, flags: 3)
        ),
        Case(name: "PUBACK flags 1", version: .v5, bytes: [0x41, 0x02, 0x00, 0x01], error: .invalidFixedHeaderFlags(.puback, flags: 1)),
        Case(name: "PINGREQ flags 2", version: .v5, bytes: [0xC2, 0x00], error: .invalidFixedHeaderFlags(.pingreq, flags: 2)),
        Case(name: "PUBLISH QoS 3", version: .v311, bytes: [0x36, 0x05, 0x00, 0x01, 0x61, 0x00, 0x01], error: .invalidQoS(3)),
        Case(name: "PUBLISH QoS 0 with DUP", version: .v311, bytes: [0x38, 0x03, 0x00, 0x01, 0x61], error: .invalidFixedHeaderFlags(.publish, flags: 8)),
        Case(name: "remaining length of 5 bytes", version: .v5, bytes: [0xC0, 0xFF, 0xFF, 0xFF, 0xFF, 0x01], error: .invalidVariableByteInteger),
        Case(name: "PINGREQ with a body", version: .v5, bytes: [0xC0, 0x01, 0x00], error: .trailingBytes(.pingreq, count: 1)),
        Case(name: "PUBACK too short", version: .v311, bytes: [0x40, 0x01, 0x00], error: .truncated(.puback)),
        Case(name: "PUBACK too long in 3.1.1", version: .v311, bytes: [0x40, 0x03, 0x00, 0x01, 0x00], error: .trailingBytes(.puback, count: 1)),
        Case(name: "CONNACK too long", version: .v311, bytes: [0x20, 0x03, 0x00, 0x00, 0x00], error: .trailingBytes(.connack, count: 1)),
        Case(name: "CONNACK 5 without property length", version: .v5, bytes: [0x20, 0x02, 0x00, 0x00], error: .truncated(.connack)),
        Case(name: "CONNACK reserved flag", version: .v311, bytes: [0x20, 0x02, 0x02, 0x00], error: .invalidConnackFlags(2)),
        Case(name: "CONNACK return code 6", version: .v311, bytes: [0x20, 0x02, 0x00, 0x06], error: .invalidReasonCode(.connack, 6)),
        Case(name: "CONNACK reason 0x10", version: .v5, bytes: [0x20, 0x03, 0x00, 0x10, 0x00], error: .invalidReasonCode(.connack, 0x10)),
        Case(name: "string longer than the packet", version: .v311, bytes: [0x30, 0x03, 0x00, 0x05, 0x61], error: .truncated(.publish)),
        Case(name: "topic with +", version: .v311, bytes: [0x30, 0x05, 0x00, 0x03, 0x61, 0x2F, 0x2B], error: .invalidTopicName("a/+")),
        Case(name: "topic with #", version: .v5, bytes: [0x30, 0x04, 0x00, 0x01, 0x23, 0x00], error: .invalidTopicName("#")),
        Case(name: "empty topic in 3.1.1", version: .v311, bytes: [0x30, 0x02, 0x00, 0x00], error: .invalidTopicName("")),
        Case(name: "empty topic without alias", version: .v5, bytes: [0x30, 0x03, 0x00, 0x00, 0x00], error: .invalidTopicName("")),
        Case(name: "topic not UTF-8", version: .v311, bytes: [0x30, 0x04, 0x00, 0x02, 0xC3, 0x28], error: .invalidUTF8),
        Case(name: "topic with UTF-16 surrogate", version: .v311, bytes: [0x30, 0x05, 0x00, 0x03, 0xED, 0xA0, 0x80], error: .invalidUTF8),
        Case(name: "topic with U+0000", version: .v311, bytes: [0x30, 0x05, 0x00, 0x03, 0x61, 0x00, 0x62], error: .nullCharacter),
        Case(name: "PUBLISH QoS 1 packet id 0", version: .v311, bytes: [0x32, 0x05, 0x00, 0x01, 0x61, 0x00, 0x00], error: .invalidPacketIdentifier(.publish)),
        Case(name: "PUBACK packet id 0", version: .v5, bytes: [0x40, 0x02, 0x00, 0x00], error: .invalidPacketIdentifier(.puback)),
        Case(name: "SUBSCRIBE packet id 0", version: .v311, bytes: [0x82, 0x06, 0x00, 0x00, 0x00, 0x01, 0x61, 0x00], error: .invalidPacketIdentifier(.subscribe)),
        Case(name: "SUBSCRIBE without filters", version: .v311, bytes: [0x82, 0x02, 0x00, 0x01], error: .emptyPayload(.subscribe)),
        Case(name: "SUBSCRIBE 5 without filters", version: .v5, bytes: [0x82, 0x03, 0x00, 0x01, 0x00], error: .emptyPayload(.subscribe)),
        Case(name: "UNSUBSCRIBE without filters", version: .v311, bytes: [0xA2, 0x02, 0x00, 0x01], error: .emptyPayload(.unsubscribe)),
        Case(name: "SUBACK without codes", version: .v311, bytes: [0x90, 0x02, 0x00, 0x01], error: .emptyPayload(.suback)),
        Case(name: "SUBACK 3.1.1 code 0x87", version: .v311, bytes: [0x90, 0x03, 0x00, 0x01, 0x87], error: .invalidReasonCode(.suback, 0x87)),
        Case(name: "SUBSCRIBE filter a/#/b", version: .v311, bytes: [0x82, 0x0A, 0x00, 0x01, 0x00, 0x05] + ascii("a/#/b") + [0x00], error: .invalidTopicFilter("a/#/b")),
        Case(name: "SUBSCRIBE filter a+", version: .v311, bytes: [0x82, 0x07, 0x00, 0x01, 0x00, 0x02] + ascii("a+") + [0x00], error: .invalidTopicFilter("a+")),
        Case(name: "SUBSCRIBE QoS 3", version: .v311, bytes: [0x82, 0x06, 0x00, 0x01, 0x00, 0x01, 0x61, 0x03], error: .invalidQoS(3)),
        Case(name: "SUBSCRIBE 3.1.1 no-local bit", version: .v311, bytes: [0x82, 0x06, 0x00, 0x01, 0x00, 0x01, 0x61, 0x05], error: .invalidSubscriptionOptions(5)),
        Case(name: "SUBSCRIBE retain handling 3", version: .v5, bytes: [0x82, 0x07, 0x00, 0x01, 0x00, 0x00, 0x01, 0x61, 0x30], error: .invalidSubscriptionOptions(0x30)),
        Case(name: "SUBSCRIBE reserved option bit", version: .v5, bytes: [0x82, 0x07, 0x00, 0x01, 0x00, 0x00, 0x01, 0x61, 0x40], error: .invalidSubscriptionOptions(0x40)),
        Case(
            name: "CONNECT protocol name MQIsdp", version: .v311,
            bytes: [0x10, 0x0F, 0x00, 0x06] + ascii("MQIsdp") + [0x03, 0x02, 0x00, 0x3C, 0x00, 0x01] + ascii("a"),
            error: .invalidProtocolName("MQIsdp")
        ),
        Case(
            name: "CONNECT level 3", version: .v311,
            bytes: [0x10, 0x0D, 0x00, 0x04] + ascii("MQTT") + [0x03, 0x02, 0x00, 0x3C, 0x00, 0x01] + ascii("a"),
            error: .unsupportedProtocolLevel(3)
        ),
        Case(
            name: "CONNECT reserved flag", version: .v311,
            bytes: [0x10, 0x0D, 0x00, 0x04] + ascii("MQTT") + [0x04, 0x03, 0x00, 0x3C, 0x00, 0x01] + ascii("a"),
            error: .invalidConnectFlags(0x03)
        ),
        Case(
            name: "CONNECT will QoS without will", version: .v311,
            bytes: [0x10, 0x0D, 0x00, 0x04] + ascii("MQTT") + [0x04, 0x0A, 0x00, 0x3C, 0x00, 0x01] + ascii("a"),
            error: .invalidConnectFlags(0x0A)
        ),
        Case(
            name: "CONNECT 3.1.1 password without user", version: .v311,
            bytes: [0x10, 0x10, 0x00, 0x04] + ascii("MQTT") + [0x04, 0x42, 0x00, 0x3C, 0x00, 0x01] + ascii("a") + [0x00, 0x01, 0x70],
            error: .invalidConnectFlags(0x42)
        ),
        Case(
            name: "CONNECT will QoS 3", version: .v311,
            bytes: [0x10, 0x12, 0x00, 0x04] + ascii("MQTT") + [0x04, 0x1E, 0x00, 0x3C, 0x00, 0x01] + ascii("a") + [0x00, 0x01, 0x74, 0x00, 0x00],
            error: .invalidQoS(3)
        ),
        Case(
            name: "CONNECT will topic with wildcard", version: .v311,
            bytes: [0x10, 0x12, 0x00, 0x04] + ascii("MQTT") + [0x04, 0x06, 0x00, 0x3C, 0x00, 0x01] + ascii("a") + [0x00, 0x01, 0x23, 0x00, 0x00],
            error: .invalidTopicName("#")
        ),
        Case(
            name: "CONNECT receive maximum 0", version: .v5,
            bytes: [0x10, 0x11, 0x00, 0x04] + ascii("MQTT") + [0x05, 0x02, 0x00, 0x3C, 0x03, 0x21, 0x00, 0x00, 0x00, 0x01] + ascii("a"),
            error: .invalidPropertyValue(.receiveMaximum)
        ),
        Case(
            name: "PUBLISH with session expiry", version: .v5,
            bytes: [0x30, 0x09, 0x00, 0x01, 0x61, 0x05, 0x11, 0x00, 0x00, 0x00, 0x01],
            error: .propertyNotAllowed(.sessionExpiryInterval, .packet(.publish))
        ),
        Case(
            name: "PUBLISH message expiry twice", version: .v5,
            bytes: [0x30, 0x0E, 0x00, 0x01, 0x61, 0x0A, 0x02, 0x00, 0x00, 0x00, 0x01, 0x02, 0x00, 0x00, 0x00, 0x02],
            error: .duplicateProperty(.messageExpiryInterval)
        ),
        Case(
            name: "SUBSCRIBE subscription identifier twice", version: .v5,
            bytes: [0x82, 0x0B, 0x00, 0x01, 0x04, 0x0B, 0x01, 0x0B, 0x02, 0x00, 0x01, 0x61, 0x00],
            error: .duplicateProperty(.subscriptionIdentifier)
        ),
        Case(name: "unknown property 0x05", version: .v5, bytes: [0x30, 0x06, 0x00, 0x01, 0x61, 0x02, 0x05, 0x00], error: .unknownProperty(5)),
        Case(name: "property identifier of 2 bytes", version: .v5, bytes: [0x30, 0x06, 0x00, 0x01, 0x61, 0x02, 0x81, 0x01], error: .unknownProperty(129)),
        Case(name: "property length past the packet", version: .v5, bytes: [0x30, 0x04, 0x00, 0x01, 0x61, 0x05], error: .truncated(.publish)),
        Case(name: "payload format 2", version: .v5, bytes: [0x30, 0x06, 0x00, 0x01, 0x61, 0x02, 0x01, 0x02], error: .invalidPropertyValue(.payloadFormatIndicator)),
        Case(name: "subscription identifier 0", version: .v5, bytes: [0x30, 0x06, 0x00, 0x01, 0x61, 0x02, 0x0B, 0x00], error: .invalidPropertyValue(.subscriptionIdentifier)),
        Case(name: "topic alias 0", version: .v5, bytes: [0x30, 0x07, 0x00, 0x01, 0x61, 0x03, 0x23, 0x00, 0x00], error: .invalidPropertyValue(.topicAlias)),
        Case(name: "CONNACK maximum QoS 2", version: .v5, bytes: [0x20, 0x05, 0x00, 0x00, 0x02, 0x24, 0x02], error: .invalidPropertyValue(.maximumQoS)),
        Case(name: "CONNACK retain available 2", version: .v5, bytes: [0x20, 0x05, 0x00, 0x00, 0x02, 0x25, 0x02], error: .invalidPropertyValue(.retainAvailable)),
        Case(name: "PUBACK reason 0x05", version: .v5, bytes: [0x40, 0x03, 0x00, 0x01, 0x05], error: .invalidReasonCode(.puback, 5)),
        Case(name: "PUBREL reason 0x10", version: .v5, bytes: [0x62, 0x03, 0x00, 0x01, 0x10], error: .invalidReasonCode(.pubrel, 0x10)),
        Case(name: "DISCONNECT reason 0x91", version: .v5, bytes: [0xE0, 0x01, 0x91], error: .invalidReasonCode(.disconnect, 0x91)),
        Case(name: "DISCONNECT with body in 3.1.1", version: .v311, bytes: [0xE0, 0x01, 0x00], error: .trailingBytes(.disconnect, count: 1)),
        Case(
            name: "DISCONNECT with assigned client id", version: .v5, bytes: [0xE0, 0x06, 0x00, 0x04, 0x12, 0x00, 0x01, 0x61],
            error: .propertyNotAllowed(.assignedClientIdentifier, .packet(.disconnect))
        ),
        Case(name: "UNSUBACK 5 without codes", version: .v5, bytes: [0xB0, 0x03, 0x00, 0x01, 0x00], error: .emptyPayload(.unsuback)),
        Case(name: "response topic with wildcard", version: .v5, bytes: [0x30, 0x08, 0x00, 0x01, 0x61, 0x04, 0x08, 0x00, 0x01, 0x23], error: .invalidPropertyValue(.responseTopic)),
    ]

    /// Topic filters: which are valid, checked through SUBSCRIBE in both directions.
    static let filters: [(String, Bool)] = [
        ("a", true), ("a/b/c", true), ("/", true), ("//", true), ("+", true), ("#", true), ("+/+", true),
        ("a/+/b", true), ("a/#", true), ("+/#", true), ("/#", true), ("$SYS/#", true), ("ü/€", true),
        ("$share/g/a/+", true), ("$share/g/#", true), ("$share/group-1/a/b", true),
        ("", false), ("a+", false), ("+a", false), ("a/b+", false), ("a/#/b", false), ("#/", false),
        ("a#", false), ("##", false), ("++", false), ("$share/", false), ("$share/g", false),
        ("$share//a", false), ("$share/g+/a", false), ("$share/#/a", false), ("$share/g/", false),
        ("$share/g/a#", false),
    ]

    @Test(arguments: filters)
    func topicFilterRules(filter: String, valid: Bool) throws {
        let packet = MQTTPacket.subscribe(.init(packetID: 1, subscriptions: [.init(topicFilter: filter)]))
        var out = ByteBuffer()
        if valid {
            try MQTTPacketEncoder.encode(packet, version: .v5, into: &out)
            #expect(try decodedAll(Array(out.readableBytesView), .v5) == [packet])
        } else {
            #expect(throws: MQTTProtocolError.invalidTopicFilter(filter)) {
                try MQTTPacketEncoder.encode(packet, version: .v5, into: &out)
            }
            // The same bytes written by hand: 0x82, length, packet id 1, no properties, filter, QoS 1.
            let utf8 = Array(filter.utf8)
            let body: [UInt8] = [0x00, 0x01, 0x00, 0x00, UInt8(utf8.count)] + utf8 + [0x01]
            #expect(throws: MQTTProtocolError.invalidTopicFilter(filter)) {
                try decodedAll([0x82, UInt8(body.count)] + body, .v5)
            }
        }
    }

    /// No Local on a shared subscription is a protocol error [MQTT-3.8.3-4].
    @Test func noLocalOnASharedSubscription() {
        let packet = MQTTPacket.subscribe(.init(packetID: 1, subscriptions: [.init(topicFilter: "$share/g/a", noLocal: true)]))
        var out = ByteBuffer()
        #expect(throws: MQTTProtocolError.invalidSubscriptionOptions(0x05)) {
            try MQTTPacketEncoder.encode(packet, version: .v5, into: &out)
        }
        let bytes: [UInt8] = [0x82, 0x10, 0x00, 0x01, 0x00, 0x00, 0x0A] + ascii("$share/g/a") + [0x05]
        #expect(throws: MQTTProtocolError.invalidSubscriptionOptions(0x05)) { try decodedAll(bytes, .v5) }
    }

    @Test(arguments: cases)
    func decodingThrowsWithoutConsuming(_ c: Case) {
        var decoder = MQTTPacketDecoder(version: c.version)
        var input = buffer(c.bytes)
        #expect(throws: c.error) { try decoder.decode(buffer: &input) }
        #expect(input.readableBytes == c.bytes.count)
    }

    /// The limit applies as soon as the fixed header is in, before the body is buffered.
    @Test func packetTooLargeFromTheFixedHeader() {
        var decoder = MQTTPacketDecoder(version: .v5, maxPacketSize: 1024)
        var input = buffer([0x30, 0xFF, 0xFF, 0x7F])
        #expect(throws: MQTTProtocolError.packetTooLarge(size: 2_097_155, maximum: 1024)) {
            try decoder.decode(buffer: &input)
        }
        var exact = buffer([0x30, 0x05, 0x00, 0x01, 0x61, 0x00, 0x00])
        decoder.maxPacketSize = 7
        #expect(throws: Never.self) { try decoder.decode(buffer: &exact) }
        var over = buffer([0x30, 0x06, 0x00, 0x01, 0x61, 0x00, 0x00, 0x00])
        #expect(throws: MQTTProtocolError.packetTooLarge(size: 8, maximum: 7)) { try decoder.decode(buffer: &over) }
    }

    @Test func partialPacketsReturnNilWithoutConsuming() throws {
        let bytes = try encoded(Samples.packets(.v5)[2], .v5)
        for cut in 0..<bytes.count {
            var decoder = MQTTPacketDecoder(version: .v5)
            var input = buffer(Array(bytes.prefix(cut)))
            #expect(try decoder.decode(buffer: &input) == nil)
            #expect(input.readableBytes == cut)
        }
    }

    struct EncodeCase: Sendable, CustomTestStringConvertible {
        var name: String
        var version: MQTTVersion
        var packet: MQTTPacket
        var error: MQTTProtocolError
        var testDescription: String { name }
    }

    static let encodeCases: [EncodeCase] = [
        EncodeCase(
            name: "topic longer than 65535 bytes", version: .v5,
            packet: .publish(.init(topic: String(repeating: "t", count: 65536), payload: ByteBuffer())),
            error: .valueTooLong(length: 65536, maximum: 65535)
        ),
        EncodeCase(
            name: "user property longer than 65535 bytes", version: .v5,
            packet: .publish(.init(topic: "t", payload: ByteBuffer(), properties: [.userProperty(name: "n", value: String(repeating: "v", count: 70000))])),
            error: .valueTooLong(length: 70000, maximum: 65535)
        ),
        EncodeCase(
            name: "password longer than 65535 bytes", version: .v311,
            packet: .connect(.init(version: .v311, clientID: "c", username: "u", password: buffer(Array(repeating: 1, count: 65536)))),
            error: .valueTooLong(length: 65536, maximum: 65535)
        ),
        EncodeCase(
            name: "PUBLISH with receive maximum", version: .v5,
            packet: .publish(.init(topic: "t", payload: ByteBuffer(), properties: [.receiveMaximum(1)])),
            error: .propertyNotAllowed(.receiveMaximum, .packet(.publish))
        ),
        EncodeCase(
            name: "will with session expiry", version: .v5,
            packet: .connect(.init(version: .v5, clientID: "c", will: .init(topic: "w", payload: ByteBuffer(), properties: [.sessionExpiryInterval(1)]))),
            error: .propertyNotAllowed(.sessionExpiryInterval, .will)
        ),
        EncodeCase(
            name: "CONNECT with two session expiries", version: .v5,
            packet: .connect(.init(version: .v5, clientID: "c", properties: [.sessionExpiryInterval(1), .sessionExpiryInterval(2)])),
            error: .duplicateProperty(.sessionExpiryInterval)
        ),
        EncodeCase(
            name: "properties in 3.1.1", version: .v311,
            packet: .publish(.init(topic: "t", payload: ByteBuffer(), properties: [.contentType("x")])),
            error: .notSupported(.v311, .publish)
        ),
        EncodeCase(
            name: "PUBACK reason code in 3.1.1", version: .v311,
            packet: .puback(.init(packetID: 1, reasonCode: .noMatchingSubscribers)),
            error: .notSupported(.v311, .puback)
        ),
        EncodeCase(name: "AUTH in 3.1.1", version: .v311, packet: .auth(.init()), error: .notSupported(.v311, .auth)),
        EncodeCase(
            name: "CONNACK 3.1.1 without return code", version: .v311,
            packet: .connack(.init(reasonCode: .serverBusy)), error: .invalidReasonCode(.connack, 0x89)
        ),
        EncodeCase(
            name: "PUBACK reason meant for SUBACK", version: .v5,
            packet: .puback(.init(packetID: 1, reasonCode: .grantedQoS1)), error: .invalidReasonCode(.puback, 1)
        ),
        EncodeCase(
            name: "QoS 1 without packet id", version: .v5,
            packet: .publish(.init(topic: "t", payload: ByteBuffer(), qos: .atLeastOnce)), error: .invalidPacketIdentifier(.publish)
        ),
        EncodeCase(
            name: "QoS 0 with packet id", version: .v5,
            packet: .publish(.init(topic: "t", payload: ByteBuffer(), packetID: 3)), error: .invalidPacketIdentifier(.publish)
        ),
        EncodeCase(
            name: "packet id 0", version: .v5,
            packet: .publish(.init(topic: "t", payload: ByteBuffer(), qos: .exactlyOnce, packetID: 0)), error: .invalidPacketIdentifier(.publish)
        ),
        EncodeCase(name: "PUBREL packet id 0", version: .v311, packet: .pubrel(.init(packetID: 0)), error: .invalidPacketIdentifier(.pubrel)),
        EncodeCase(
            name: "topic with wildcard", version: .v5,
            packet: .publish(.init(topic: "a/#", payload: ByteBuffer())), error: .invalidTopicName("a/#")
        ),
        EncodeCase(
            name: "topic with U+0000", version: .v5,
            packet: .publish(.init(topic: "a\u{0}b", payload: ByteBuffer())), error: .nullCharacter
        ),
        EncodeCase(
            name: "empty topic without alias", version: .v5,
            packet: .publish(.init(topic: "", payload: ByteBuffer())), error: .invalidTopicName("")
        ),
        EncodeCase(
            name: "empty SUBSCRIBE", version: .v5,
            packet: .subscribe(.init(packetID: 1, subscriptions: [])), error: .emptyPayload(.subscribe)
        ),
        EncodeCase(
            name: "no local in 3.1.1", version: .v311,
            packet: .subscribe(.init(packetID: 1, subscriptions: [.init(topicFilter: "a", noLocal: true)])),
            error: .invalidSubscriptionOptions(0x05)
        ),
        EncodeCase(
            name: "bad filter", version: .v5,
            packet: .unsubscribe(.init(packetID: 1, topicFilters: ["a/b#"])), error: .invalidTopicFilter("a/b#")
        ),
        EncodeCase(
            name: "CONNECT of another version", version: .v5,
            packet: .connect(.init(version: .v311, clientID: "c")), error: .versionMismatch(packet: .v311, connection: .v5)
        ),
        EncodeCase(
            name: "subscription identifier above maximum", version: .v5,
            packet: .subscribe(.init(packetID: 1, subscriptions: [.init(topicFilter: "a")], properties: [.subscriptionIdentifier(268_435_456)])),
            error: .invalidPropertyValue(.subscriptionIdentifier)
        ),
    ]

    @Test(arguments: encodeCases)
    func encodingThrowsWithoutWriting(_ c: EncodeCase) {
        var out = ByteBuffer(bytes: [0xAB])
        #expect(throws: c.error) { try MQTTPacketEncoder.encode(c.packet, version: c.version, into: &out) }
        #expect(Array(out.readableBytesView) == [0xAB])
        #expect(throws: c.error) { try MQTTPacketEncoder.encodedSize(of: c.packet, version: c.version) }
    }
}
