import NIOCore

extension MQTTPacketEncoder {
    /// Writes everything after the remaining length.
    static func writeBody<W: PacketWriter>(
        _ packet: MQTTPacket,
        version: MQTTVersion,
        into writer: inout W
    ) throws(MQTTProtocolError) {
        switch packet {
        case .connect(let connect):
            try writeConnect(connect, version: version, into: &writer)
        case .connack(let connack):
            try writeConnack(connack, version: version, into: &writer)
        case .publish(let publish):
            try writePublish(publish, version: version, into: &writer)
        case .puback(let ack), .pubrec(let ack), .pubrel(let ack), .pubcomp(let ack):
            try writePublishAck(ack, type: packet.type, version: version, into: &writer)
        case .subscribe(let subscribe):
            try writeSubscribe(subscribe, version: version, into: &writer)
        case .suback(let suback):
            try writePacketID(suback.packetID, .suback, into: &writer)
            try writeProperties(suback.properties, .suback, version: version, into: &writer)
            try writeReasonCodeList(suback.reasonCodes, .suback, version: version, into: &writer)
        case .unsubscribe(let unsubscribe):
            try writePacketID(unsubscribe.packetID, .unsubscribe, into: &writer)
            try writeProperties(unsubscribe.properties, .unsubscribe, version: version, into: &writer)
            guard !unsubscribe.topicFilters.isEmpty else { throw .emptyPayload(.unsubscribe) }
            for filter in unsubscribe.topicFilters {
                guard Topic.isValidFilter(filter) else { throw .invalidTopicFilter(filter) }
                try writer.putString(filter)
            }
        case .unsuback(let unsuback):
            try writePacketID(unsuback.packetID, .unsuback, into: &writer)
            if version == .v311 {
                guard unsuback.reasonCodes.isEmpty, unsuback.properties.isEmpty else {
                    throw .notSupported(.v311, .unsuback)
                }
            } else {
                try writeProperties(unsuback.properties, .unsuback, version: version, into: &writer)
                try writeReasonCodeList(unsuback.reasonCodes, .unsuback, version: version, into: &writer)
            }
        case .pingreq, .pingresp:
            break
        case .disconnect(let disconnect):
            try writeReasonAndProperties(
                disconnect.reasonCode, disconnect.properties, .disconnect, version: version, into: &writer)
        case .auth(let auth):
            guard version == .v5 else { throw .notSupported(.v311, .auth) }
            try writeReasonAndProperties(auth.reasonCode, auth.properties, .auth, version: version, into: &writer)
        }
    }

    private static func writeConnect<W: PacketWriter>(
        _ connect: MQTTPacket.Connect,
        version: MQTTVersion,
        into writer: inout W
    ) throws(MQTTProtocolError) {
        guard connect.version == version else { throw .versionMismatch(packet: connect.version, connection: version) }
        var flags: UInt8 = connect.cleanStart ? 0x02 : 0
        if let will = connect.will {
            flags |= 0x04 | will.qos.rawValue << 3 | (will.retain ? 0x20 : 0)
        }
        if connect.password != nil { flags |= 0x40 }
        if connect.username != nil { flags |= 0x80 }
        // 3.1.1 has no password without a user name [MQTT-3.1.2-22].
        guard version == .v5 || connect.username != nil || connect.password == nil else {
            throw .invalidConnectFlags(flags)
        }
        try writer.putString("MQTT")
        writer.putByte(version.rawValue)
        writer.putByte(flags)
        writer.putUInt16(connect.keepAlive)
        try writeProperties(connect.properties, .connect, version: version, into: &writer)
        try writer.putString(connect.clientID)
        if let will = connect.will {
            if version == .v5 {
                try writer.putProperties(will.properties, scope: .will)
            } else if !will.properties.isEmpty {
                throw .notSupported(.v311, .connect)
            }
            guard Topic.isValidName(will.topic) else { throw .invalidTopicName(will.topic) }
            try writer.putString(will.topic)
            try writer.putBinary(will.payload)
        }
        if let username = connect.username { try writer.putString(username) }
        if let password = connect.password { try writer.putBinary(password) }
    }

    private static func writeConnack<W: PacketWriter>(
        _ connack: MQTTPacket.Connack,
        version: MQTTVersion,
        into writer: inout W
    ) throws(MQTTProtocolError) {
        writer.putByte(connack.sessionPresent ? 1 : 0)
        switch version {
        case .v311:
            guard let code = connack.reasonCode.connackReturnCode else {
                throw .invalidReasonCode(.connack, connack.reasonCode.rawValue)
            }
            guard connack.properties.isEmpty else { throw .notSupported(.v311, .connack) }
            writer.putByte(code)
        case .v5:
            try checkDefined(connack.reasonCode, .connack)
            writer.putByte(connack.reasonCode.rawValue)
            try writer.putProperties(connack.properties, scope: .packet(.connack))
        }
    }

