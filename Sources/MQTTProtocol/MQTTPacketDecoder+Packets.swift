import NIOCore

extension MQTTPacketDecoder {
    /// Parses a body whose fixed header has been checked.
    static func parse(
        _ type: MQTTPacketType,
        flags: UInt8,
        reader: inout PacketReader,
        version: MQTTVersion
    ) throws(MQTTProtocolError) -> MQTTPacket {
        switch type {
        case .connect: return .connect(try parseConnect(&reader))
        case .connack: return .connack(try parseConnack(&reader, version: version))
        case .publish: return .publish(try parsePublish(&reader, flags: flags, version: version))
        case .puback: return .puback(try parsePublishAck(&reader, version: version))
        case .pubrec: return .pubrec(try parsePublishAck(&reader, version: version))
        case .pubrel: return .pubrel(try parsePublishAck(&reader, version: version))
        case .pubcomp: return .pubcomp(try parsePublishAck(&reader, version: version))
        case .subscribe: return .subscribe(try parseSubscribe(&reader, version: version))
        case .suback: return .suback(try parseSuback(&reader, version: version))
        case .unsubscribe: return .unsubscribe(try parseUnsubscribe(&reader, version: version))
        case .unsuback: return .unsuback(try parseUnsuback(&reader, version: version))
        case .pingreq: return .pingreq
        case .pingresp: return .pingresp
        case .disconnect:
            let (code, properties) = try parseReasonAndProperties(&reader, version: version)
            return .disconnect(.init(reasonCode: code, properties: properties))
        case .auth:
            let (code, properties) = try parseReasonAndProperties(&reader, version: version)
            return .auth(.init(reasonCode: code, properties: properties))
        }
    }

    private static func parseConnect(_ reader: inout PacketReader) throws(MQTTProtocolError) -> MQTTPacket.Connect {
        let name = try reader.readString()
        guard name == "MQTT" else { throw .invalidProtocolName(name) }
        let level = try reader.readByte()
        guard let version = MQTTVersion(rawValue: level) else { throw .unsupportedProtocolLevel(level) }
        let flags = try reader.readByte()
        let hasUsername = flags & 0x80 != 0
        let hasPassword = flags & 0x40 != 0
        let willRetain = flags & 0x20 != 0
        let willQoSBits = (flags >> 3) & 0b11
        let hasWill = flags & 0x04 != 0
        guard flags & 0x01 == 0,  // reserved [MQTT-3.1.2-3]
            hasWill || (willQoSBits == 0 && !willRetain),  // [MQTT-3.1.2-11], [MQTT-3.1.2-13]
            version == .v5 || hasUsername || !hasPassword  // 3.1.1: no password without user [MQTT-3.1.2-22]
        else { throw .invalidConnectFlags(flags) }
        guard let willQoS = QoS(rawValue: willQoSBits) else { throw .invalidQoS(willQoSBits) }
        let keepAlive = try reader.readUInt16()
        let properties = version == .v5 ? try reader.readProperties(scope: .packet(.connect)) : []
        let clientID = try reader.readString()
        var will: MQTTPacket.Will? = nil
        if hasWill {
            let willProperties = version == .v5 ? try reader.readProperties(scope: .will) : []
            let topic = try reader.readString()
            guard Topic.isValidName(topic) else { throw .invalidTopicName(topic) }
            let payload = try reader.readBinary()
            will = .init(topic: topic, payload: payload, qos: willQoS, retain: willRetain, properties: willProperties)
        }
        let username = hasUsername ? try reader.readString() : nil
        let password = hasPassword ? try reader.readBinary() : nil
        return .init(
            version: version,
            clientID: clientID,
            cleanStart: flags & 0x02 != 0,
            keepAlive: keepAlive,
            username: username,
            password: password,
            will: will,
            properties: properties
        )
    }

