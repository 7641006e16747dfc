import NIOCore

/// Reads the fields of one packet's body (the bytes the remaining length covers).
/// Running out of bytes is `truncated`: the fixed header promised more than it holds.
struct PacketReader {
    var buffer: ByteBuffer
    let type: MQTTPacketType

    var remaining: Int { buffer.readableBytes }

    mutating func readByte() throws(MQTTProtocolError) -> UInt8 {
        guard let value = buffer.readInteger(as: UInt8.self) else { throw .truncated(type) }
        return value
    }

    mutating func readUInt16() throws(MQTTProtocolError) -> UInt16 {
        guard let value = buffer.readInteger(as: UInt16.self) else { throw .truncated(type) }
        return value
    }

    mutating func readUInt32() throws(MQTTProtocolError) -> UInt32 {
        guard let value = buffer.readInteger(as: UInt32.self) else { throw .truncated(type) }
        return value
    }

    mutating func readVariableByteInteger() throws(MQTTProtocolError) -> UInt32 {
        guard let value = try VariableByteInteger.read(from: &buffer) else { throw .truncated(type) }
        return value
    }

    mutating func readSlice(length: Int) throws(MQTTProtocolError) -> ByteBuffer {
        guard let slice = buffer.readSlice(length: length) else { throw .truncated(type) }
        return slice
    }

    /// Two-byte length, then that many bytes, as a slice of the packet.
    mutating func readBinary() throws(MQTTProtocolError) -> ByteBuffer {
        try readSlice(length: Int(readUInt16()))
    }

    /// Two-byte length, then UTF-8 without U+0000.
    mutating func readString() throws(MQTTProtocolError) -> String {
        let bytes = try readBinary()
        let string: String?? = bytes.withUnsafeReadableBytes { raw in
            raw.contains(0) ? .none : .some(String(validating: raw, as: UTF8.self))
        }
        guard let validated = string else { throw .nullCharacter }
        guard let result = validated else { throw .invalidUTF8 }
        return result
    }

    mutating func readPacketID() throws(MQTTProtocolError) -> UInt16 {
        let id = try readUInt16()
        guard id != 0 else { throw .invalidPacketIdentifier(type) }
        return id
    }

    /// The rest of the body.
    mutating func readRest() -> ByteBuffer {
        buffer.readSlice(length: buffer.readableBytes)!
    }

    func expectEnd() throws(MQTTProtocolError) {
        guard remaining == 0 else { throw .trailingBytes(type, count: remaining) }
    }

    /// A property length and the property list it covers.
    mutating func readProperties(scope: MQTTPropertyScope) throws(MQTTProtocolError) -> MQTTProperties {
        let length = try readVariableByteInteger()
        var list = PacketReader(buffer: try readSlice(length: Int(length)), type: type)
        var properties: [MQTTProperty] = []
        var seen = PropertySet()
        while list.remaining > 0 {
            let raw = try list.readVariableByteInteger()
            guard raw <= UInt8.max, let id = MQTTPropertyIdentifier(rawValue: UInt8(raw)) else {
                throw .unknownProperty(raw)
            }
            try seen.insert(id, scope: scope)
            let property = try list.readPropertyValue(id)
            try property.validate()
            properties.append(property)
        }
        return MQTTProperties(properties)
    }

    private mutating func readPropertyValue(_ id: MQTTPropertyIdentifier) throws(MQTTProtocolError) -> MQTTProperty {
        switch id {
        case .payloadFormatIndicator:
            guard let format = MQTTProperty.PayloadFormat(rawValue: try readByte()) else {
                throw .invalidPropertyValue(id)
            }
            return .payloadFormatIndicator(format)
        case .messageExpiryInterval: return .messageExpiryInterval(try readUInt32())
        case .contentType: return .contentType(try readString())
        case .responseTopic: return .responseTopic(try readString())
        case .correlationData: return .correlationData(try readBinary())
        case .subscriptionIdentifier: return .subscriptionIdentifier(try readVariableByteInteger())
        case .sessionExpiryInterval: return .sessionExpiryInterval(try readUInt32())
        case .assignedClientIdentifier: return .assignedClientIdentifier(try readString())
        case .serverKeepAlive: return .serverKeepAlive(try readUInt16())
        case .authenticationMethod: return .authenticationMethod(try readString())
        case .authenticationData: return .authenticationData(try readBinary())
        case .requestProblemInformation: return .requestProblemInformation(try readBool(id))
        case .willDelayInterval: return .willDelayInterval(try readUInt32())
        case .requestResponseInformation: return .requestResponseInformation(try readBool(id))
        case .responseInformation: return .responseInformation(try readString())
        case .serverReference: return .serverReference(try readString())
        case .reasonString: return .reasonString(try readString())
        case .receiveMaximum: return .receiveMaximum(try readUInt16())
        case .topicAliasMaximum: return .topicAliasMaximum(try readUInt16())
        case .topicAlias: return .topicAlias(try readUInt16())
        case .maximumQoS:
            let raw = try readByte()
            guard let qos = QoS(rawValue: raw) else { throw .invalidPropertyValue(id) }
            return .maximumQoS(qos)
        case .retainAvailable: return .retainAvailable(try readBool(id))
        case .userProperty:
            let name = try readString()
            return .userProperty(name: name, value: try readString())
        case .maximumPacketSize: return .maximumPacketSize(try readUInt32())
        case .wildcardSubscriptionAvailable: return .wildcardSubscriptionAvailable(try readBool(id))
        case .subscriptionIdentifiersAvailable: return .subscriptionIdentifiersAvailable(try readBool(id))
        case .sharedSubscriptionAvailable: return .sharedSubscriptionAvailable(try readBool(id))
        }
    }

    private mutating func readBool(_ id: MQTTPropertyIdentifier) throws(MQTTProtocolError) -> Bool {
        switch try readByte() {
        case 0: return false
        case 1: return true
        default: throw .invalidPropertyValue(id)
        }
    }
}