    private static func writePublish<W: PacketWriter>(
        _ publish: MQTTPacket.Publish,
        version: MQTTVersion,
        into writer: inout W
    ) throws(MQTTProtocolError) {
        let aliased = version == .v5 && publish.topic.isEmpty && publish.properties.topicAlias != nil
        guard Topic.isValidName(publish.topic) || aliased else { throw .invalidTopicName(publish.topic) }
        try writer.putString(publish.topic)
        switch (publish.qos, publish.packetID) {
        case (.atMostOnce, nil):
            // DUP must be 0 for QoS 0 [MQTT-3.3.1-2].
            guard !publish.dup else { throw .invalidFixedHeaderFlags(.publish, flags: 0b1000) }
        case (.atLeastOnce, let id?), (.exactlyOnce, let id?):
            try writePacketID(id, .publish, into: &writer)
        default:
            throw .invalidPacketIdentifier(.publish)
        }
        try writeProperties(publish.properties, .publish, version: version, into: &writer)
        writer.putBuffer(publish.payload)
    }

    private static func writePublishAck<W: PacketWriter>(
        _ ack: MQTTPacket.PublishAck,
        type: MQTTPacketType,
        version: MQTTVersion,
        into writer: inout W
    ) throws(MQTTProtocolError) {
        try writePacketID(ack.packetID, type, into: &writer)
        try writeReasonAndProperties(ack.reasonCode, ack.properties, type, version: version, into: &writer)
    }

    private static func writeSubscribe<W: PacketWriter>(
        _ subscribe: MQTTPacket.Subscribe,
        version: MQTTVersion,
        into writer: inout W
    ) throws(MQTTProtocolError) {
        try writePacketID(subscribe.packetID, .subscribe, into: &writer)
        try writeProperties(subscribe.properties, .subscribe, version: version, into: &writer)
        guard !subscribe.subscriptions.isEmpty else { throw .emptyPayload(.subscribe) }
        for subscription in subscribe.subscriptions {
            guard Topic.isValidFilter(subscription.topicFilter) else {
                throw .invalidTopicFilter(subscription.topicFilter)
            }
            let options: UInt8 = subscription.qos.rawValue
                | (subscription.noLocal ? 0b0100 : 0)
                | (subscription.retainAsPublished ? 0b1000 : 0)
                | subscription.retainHandling.rawValue << 4
            guard version == .v5 || options <= 0b11,
                !subscription.noLocal || !Topic.isShared(subscription.topicFilter)  // [MQTT-3.8.3-4]
            else { throw .invalidSubscriptionOptions(options) }
            try writer.putString(subscription.topicFilter)
            writer.putByte(options)
        }
    }

    private static func writePacketID<W: PacketWriter>(
        _ id: UInt16,
        _ type: MQTTPacketType,
        into writer: inout W
    ) throws(MQTTProtocolError) {
        guard id != 0 else { throw .invalidPacketIdentifier(type) }
        writer.putUInt16(id)
    }

    /// MQTT 5: the property length and properties. 3.1.1: nothing, and there must be none.
    private static func writeProperties<W: PacketWriter>(
        _ properties: MQTTProperties,
        _ type: MQTTPacketType,
        version: MQTTVersion,
        into writer: inout W
    ) throws(MQTTProtocolError) {
        switch version {
        case .v5: try writer.putProperties(properties, scope: .packet(type))
        case .v311: guard properties.isEmpty else { throw .notSupported(.v311, type) }
        }
    }

    /// PUBACK to PUBCOMP, DISCONNECT and AUTH: MQTT 5 omits both the reason code and the
    /// property length when the code is success and there are no properties; PUBACK to
    /// PUBCOMP and DISCONNECT also omit the property length alone when there are no properties.
    private static func writeReasonAndProperties<W: PacketWriter>(
        _ code: MQTTReasonCode,
        _ properties: MQTTProperties,
        _ type: MQTTPacketType,
        version: MQTTVersion,
        into writer: inout W
    ) throws(MQTTProtocolError) {
        guard version == .v5 else {
            guard code == .success, properties.isEmpty else { throw .notSupported(.v311, type) }
            return
        }
        try checkDefined(code, type)
        guard code != .success || !properties.isEmpty else { return }
        writer.putByte(code.rawValue)
        if !properties.isEmpty || type == .auth {
            try writer.putProperties(properties, scope: .packet(type))
        }
    }

    private static func writeReasonCodeList<W: PacketWriter>(
        _ codes: [MQTTReasonCode],
        _ type: MQTTPacketType,
        version: MQTTVersion,
        into writer: inout W
    ) throws(MQTTProtocolError) {
        guard !codes.isEmpty else { throw .emptyPayload(type) }
        for code in codes {
            if version == .v311 {
                guard code.rawValue <= 2 || code == .unspecifiedError else { throw .invalidReasonCode(type, code.rawValue) }
            } else {
                try checkDefined(code, type)
            }
            writer.putByte(code.rawValue)
        }
    }

    private static func checkDefined(_ code: MQTTReasonCode, _ type: MQTTPacketType) throws(MQTTProtocolError) {
        guard code.isDefined(for: type) else { throw .invalidReasonCode(type, code.rawValue) }
    }
}
