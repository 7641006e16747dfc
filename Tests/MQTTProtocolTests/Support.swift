import MQTTProtocol
import NIOCore

/// Test helpers: bytes in and out, and a fixed set of sample packets covering every
/// packet type and every property identifier.
func buffer(_ bytes: [UInt8]) -> ByteBuffer { ByteBuffer(bytes: bytes) }

func buffer(_ string: String) -> ByteBuffer { ByteBuffer(string: string) }

func encoded(_ packet: MQTTPacket, _ version: MQTTVersion) throws -> [UInt8] {
    var out = ByteBuffer()
    try MQTTPacketEncoder.encode(packet, version: version, into: &out)
    return Array(out.readableBytesView)
}

/// Decodes every whole packet in `bytes`; fails if bytes are left over.
func decodedAll(_ bytes: [UInt8], _ version: MQTTVersion) throws -> [MQTTPacket] {
    var decoder = MQTTPacketDecoder(version: version)
    var input = buffer(bytes)
    var packets: [MQTTPacket] = []
    while let packet = try decoder.decode(buffer: &input) { packets.append(packet) }
    guard input.readableBytes == 0 else { throw LeftOver(count: input.readableBytes) }
    return packets
}

struct LeftOver: Error { var count: Int }

/// The ASCII bytes of a string, for writing byte vectors readably.
func ascii(_ string: String) -> [UInt8] { Array(string.utf8) }

enum Samples {
    /// One of each property, for the packets that allow it.
    static let publishProperties: MQTTProperties = [
        .payloadFormatIndicator(.utf8),
        .messageExpiryInterval(3600),
        .contentType("application/json"),
        .responseTopic("reply/here"),
        .correlationData(buffer([0, 1, 2, 255])),
        .subscriptionIdentifier(1),
        .subscriptionIdentifier(268_435_455),
        .topicAlias(7),
        .userProperty(name: "bridge-key", value: "k1"),
        .userProperty(name: "a", value: "1"),
        .userProperty(name: "a", value: "2"),
    ]

    static let willProperties: MQTTProperties = [
        .willDelayInterval(30),
        .payloadFormatIndicator(.unspecified),
        .messageExpiryInterval(60),
        .contentType("text/plain"),
        .responseTopic("will/reply"),
        .correlationData(buffer("corr")),
        .userProperty(name: "will", value: "yes"),
    ]

    static let connectProperties: MQTTProperties = [
        .sessionExpiryInterval(3600),
        .receiveMaximum(512),
        .maximumPacketSize(1_048_576),
        .topicAliasMaximum(10),
        .requestResponseInformation(true),
        .requestProblemInformation(false),
        .authenticationMethod("SCRAM-SHA-256"),
        .authenticationData(buffer("client-first")),
        .userProperty(name: "client", value: "message-bridge"),
    ]

    static let connackProperties: MQTTProperties = [
        .sessionExpiryInterval(7200),
        .receiveMaximum(20),
        .maximumQoS(.atLeastOnce),
        .retainAvailable(true),
        .maximumPacketSize(268_435_460),
        .assignedClientIdentifier("auto-1234"),
        .topicAliasMaximum(65535),
        .reasonString("welcome"),
        .userProperty(name: "broker", value: "mosquitto"),
        .wildcardSubscriptionAvailable(true),
        .subscriptionIdentifiersAvailable(false),
        .sharedSubscriptionAvailable(true),
        .serverKeepAlive(30),
        .responseInformation("resp/"),
        .serverReference("other:1883"),
        .authenticationMethod("SCRAM-SHA-256"),
        .authenticationData(buffer("server-final")),
    ]

    static let ackProperties: MQTTProperties = [
        .reasonString("because"),
        .userProperty(name: "x", value: "y"),
    ]