    private static func parseConnack(
        _ reader: inout PacketReader,
        version: MQTTVersion
    ) throws(MQTTProtocolError) -> MQTTPacket.Connack {
        let flags = try reader.readByte()
        guard flags & 0xFE == 0 else { throw .invalidConnackFlags(flags) }
        let raw = try reader.readByte()
        // A broker without MQTT 5 answers a level-5 CONNECT with a 3.1.1 CONNACK, return
        // code 1 (MQTT 5 section 3.1.2.2): read it as the failure it is, so that the
        // connection can fall back to 3.1.1.
        if version == .v5, reader.remaining == 0, raw != 0, let code = MQTTReasonCode(connackReturnCode: raw) {
            return .init(sessionPresent: flags == 1, reasonCode: code)
        }
        switch version {
        case .v311:
            guard let code = MQTTReasonCode(connackReturnCode: raw) else { throw .invalidReasonCode(.connack, raw) }
            return .init(sessionPresent: flags == 1, reasonCode: code)
        case .v5:
            let code = try reasonCode(raw, for: .connack)
            let properties = try reader.readProperties(scope: .packet(.connack))
            return .init(sessionPresent: flags == 1, reasonCode: code, properties: properties)
        }
    }

    private static func parsePublish(
        _ reader: inout PacketReader,
        flags: UInt8,
        version: MQTTVersion
    ) throws(MQTTProtocolError) -> MQTTPacket.Publish {
        let qos = QoS(rawValue: (flags >> 1) & 0b11)!  // 3 was refused with the fixed header
        let topic = try reader.readString()
        let packetID = qos == .atMostOnce ? nil : try reader.readPacketID()
        let properties = version == .v5 ? try reader.readProperties(scope: .packet(.publish)) : []
        // An empty topic is allowed only with a topic alias (MQTT 5 section 3.3.2.3.4).
        guard Topic.isValidName(topic) || (topic.isEmpty && properties.topicAlias != nil) else {
            throw .invalidTopicName(topic)
        }
        return .init(
            topic: topic,
            payload: reader.readRest(),
            qos: qos,
            retain: flags & 0b0001 != 0,
            dup: flags & 0b1000 != 0,
            packetID: packetID,
            properties: properties
        )
    }

    private static func parsePublishAck(
        _ reader: inout PacketReader,
        version: MQTTVersion
    ) throws(MQTTProtocolError) -> MQTTPacket.PublishAck {
        let packetID = try reader.readPacketID()
        guard version == .v5, reader.remaining > 0 else { return .init(packetID: packetID) }
        let code = try reasonCode(try reader.readByte(), for: reader.type)
        // No property length when the remaining length is 3 (MQTT 5 section 3.4.2.2).
        let properties = reader.remaining > 0 ? try reader.readProperties(scope: .packet(reader.type)) : []
        return .init(packetID: packetID, reasonCode: code, properties: properties)
    }

    private static func parseSubscribe(
        _ reader: inout PacketReader,
        version: MQTTVersion
    ) throws(MQTTProtocolError) -> MQTTPacket.Subscribe {
        let packetID = try reader.readPacketID()
        let properties = version == .v5 ? try reader.readProperties(scope: .packet(.subscribe)) : []
        var subscriptions: [MQTTPacket.Subscription] = []
        while reader.remaining > 0 {
            let filter = try reader.readString()
            guard Topic.isValidFilter(filter) else { throw .invalidTopicFilter(filter) }
            let options = try reader.readByte()
            let reservedMask: UInt8 = version == .v5 ? 0b1100_0000 : 0b1111_1100
            guard options & reservedMask == 0,
                let retainHandling = MQTTPacket.RetainHandling(rawValue: (options >> 4) & 0b11)
            else { throw .invalidSubscriptionOptions(options) }
            guard let qos = QoS(rawValue: options & 0b11) else { throw .invalidQoS(options & 0b11) }
            // No Local on a shared subscription is a protocol error [MQTT-3.8.3-4].
            guard options & 0b0100 == 0 || !Topic.isShared(filter) else { throw .invalidSubscriptionOptions(options) }
            subscriptions.append(
                .init(
                    topicFilter: filter,
                    qos: qos,
                    noLocal: options & 0b0100 != 0,
                    retainAsPublished: options & 0b1000 != 0,
                    retainHandling: retainHandling
                )
            )
        }
        guard !subscriptions.isEmpty else { throw .emptyPayload(.subscribe) }
        return .init(packetID: packetID, subscriptions: subscriptions, properties: properties)
    }

