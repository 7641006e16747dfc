import MQTTProtocol
import NIOCore

/// Random valid packets, for round-trip properties and as seeds for the fuzz test.
struct RandomPackets {
    var rng: SplitMix64

    init(seed: UInt64) { rng = SplitMix64(seed: seed) }

    private mutating func bool() -> Bool { rng.next() & 1 == 0 }
    private mutating func pick<T>(_ values: [T]) -> T { values[rng.below(values.count)] }
    private mutating func u16() -> UInt16 { UInt16(truncatingIfNeeded: rng.next()) }
    private mutating func u32() -> UInt32 { UInt32(truncatingIfNeeded: rng.next()) }
    private mutating func packetID() -> UInt16 { UInt16(1 + rng.below(65535)) }
    private mutating func qos() -> QoS { pick(QoS.allCases) }

    private mutating func string(max: Int = 12) -> String {
        let pieces = ["a", "b", "z", "/", "-", "ü", "€", "😀", " ", "$", "A", "0"]
        return (0..<rng.below(max + 1)).map { _ in pick(pieces) }.joined()
    }

    private mutating func topic() -> String {
        (0...rng.below(4)).map { _ in pick(["a", "b", "ü", "plant", "", "x-1"]) }.joined(separator: "/")
            .replacingEmpty(with: "t")
    }

    private mutating func filter() -> String {
        var levels = (0...rng.below(4)).map { _ in pick(["a", "+", "ü", "", "batch"]) }
        if bool() { levels.append("#") }
        let plain = levels.joined(separator: "/").replacingEmpty(with: "#")
        return rng.below(5) == 0 ? "$share/g\(rng.below(9))/" + plain : plain
    }

    private mutating func bytes(max: Int = 16) -> ByteBuffer {
        ByteBuffer(bytes: (0..<rng.below(max + 1)).map { _ in rng.byte() })
    }

    private mutating func code(for type: MQTTPacketType) -> MQTTReasonCode {
        pick((0...255).map { MQTTReasonCode(rawValue: UInt8($0)) }.filter { $0.isDefined(for: type) })
    }

    /// Any mix of the properties the scope allows, repeatable ones repeated.
    mutating func properties(_ scope: MQTTPropertyScope) -> MQTTProperties {
        var result = MQTTProperties()
        for id in MQTTPropertyIdentifier.allCases where id.isAllowed(in: scope) && rng.below(3) == 0 {
            let count = id.isRepeatable(in: scope) ? 1 + rng.below(3) : 1
            for _ in 0..<count { result.append(value(id)) }
        }
        var shuffled = Array(result)
        shuffled.shuffle(using: &rng)
        return MQTTProperties(shuffled)
    }

    private mutating func value(_ id: MQTTPropertyIdentifier) -> MQTTProperty {
        switch id {
        case .payloadFormatIndicator: .payloadFormatIndicator(bool() ? .utf8 : .unspecified)
        case .messageExpiryInterval: .messageExpiryInterval(u32())
        case .contentType: .contentType(string())
        case .responseTopic: .responseTopic(topic())
        case .correlationData: .correlationData(bytes())
        case .subscriptionIdentifier: .subscriptionIdentifier(UInt32(1 + rng.below(268_435_455)))
        case .sessionExpiryInterval: .sessionExpiryInterval(u32())
        case .assignedClientIdentifier: .assignedClientIdentifier(string())
        case .serverKeepAlive: .serverKeepAlive(u16())
        case .authenticationMethod: .authenticationMethod(string())
        case .authenticationData: .authenticationData(bytes())
        case .requestProblemInformation: .requestProblemInformation(bool())
        case .willDelayInterval: .willDelayInterval(u32())
        case .requestResponseInformation: .requestResponseInformation(bool())
        case .responseInformation: .responseInformation(string())
        case .serverReference: .serverReference(string())
        case .reasonString: .reasonString(string(max: 40))
        case .receiveMaximum: .receiveMaximum(UInt16(1 + rng.below(65535)))
        case .topicAliasMaximum: .topicAliasMaximum(u16())
        case .topicAlias: .topicAlias(UInt16(1 + rng.below(65535)))
        case .maximumQoS: .maximumQoS(bool() ? .atMostOnce : .atLeastOnce)
        case .retainAvailable: .retainAvailable(bool())
        case .userProperty: .userProperty(name: string(), value: string())
        case .maximumPacketSize: .maximumPacketSize(UInt32(1 + rng.below(Int(UInt32.max))))
        case .wildcardSubscriptionAvailable: .wildcardSubscriptionAvailable(bool())
        case .subscriptionIdentifiersAvailable: .subscriptionIdentifiersAvailable(bool())
        case .sharedSubscriptionAvailable: .sharedSubscriptionAvailable(bool())
        }
    }

