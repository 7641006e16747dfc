/// Why bytes could not be decoded into a packet, or a packet could not be encoded.
///
/// Every malformed input produces one of these; the codec never traps on input.
public enum MQTTProtocolError: Error, Sendable, Hashable {
    /// The whole packet (fixed header included) is larger than the allowed maximum.
    case packetTooLarge(size: Int, maximum: Int)
    /// Packet type 0, or AUTH (15) on an MQTT 3.1.1 connection.
    case invalidPacketType(UInt8)
    /// The low four bits of the fixed header are not what the packet type requires.
    case invalidFixedHeaderFlags(MQTTPacketType, flags: UInt8)
    /// A QoS of 3, or a QoS a field does not allow.
    case invalidQoS(UInt8)
    /// A variable byte integer longer than 4 bytes, or not in its shortest form.
    case invalidVariableByteInteger
    /// The remaining length ends before a field does.
    case truncated(MQTTPacketType)
    /// The remaining length goes past the last field.
    case trailingBytes(MQTTPacketType, count: Int)
    /// A UTF-8 string field that is not valid UTF-8 (MQTT 5 section 1.5.4).
    case invalidUTF8
    /// A UTF-8 string field containing U+0000 (MQTT 5 section 1.5.4).
    case nullCharacter
    /// A topic name that is empty where it may not be, or contains `+` or `#`.
    case invalidTopicName(String)
    /// A topic filter that is empty or uses a wildcard in a place it may not.
    case invalidTopicFilter(String)
    /// A packet identifier that is 0 or missing where one is required, or present where none is allowed.
    case invalidPacketIdentifier(MQTTPacketType)
    /// SUBSCRIBE, SUBACK, UNSUBSCRIBE or (MQTT 5) UNSUBACK without a single entry.
    case emptyPayload(MQTTPacketType)
    /// CONNECT whose protocol name is not "MQTT".
    case invalidProtocolName(String)
    /// CONNECT with a protocol level other than 4 or 5.
    case unsupportedProtocolLevel(UInt8)
    /// CONNECT flags with the reserved bit set or an inconsistent will/password combination.
    case invalidConnectFlags(UInt8)
    /// CONNACK acknowledge flags with a reserved bit set.
    case invalidConnackFlags(UInt8)
    /// SUBSCRIBE options with a reserved bit set or retain handling 3.
    case invalidSubscriptionOptions(UInt8)
    /// A reason code the packet type does not define.
    case invalidReasonCode(MQTTPacketType, UInt8)
    /// A property identifier MQTT 5 does not define.
    case unknownProperty(UInt32)
    /// A property that the packet (or will) may not carry.
    case propertyNotAllowed(MQTTPropertyIdentifier, MQTTPropertyScope)
    /// A property that may appear once appears more than once.
    case duplicateProperty(MQTTPropertyIdentifier)
    /// A property value outside its allowed range (for example receive maximum 0).
    case invalidPropertyValue(MQTTPropertyIdentifier)
    /// A string or binary field longer than its two-byte length prefix allows,
    /// or a variable byte integer value above 268,435,455.
    case valueTooLong(length: Int, maximum: Int)
    /// A feature the connection's MQTT version does not have (properties or reason codes in 3.1.1).
    case notSupported(MQTTVersion, MQTTPacketType)
    /// A CONNECT whose own version differs from the version it is encoded for.
    case versionMismatch(packet: MQTTVersion, connection: MQTTVersion)
}
