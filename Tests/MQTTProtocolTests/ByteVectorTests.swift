import MQTTProtocol
import NIOCore
import Testing

/// Packets written byte by byte from the specifications (MQTT 3.1.1 chapter 3,
/// MQTT 5 chapter 3), checked in both directions: the bytes decode to the packet and
/// the packet encodes to the bytes.
@Suite struct ByteVectorTests {
    struct Vector: Sendable, CustomTestStringConvertible {
        var name: String
        var version: MQTTVersion
        var bytes: [UInt8]
        var packet: MQTTPacket
        var testDescription: String { "\(name) (\(version))" }
    }

    static let vectors: [Vector] = [
        // 3.1.1 CONNECT: protocol name "MQTT", level 4, flags clean session, keepalive 60, client id "abc".
        Vector(
            name: "CONNECT minimal", version: .v311,
            bytes: [0x10, 0x0F, 0x00, 0x04] + ascii("MQTT") + [0x04, 0x02, 0x00, 0x3C, 0x00, 0x03] + ascii("abc"),
            packet: .connect(.init(version: .v311, clientID: "abc", keepAlive: 60))
        ),
        // 3.1.1 CONNECT with user, password and a retained QoS 1 will: flags 1110 1110.
        Vector(
            name: "CONNECT will user password", version: .v311,
            bytes: [0x10, 0x1B, 0x00, 0x04] + ascii("MQTT") + [0x04, 0xEE, 0x00, 0x3C, 0x00, 0x03] + ascii("abc")
                + [0x00, 0x01] + ascii("w") + [0x00, 0x01] + ascii("x")
                + [0x00, 0x01] + ascii("u") + [0x00, 0x01] + ascii("p"),
            packet: .connect(
                .init(
                    version: .v311, clientID: "abc", keepAlive: 60, username: "u", password: buffer("p"),
                    will: .init(topic: "w", payload: buffer("x"), qos: .atLeastOnce, retain: true)
                )
            )
        ),
        // 5 CONNECT: level 5, clean start, keepalive 60, properties: session expiry 3600, receive maximum 20.
        Vector(
            name: "CONNECT properties", version: .v5,
            bytes: [0x10, 0x18, 0x00, 0x04] + ascii("MQTT") + [0x05, 0x02, 0x00, 0x3C]
                + [0x08, 0x11, 0x00, 0x00, 0x0E, 0x10, 0x21, 0x00, 0x14]
                + [0x00, 0x03] + ascii("abc"),
            packet: .connect(
                .init(
                    version: .v5, clientID: "abc", keepAlive: 60,
                    properties: [.sessionExpiryInterval(3600), .receiveMaximum(20)]
                )
            )
        ),
        // 5 CONNECT, clean start 0, password without user name (allowed in 5), will with will delay.
        Vector(
            name: "CONNECT will properties", version: .v5,
            bytes: [0x10, 0x1D, 0x00, 0x04] + ascii("MQTT") + [0x05, 0x44, 0x00, 0x00, 0x00]
                + [0x00, 0x01] + ascii("c")
                + [0x05, 0x18, 0x00, 0x00, 0x00, 0x0A]
                + [0x00, 0x01] + ascii("t") + [0x00, 0x00]
                + [0x00, 0x02, 0xFF, 0x00],
            packet: .connect(
                .init(
                    version: .v5, clientID: "c", cleanStart: false, keepAlive: 0, password: buffer([0xFF, 0x00]),
                    will: .init(topic: "t", payload: ByteBuffer(), properties: [.willDelayInterval(10)])
                )
            )
        ),
        Vector(
            name: "CONNACK session present", version: .v311, bytes: [0x20, 0x02, 0x01, 0x00],
            packet: .connack(.init(sessionPresent: true))
        ),
        // 3.1.1 return code 5 "not authorized" is MQTT 5's 0x87.
        Vector(
            name: "CONNACK not authorized", version: .v311, bytes: [0x20, 0x02, 0x00, 0x05],
            packet: .connack(.init(reasonCode: .notAuthorized))
        ),
        Vector(
            name: "CONNACK", version: .v5, bytes: [0x20, 0x03, 0x00, 0x00, 0x00],
            packet: .connack(.init())
        ),
        Vector(
            name: "CONNACK properties", version: .v5,
            bytes: [0x20, 0x08, 0x01, 0x00, 0x05, 0x22, 0x00, 0x0A, 0x24, 0x01],
            packet: .connack(.init(sessionPresent: true, properties: [.topicAliasMaximum(10), .maximumQoS(.atLeastOnce)]))
        ),
        Vector(
            name: "CONNACK bad user name or password", version: .v5, bytes: [0x20, 0x03, 0x00, 0x86, 0x00],
            packet: .connack(.init(reasonCode: .badUserNameOrPassword))
        ),
        Vector(
            name: "PUBLISH QoS 0", version: .v311,
            bytes: [0x30, 0x07, 0x00, 0x03] + ascii("a/b") + ascii("hi"),
            packet: .publish(.init(topic: "a/b", payload: buffer("hi")))
        ),
        Vector(
            name: "PUBLISH QoS 1 dup", version: .v311,
            bytes: [0x3A, 0x09, 0x00, 0x03] + ascii("a/b") + [0x00, 0x0A] + ascii("hi"),
            packet: .publish(.init(topic: "a/b", payload: buffer("hi"), qos: .atLeastOnce, dup: true, packetID: 10))
        ),
        Vector(
            name: "PUBLISH QoS 0", version: .v5,
            bytes: [0x30, 0x08, 0x00, 0x03] + ascii("a/b") + [0x00] + ascii("hi"),
            packet: .publish(.init(topic: "a/b", payload: buffer("hi")))
        ),
        Vector(
            name: "PUBLISH QoS 1 retain", version: .v5,
            bytes: [0x33, 0x0A, 0x00, 0x03] + ascii("a/b") + [0x00, 0x0A, 0x00] + ascii("hi"),
            packet: .publish(.init(topic: "a/b", payload: buffer("hi"), qos: .atLeastOnce, retain: true, packetID: 10))
        ),
        // QoS 2, a content type and a user property.
        Vector(
            name: "PUBLISH QoS 2 properties", version: .v5,
            bytes: [0x34, 0x13, 0x00, 0x01] + ascii("t") + [0x12, 0x34, 0x0B, 0x03, 0x00, 0x01] + ascii("j")
                + [0x26, 0x00, 0x01] + ascii("k") + [0x00, 0x01] + ascii("v") + [0x01, 0x02],
            packet: .publish(
                .init(
                    topic: "t", payload: buffer([0x01, 0x02]), qos: .exactlyOnce, packetID: 0x1234,
                    properties: [.contentType("j"), .userProperty(name: "k", value: "v")]
                )
            )
        ),
        Vector(
            name: "PUBACK", version: .v311, bytes: [0x40, 0x02, 0x00, 0x0A],
            packet: .puback(.init(packetID: 10))
        ),
        // MQTT 5 section 3.4.2.1: reason code and property length omitted for success without properties.
        Vector(
            name: "PUBACK success", version: .v5, bytes: [0x40, 0x02, 0x00, 0x0A],
            packet: .puback(.init(packetID: 10))
        ),
        Vector(
            name: "PUBACK no matching subscribers", version: .v5, bytes: [0x40, 0x03, 0x00, 0x0A, 0x10],
            packet: .puback(.init(packetID: 10, reasonCode: .noMatchingSubscribers))
        ),
        Vector(
            name: "PUBACK reason string", version: .v5,
            bytes: [0x40, 0x08, 0x00, 0x0A, 0x87, 0x04, 0x1F, 0x00, 0x01] + ascii("x"),
            packet: .puback(.init(packetID: 10, reasonCode: .notAuthorized, properties: [.reasonString("x")]))
        ),
        Vector(name: "PUBREC", version: .v311, bytes: [0x50, 0x02, 0x00, 0x01], packet: .pubrec(.init(packetID: 1))),
        Vector(name: "PUBREL", version: .v311, bytes: [0x62, 0x02, 0x00, 0x01], packet: .pubrel(.init(packetID: 1))),
        Vector(
            name: "PUBREL not found", version: .v5, bytes: [0x62, 0x03, 0x00, 0x01, 0x92],
            packet: .pubrel(.init(packetID: 1, reasonCode: .packetIdentifierNotFound))
        ),
        Vector(name: "PUBCOMP", version: .v5, bytes: [0x70, 0x02, 0x00, 0x01], packet: .pubcomp(.init(packetID: 1))),
        Vector(
            name: "SUBSCRIBE", version: .v311,
            bytes: [0x82, 0x08, 0x00, 0x01, 0x00, 0x03] + ascii("a/+") + [0x01],
            packet: .subscribe(.init(packetID: 1, subscriptions: [.init(topicFilter: "a/+", qos: .atLeastOnce)]))
        ),
        // Options 0010 1101: retain handling 2, retain as published, no local, QoS 1.
        Vector(
            name: "SUBSCRIBE options", version: .v5,
            bytes: [0x82, 0x09, 0x00, 0x01, 0x00, 0x00, 0x03] + ascii("a/#") + [0x2D],
            packet: .subscribe(
                .init(
                    packetID: 1,
                    subscriptions: [
                        .init(topicFilter: "a/#", qos: .atLeastOnce, noLocal: true, retainAsPublished: true, retainHandling: .doNotSend)
                    ]
                )
            )
        ),
        Vector(
            name: "SUBSCRIBE subscription identifier", version: .v5,
            bytes: [0x82, 0x0A, 0x00, 0x02, 0x03, 0x0B, 0x80, 0x01, 0x00, 0x01] + ascii("#") + [0x00],
            packet: .subscribe(
                .init(packetID: 2, subscriptions: [.init(topicFilter: "#", qos: .atMostOnce)], properties: [.subscriptionIdentifier(128)])
            )
        ),
        Vector(
            name: "SUBACK", version: .v311, bytes: [0x90, 0x04, 0x00, 0x01, 0x01, 0x80],
            packet: .suback(.init(packetID: 1, reasonCodes: [.grantedQoS1, .unspecifiedError]))
        ),
        Vector(
            name: "SUBACK", version: .v5, bytes: [0x90, 0x05, 0x00, 0x01, 0x00, 0x02, 0x87],
            packet: .suback(.init(packetID: 1, reasonCodes: [.grantedQoS2, .notAuthorized]))
        ),
        Vector(
            name: "UNSUBSCRIBE", version: .v311, bytes: [0xA2, 0x05, 0x00, 0x02, 0x00, 0x01] + ascii("a"),
            packet: .unsubscribe(.init(packetID: 2, topicFilters: ["a"]))
        ),
        Vector(name: "UNSUBACK", version: .v311, bytes: [0xB0, 0x02, 0x00, 0x02], packet: .unsuback(.init(packetID: 2))),
        Vector(
            name: "UNSUBACK", version: .v5, bytes: [0xB0, 0x04, 0x00, 0x02, 0x00, 0x11],
            packet: .unsuback(.init(packetID: 2, reasonCodes: [.noSubscriptionExisted]))
        ),
        Vector(name: "PINGREQ", version: .v311, bytes: [0xC0, 0x00], packet: .pingreq),
        Vector(name: "PINGREQ", version: .v5, bytes: [0xC0, 0x00], packet: .pingreq),
        Vector(name: "PINGRESP", version: .v5, bytes: [0xD0, 0x00], packet: .pingresp),
        Vector(name: "DISCONNECT", version: .v311, bytes: [0xE0, 0x00], packet: .disconnect(.init())),
        // MQTT 5 section 3.14.2.1: remaining length 0 means normal disconnection.
        Vector(name: "DISCONNECT normal", version: .v5, bytes: [0xE0, 0x00], packet: .disconnect(.init())),
        Vector(
            name: "DISCONNECT server shutting down", version: .v5, bytes: [0xE0, 0x01, 0x8B],
            packet: .disconnect(.init(reasonCode: .serverShuttingDown))
        ),
        Vector(
            name: "DISCONNECT session expiry", version: .v5, bytes: [0xE0, 0x07, 0x00, 0x05, 0x11, 0x00, 0x00, 0x00, 0x00],
            packet: .disconnect(.init(properties: [.sessionExpiryInterval(0)]))
        ),
        Vector(name: "AUTH success", version: .v5, bytes: [0xF0, 0x00], packet: .auth(.init())),
        Vector(
            name: "AUTH continue", version: .v5,
            bytes: [0xF0, 0x07, 0x18, 0x05, 0x15, 0x00, 0x02] + ascii("SC"),
            packet: .auth(.init(reasonCode: .continueAuthentication, properties: [.authenticationMethod("SC")]))
        ),
    ]

