import NIOCore

/// Where an encoder puts bytes. The encoder runs each packet through a `SizeCounter`
/// first and a `ByteBuffer` second, so the size it announces and the bytes it writes come
/// from the same code, and every check fails before a byte is written.
protocol PacketWriter {
    mutating func putByte(_ value: UInt8)
    mutating func putUInt16(_ value: UInt16)
    mutating func putUInt32(_ value: UInt32)
    /// `value` is at most `VariableByteInteger.maximum`.
    mutating func putVariableByteInteger(_ value: UInt32)
    mutating func putBuffer(_ bytes: ByteBuffer)
    mutating func putUTF8(_ string: String)
}

/// Counts bytes instead of writing them.
struct SizeCounter: PacketWriter {
    var size = 0

    mutating func putByte(_ value: UInt8) { size += 1 }
    mutating func putUInt16(_ value: UInt16) { size += 2 }
    mutating func putUInt32(_ value: UInt32) { size += 4 }
    mutating func putVariableByteInteger(_ value: UInt32) { size += VariableByteInteger.encodedLength(value) }
    mutating func putBuffer(_ bytes: ByteBuffer) { size += bytes.readableBytes }
    mutating func putUTF8(_ string: String) { size += string.utf8.count }
}

extension ByteBuffer: PacketWriter {
    mutating func putByte(_ value: UInt8) { writeInteger(value) }
    mutating func putUInt16(_ value: UInt16) { writeInteger(value) }
    mutating func putUInt32(_ value: UInt32) { writeInteger(value) }
    mutating func putVariableByteInteger(_ value: UInt32) {
        var rest = value
        repeat {
            var byte = UInt8(rest & 0x7F)
            rest >>= 7
            if rest > 0 { byte |= 0x80 }
            writeInteger(byte)
        } while rest > 0
    }
    mutating func putBuffer(_ bytes: ByteBuffer) { writeImmutableBuffer(bytes) }
    mutating func putUTF8(_ string: String) { writeString(string) }
}

extension PacketWriter {
    /// A two-byte length and the UTF-8 bytes of a string that is valid in MQTT.
    mutating func putString(_ string: String) throws(MQTTProtocolError) {
        let count = string.utf8.count
        guard count <= Int(UInt16.max) else { throw .valueTooLong(length: count, maximum: Int(UInt16.max)) }
        // Over the contiguous bytes when the string has them (a tight loop, not UTF8View
        // iteration: this check ran for every string of every PUBLISH, twice).
        let hasNull = string.utf8.withContiguousStorageIfAvailable { $0.contains(0) } ?? string.utf8.contains(0)
        guard !hasNull else { throw .nullCharacter }
        putUInt16(UInt16(count))
        putUTF8(string)
    }

    /// A two-byte length and the bytes.
    mutating func putBinary(_ bytes: ByteBuffer) throws(MQTTProtocolError) {
        let count = bytes.readableBytes
        guard count <= Int(UInt16.max) else { throw .valueTooLong(length: count, maximum: Int(UInt16.max)) }
        putUInt16(UInt16(count))
        putBuffer(bytes)
    }

    mutating func putCheckedVariableByteInteger(_ value: UInt32) throws(MQTTProtocolError) {
        guard value <= VariableByteInteger.maximum else {
            throw .valueTooLong(length: Int(value), maximum: Int(VariableByteInteger.maximum))
        }
        putVariableByteInteger(value)
    }

    /// The property length and the properties, each checked against `scope`.
    mutating func putProperties(_ properties: MQTTProperties, scope: MQTTPropertyScope) throws(MQTTProtocolError) {
        var counter = SizeCounter()
        try counter.putPropertyList(properties, scope: scope)
        try putCheckedVariableByteInteger(UInt32(clamping: counter.size))
        try putPropertyList(properties, scope: scope)
    }

    private mutating func putPropertyList(_ properties: MQTTProperties, scope: MQTTPropertyScope) throws(MQTTProtocolError) {
        var seen = PropertySet()
        for property in properties {
            let id = property.identifier
            try seen.insert(id, scope: scope)
            try property.validate()
            putVariableByteInteger(UInt32(id.rawValue))
            switch property {
            case .payloadFormatIndicator(let v): putByte(v.rawValue)
            case .messageExpiryInterval(let v), .sessionExpiryInterval(let v), .willDelayInterval(let v),
                .maximumPacketSize(let v):
                putUInt32(v)
            case .contentType(let v), .responseTopic(let v), .assignedClientIdentifier(let v),
                .authenticationMethod(let v), .responseInformation(let v), .serverReference(let v),
                .reasonString(let v):
                try putString(v)
            case .correlationData(let v), .authenticationData(let v): try putBinary(v)
            case .subscriptionIdentifier(let v): try putCheckedVariableByteInteger(v)
            case .serverKeepAlive(let v), .receiveMaximum(let v), .topicAliasMaximum(let v), .topicAlias(let v):
                putUInt16(v)
            case .requestProblemInformation(let v), .requestResponseInformation(let v), .retainAvailable(let v),
                .wildcardSubscriptionAvailable(let v), .subscriptionIdentifiersAvailable(let v),
                .sharedSubscriptionAvailable(let v):
                putByte(v ? 1 : 0)
            case .maximumQoS(let v): putByte(v.rawValue)
            case .userProperty(let name, let value):
                try putString(name)
                try putString(value)
            }
        }
    }
}

/// The identifiers met so far in one property list, to refuse a second occurrence of one
/// that may appear only once, and any that the scope does not allow.
struct PropertySet {
    private var bits: UInt64 = 0

    mutating func insert(_ id: MQTTPropertyIdentifier, scope: MQTTPropertyScope) throws(MQTTProtocolError) {
        guard id.isAllowed(in: scope) else { throw .propertyNotAllowed(id, scope) }
        let bit: UInt64 = 1 << UInt64(id.rawValue)
        if bits & bit != 0 && !id.isRepeatable(in: scope) { throw .duplicateProperty(id) }
        bits |= bit
    }
}

extension MQTTProperty {
    /// Checks the value ranges the specification sets beyond the wire type.
    func validate() throws(MQTTProtocolError) {
        switch self {
        case .subscriptionIdentifier(let value) where value == 0 || value > VariableByteInteger.maximum:
            throw .invalidPropertyValue(identifier)
        case .receiveMaximum(0), .topicAlias(0), .maximumPacketSize(0), .maximumQoS(.exactlyOnce):
            throw .invalidPropertyValue(identifier)
        case .responseTopic(let topic):
            guard Topic.isValidName(topic) else { throw .invalidPropertyValue(identifier) }
        default:
            break
        }
    }
}
