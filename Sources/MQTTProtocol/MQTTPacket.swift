/// Every MQTT 3.1.1 and 5 control packet.
///
/// One model serves both versions: fields that only MQTT 5 has (properties, most reason
/// codes) are empty or success on 3.1.1, and the encoder refuses values 3.1.1 cannot carry.
public enum MQTTPacket: Sendable, Hashable {
    case connect(Connect)
    case connack(Connack)
    case publish(Publish)
    case puback(PublishAck)
    case pubrec(PublishAck)
    case pubrel(PublishAck)
    case pubcomp(PublishAck)
    case subscribe(Subscribe)
    case suback(Suback)
    case unsubscribe(Unsubscribe)
    case unsuback(Unsuback)
    case pingreq
    case pingresp
    case disconnect(Disconnect)
    /// MQTT 5 only.
    case auth(Auth)

    /// The control packet type.
    public var type: MQTTPacketType {
        switch self {
        case .connect: .connect
        case .connack: .connack
        case .publish: .publish
        case .puback: .puback
        case .pubrec: .pubrec
        case .pubrel: .pubrel
        case .pubcomp: .pubcomp
        case .subscribe: .subscribe
        case .suback: .suback
        case .unsubscribe: .unsubscribe
        case .unsuback: .unsuback
        case .pingreq: .pingreq
        case .pingresp: .pingresp
        case .disconnect: .disconnect
        case .auth: .auth
        }
    }
}