    @Test(arguments: vectors)
    func decodes(_ vector: Vector) throws {
        #expect(try decodedAll(vector.bytes, vector.version) == [vector.packet])
    }

    @Test(arguments: vectors)
    func encodes(_ vector: Vector) throws {
        #expect(try encoded(vector.packet, vector.version) == vector.bytes)
        #expect(try MQTTPacketEncoder.encodedSize(of: vector.packet, version: vector.version) == vector.bytes.count)
    }

    /// MQTT 5 section 3.4.2.2: a reason code with a property length of 0 is the same PUBACK
    /// as a reason code alone.
    @Test func pubackWithEmptyPropertyLength() throws {
        let packets = try decodedAll([0x40, 0x04, 0x00, 0x0A, 0x10, 0x00], .v5)
        #expect(packets == [.puback(.init(packetID: 10, reasonCode: .noMatchingSubscribers))])
    }

    /// A broker without MQTT 5 answers a level-5 CONNECT with a 3.1.1 CONNACK, return code 1.
    @Test func connackFromABrokerWithoutMQTT5() throws {
        let packets = try decodedAll([0x20, 0x02, 0x00, 0x01], .v5)
        #expect(packets == [.connack(.init(reasonCode: .unsupportedProtocolVersion))])
        #expect(throws: MQTTProtocolError.truncated(.connack)) { try decodedAll([0x20, 0x02, 0x00, 0x00], .v5) }
    }

    /// A CONNECT sets the decoder's version, so the packets after it decode in that version.
    @Test func connectSetsTheDecoderVersion() throws {
        let connect = try encoded(.connect(.init(version: .v311, clientID: "a")), .v311)
        var decoder = MQTTPacketDecoder(version: .v5)
        var input = buffer(connect + [0x40, 0x02, 0x00, 0x01])
        _ = try decoder.decode(buffer: &input)
        #expect(decoder.version == .v311)
        #expect(try decoder.decode(buffer: &input) == .puback(.init(packetID: 1)))
    }

    /// The payload is a slice of the received bytes, not a copy.
    @Test func payloadIsASlice() throws {
        var decoder = MQTTPacketDecoder(version: .v311)
        var input = buffer([0x30, 0x07, 0x00, 0x03] + ascii("a/b") + ascii("hi"))
        let storage = input.withUnsafeReadableBytes { UInt(bitPattern: $0.baseAddress) }
        guard case .publish(let publish) = try decoder.decode(buffer: &input) else {
            Issue.record("not a PUBLISH")
            return
        }
        let payloadAddress = publish.payload.withUnsafeReadableBytes { UInt(bitPattern: $0.baseAddress) }
        #expect(payloadAddress == storage + 7)
    }
}