    private mutating func props(_ version: MQTTVersion, _ type: MQTTPacketType) -> MQTTProperties {
        version == .v5 ? properties(.packet(type)) : []
    }

    /// A valid packet of a random type for `version`.
    mutating func packet(_ version: MQTTVersion) -> MQTTPacket {
        let types = MQTTPacketType.allCases.filter { version == .v5 || $0 != .auth }
        let v5 = version == .v5
        switch pick(types) {
        case .connect:
            let hasUser = bool()
            let will: MQTTPacket.Will? =
                bool()
                ? .init(topic: topic(), payload: bytes(), qos: qos(), retain: bool(), properties: v5 ? properties(.will) : [])
                : nil
            return .connect(
                .init(
                    version: version, clientID: string(max: 23), cleanStart: bool(), keepAlive: u16(),
                    username: hasUser ? string() : nil,
                    password: (hasUser || v5) && bool() ? bytes() : nil,
                    will: will, properties: props(version, .connect)
                )
            )
        case .connack:
            let code = v5 ? code(for: .connack) : pick([.success, .unsupportedProtocolVersion, .notAuthorized, .serverUnavailable])
            return .connack(.init(sessionPresent: bool(), reasonCode: code, properties: props(version, .connack)))
        case .publish:
            let qos = qos()
            var properties = props(version, .publish)
            var topic = topic()
            if v5 && rng.below(4) == 0 {
                topic = ""
                if properties.topicAlias == nil { properties.append(.topicAlias(UInt16(1 + rng.below(100)))) }
            }
            return .publish(
                .init(
                    topic: topic, payload: bytes(max: 200), qos: qos, retain: bool(), dup: qos != .atMostOnce && bool(),
                    packetID: qos == .atMostOnce ? nil : packetID(), properties: properties
                )
            )
        case .puback: return .puback(ack(version, .puback))
        case .pubrec: return .pubrec(ack(version, .pubrec))
        case .pubrel: return .pubrel(ack(version, .pubrel))
        case .pubcomp: return .pubcomp(ack(version, .pubcomp))
        case .subscribe:
            let subscriptions = (0...rng.below(4)).map { _ in
                let filter = filter()
                return MQTTPacket.Subscription(
                    topicFilter: filter, qos: qos(),
                    noLocal: v5 && !filter.hasPrefix("$share/") && bool(),
                    retainAsPublished: v5 && bool(),
                    retainHandling: v5 ? pick(MQTTPacket.RetainHandling.allCases) : .sendOnSubscribe
                )
            }
            return .subscribe(.init(packetID: packetID(), subscriptions: subscriptions, properties: props(version, .subscribe)))
        case .suback:
            let codes = (0...rng.below(4)).map { _ in
                v5 ? code(for: .suback) : pick([.grantedQoS0, .grantedQoS1, .grantedQoS2, .unspecifiedError])
            }
            return .suback(.init(packetID: packetID(), reasonCodes: codes, properties: props(version, .suback)))
        case .unsubscribe:
            let filters = (0...rng.below(4)).map { _ in filter() }
            return .unsubscribe(.init(packetID: packetID(), topicFilters: filters, properties: props(version, .unsubscribe)))
        case .unsuback:
            guard v5 else { return .unsuback(.init(packetID: packetID())) }
            let codes = (0...rng.below(4)).map { _ in code(for: .unsuback) }
            return .unsuback(.init(packetID: packetID(), reasonCodes: codes, properties: props(version, .unsuback)))
        case .pingreq: return .pingreq
        case .pingresp: return .pingresp
        case .disconnect:
            return .disconnect(.init(reasonCode: v5 ? code(for: .disconnect) : .success, properties: props(version, .disconnect)))
        case .auth:
            return .auth(.init(reasonCode: code(for: .auth), properties: props(version, .auth)))
        }
    }

    private mutating func ack(_ version: MQTTVersion, _ type: MQTTPacketType) -> MQTTPacket.PublishAck {
        guard version == .v5 else { return .init(packetID: packetID()) }
        return .init(packetID: packetID(), reasonCode: bool() ? .success : code(for: type), properties: bool() ? [] : properties(.packet(type)))
    }
}

extension String {
    fileprivate func replacingEmpty(with replacement: String) -> String { isEmpty ? replacement : self }
}