    /// Every packet type, each in several shapes, valid in `version`.
    static func packets(_ version: MQTTVersion) -> [MQTTPacket] {
        let v5 = version == .v5
        func props(_ p: MQTTProperties) -> MQTTProperties { v5 ? p : [] }
        var packets: [MQTTPacket] = [
            .connect(.init(version: version, clientID: "bridge-1")),
            .connect(.init(version: version, clientID: "", cleanStart: false, keepAlive: 0)),
            .connect(
                .init(
                    version: version,
                    clientID: "plant-bridge-a-route",
                    cleanStart: false,
                    keepAlive: 30,
                    username: "user",
                    password: buffer([0, 1, 2, 0xFF]),
                    will: .init(
                        topic: "bridge/status",
                        payload: buffer("offline"),
                        qos: .atLeastOnce,
                        retain: true,
                        properties: props(willProperties)
                    ),
                    properties: props(connectProperties)
                )
            ),
            .connect(
                .init(
                    version: version,
                    clientID: "ü-client",
                    will: .init(topic: "w", payload: ByteBuffer(), qos: .exactlyOnce)
                )
            ),
            .connack(.init()),
            .connack(.init(sessionPresent: true)),
            .connack(.init(reasonCode: .notAuthorized)),
            .connack(.init(reasonCode: .badUserNameOrPassword)),
            .connack(.init(sessionPresent: true, properties: props(connackProperties))),
            .publish(.init(topic: "a/b", payload: buffer("hello"))),
            .publish(.init(topic: "a", payload: ByteBuffer(), retain: true)),
            .publish(.init(topic: "plant/1/batch/7", payload: buffer([0, 0, 0]), qos: .atLeastOnce, packetID: 1)),
            .publish(
                .init(
                    topic: "x/y/z",
                    payload: buffer(String(repeating: "p", count: 300)),
                    qos: .exactlyOnce,
                    retain: true,
                    dup: true,
                    packetID: 65535,
                    properties: props(publishProperties)
                )
            ),
            .puback(.init(packetID: 1)),
            .pubrec(.init(packetID: 2)),
            .pubrel(.init(packetID: 3)),
            .pubcomp(.init(packetID: 65535)),
            .subscribe(.init(packetID: 10, subscriptions: [.init(topicFilter: "plant/+/batch/#")])),
            .subscribe(
                .init(
                    packetID: 11,
                    subscriptions: [
                        .init(topicFilter: "#", qos: .atMostOnce),
                        .init(topicFilter: "+", qos: .exactlyOnce),
                        .init(topicFilter: "$share/bridges/a/+/c", qos: .atLeastOnce),
                    ]
                )
            ),
            .suback(.init(packetID: 10, reasonCodes: [.grantedQoS1])),
            .suback(.init(packetID: 11, reasonCodes: [.grantedQoS0, .grantedQoS2, .unspecifiedError])),
            .unsubscribe(.init(packetID: 12, topicFilters: ["a/b", "c/#"])),
            .pingreq,
            .pingresp,
            .disconnect(.init()),
        ]
        if v5 {
            packets += [
                .publish(.init(topic: "", payload: buffer("aliased"), qos: .atLeastOnce, packetID: 9, properties: [.topicAlias(3)])),
                .puback(.init(packetID: 4, reasonCode: .noMatchingSubscribers)),
                .puback(.init(packetID: 5, reasonCode: .notAuthorized, properties: ackProperties)),
                .puback(.init(packetID: 6, properties: ackProperties)),
                .pubrec(.init(packetID: 7, reasonCode: .quotaExceeded, properties: ackProperties)),
                .pubrel(.init(packetID: 8, reasonCode: .packetIdentifierNotFound)),
                .pubcomp(.init(packetID: 9, reasonCode: .packetIdentifierNotFound, properties: ackProperties)),
                .subscribe(
                    .init(
                        packetID: 13,
                        subscriptions: [
                            .init(topicFilter: "a/#", qos: .atLeastOnce, noLocal: true, retainAsPublished: true, retainHandling: .doNotSend),
                            .init(topicFilter: "b", qos: .exactlyOnce, retainHandling: .sendOnNewSubscription),
                        ],
                        properties: [.subscriptionIdentifier(42), .userProperty(name: "s", value: "t")]
                    )
                ),
                .suback(.init(packetID: 13, reasonCodes: [.grantedQoS1, .wildcardSubscriptionsNotSupported], properties: ackProperties)),
                .unsubscribe(.init(packetID: 14, topicFilters: ["a"], properties: [.userProperty(name: "u", value: "v")])),
                .unsuback(.init(packetID: 12, reasonCodes: [.success, .noSubscriptionExisted])),
                .unsuback(.init(packetID: 14, reasonCodes: [.notAuthorized], properties: ackProperties)),
                .disconnect(.init(reasonCode: .serverShuttingDown)),
                .disconnect(
                    .init(
                        reasonCode: .useAnotherServer,
                        properties: [.sessionExpiryInterval(0), .serverReference("b:1883")] + ackProperties.elements
                    )
                ),
                .disconnect(.init(properties: [.sessionExpiryInterval(0)])),
                .auth(.init()),
                .auth(.init(reasonCode: .continueAuthentication, properties: [.authenticationMethod("SCRAM-SHA-256"), .authenticationData(buffer("c"))])),
                .auth(.init(reasonCode: .reAuthenticate)),
            ]
        } else {
            packets += [
                .unsuback(.init(packetID: 12)),
                .connack(.init(reasonCode: .unsupportedProtocolVersion)),
                .connack(.init(reasonCode: .clientIdentifierNotValid)),
                .connack(.init(reasonCode: .serverUnavailable)),
            ]
        }
        return packets
    }
}

extension MQTTProperties {
    static func + (lhs: MQTTProperties, rhs: [MQTTProperty]) -> MQTTProperties {
        MQTTProperties(lhs.elements + rhs)
    }
}