    private static func parseSuback(
        _ reader: inout PacketReader,
        version: MQTTVersion
    ) throws(MQTTProtocolError) -> MQTTPacket.Suback {
        let packetID = try reader.readPacketID()
        let properties = version == .v5 ? try reader.readProperties(scope: .packet(.suback)) : []
        let codes = try reasonCodeList(&reader, version: version)
        return .init(packetID: packetID, reasonCodes: codes, properties: properties)
    }

    private static func parseUnsubscribe(
        _ reader: inout PacketReader,
        version: MQTTVersion
    ) throws(MQTTProtocolError) -> MQTTPacket.Unsubscribe {
        let packetID = try reader.readPacketID()
        let properties = version == .v5 ? try reader.readProperties(scope: .packet(.unsubscribe)) : []
        var filters: [String] = []
        while reader.remaining > 0 {
            let filter = try reader.readString()
            guard Topic.isValidFilter(filter) else { throw .invalidTopicFilter(filter) }
            filters.append(filter)
        }
        guard !filters.isEmpty else { throw .emptyPayload(.unsubscribe) }
        return .init(packetID: packetID, topicFilters: filters, properties: properties)
    }

    private static func parseUnsuback(
        _ reader: inout PacketReader,
        version: MQTTVersion
    ) throws(MQTTProtocolError) -> MQTTPacket.Unsuback {
        let packetID = try reader.readPacketID()
        guard version == .v5 else { return .init(packetID: packetID) }
        let properties = try reader.readProperties(scope: .packet(.unsuback))
        let codes = try reasonCodeList(&reader, version: version)
        return .init(packetID: packetID, reasonCodes: codes, properties: properties)
    }

    /// DISCONNECT and AUTH: both omitted means success; a lone reason code means no properties.
    private static func parseReasonAndProperties(
        _ reader: inout PacketReader,
        version: MQTTVersion
    ) throws(MQTTProtocolError) -> (MQTTReasonCode, MQTTProperties) {
        guard version == .v5, reader.remaining > 0 else { return (.success, []) }
        let code = try reasonCode(try reader.readByte(), for: reader.type)
        let properties = reader.remaining > 0 ? try reader.readProperties(scope: .packet(reader.type)) : []
        return (code, properties)
    }

    /// SUBACK's and UNSUBACK's payload: at least one code.
    private static func reasonCodeList(
        _ reader: inout PacketReader,
        version: MQTTVersion
    ) throws(MQTTProtocolError) -> [MQTTReasonCode] {
        var codes: [MQTTReasonCode] = []
        codes.reserveCapacity(reader.remaining)
        while reader.remaining > 0 {
            let raw = try reader.readByte()
            if version == .v311 {
                // 3.1.1 SUBACK return codes: 0, 1, 2 or 0x80 (section 3.9.3).
                guard raw <= 2 || raw == 0x80 else { throw .invalidReasonCode(reader.type, raw) }
                codes.append(MQTTReasonCode(rawValue: raw))
            } else {
                codes.append(try reasonCode(raw, for: reader.type))
            }
        }
        guard !codes.isEmpty else { throw .emptyPayload(reader.type) }
        return codes
    }

    private static func reasonCode(_ raw: UInt8, for type: MQTTPacketType) throws(MQTTProtocolError) -> MQTTReasonCode {
        let code = MQTTReasonCode(rawValue: raw)
        guard code.isDefined(for: type) else { throw .invalidReasonCode(type, raw) }
        return code
    }
}
