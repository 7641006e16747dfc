import NIOCore

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

extension MQTTPacket {
    /// CONNECT (MQTT 5 section 3.1).
    public struct Connect: Sendable, Hashable {
        /// The protocol level written in the packet.
        public var version: MQTTVersion
        public var clientID: String
        /// "Clean Session" in 3.1.1.
        public var cleanStart: Bool
        /// Seconds; 0 turns keepalive off.
        public var keepAlive: UInt16
        public var username: String?
        public var password: ByteBuffer?
        public var will: Will?
        public var properties: MQTTProperties

        public init(
            version: MQTTVersion,
            clientID: String,
            cleanStart: Bool = true,
            keepAlive: UInt16 = 60,
            username: String? = nil,
            password: ByteBuffer? = nil,
            will: Will? = nil,
            properties: MQTTProperties = []
        ) {
            self.version = version
            self.clientID = clientID
            self.cleanStart = cleanStart
            self.keepAlive = keepAlive
            self.username = username
            self.password = password
            self.will = will
            self.properties = properties
        }
    }

    /// The will message of a CONNECT.
    public struct Will: Sendable, Hashable {
        public var topic: String
        public var payload: ByteBuffer
        public var qos: QoS
        public var retain: Bool
        /// MQTT 5 will properties.
        public var properties: MQTTProperties

        public init(topic: String, payload: ByteBuffer, qos: QoS = .atMostOnce, retain: Bool = false, properties: MQTTProperties = []) {
            self.topic = topic
            self.payload = payload
            self.qos = qos
            self.retain = retain
            self.properties = properties
        }
    }

    /// CONNACK (MQTT 5 section 3.2). On 3.1.1 the return code is mapped to a reason code.
    public struct Connack: Sendable, Hashable {
        public var sessionPresent: Bool
        public var reasonCode: MQTTReasonCode
        public var properties: MQTTProperties

        public init(sessionPresent: Bool = false, reasonCode: MQTTReasonCode = .success, properties: MQTTProperties = []) {
            self.sessionPresent = sessionPresent
            self.reasonCode = reasonCode
            self.properties = properties
        }
    }

    /// PUBLISH (MQTT 5 section 3.3).
    public struct Publish: Sendable, Hashable {
        /// May be empty on MQTT 5 when the properties carry a topic alias.
        public var topic: String
        /// A slice of the received bytes when decoded; written as is when encoded.
        public var payload: ByteBuffer
        public var qos: QoS
        public var retain: Bool
        public var dup: Bool
        /// Present (and not 0) exactly when `qos` is above `.atMostOnce`.
        public var packetID: UInt16?
        public var properties: MQTTProperties

        public init(
            topic: String,
            payload: ByteBuffer,
            qos: QoS = .atMostOnce,
            retain: Bool = false,
            dup: Bool = false,
            packetID: UInt16? = nil,
            properties: MQTTProperties = []
        ) {
            self.topic = topic
            self.payload = payload
            self.qos = qos
            self.retain = retain
            self.dup = dup
            self.packetID = packetID
            self.properties = properties
        }
    }

    /// PUBACK, PUBREC, PUBREL or PUBCOMP (MQTT 5 sections 3.4 to 3.7).
    ///
    /// MQTT 5 omits the reason code and properties on the wire when the code is success
    /// and there are no properties; 3.1.1 has neither.
    public struct PublishAck: Sendable, Hashable {
        public var packetID: UInt16
        public var reasonCode: MQTTReasonCode
        public var properties: MQTTProperties

        public init(packetID: UInt16, reasonCode: MQTTReasonCode = .success, properties: MQTTProperties = []) {
            self.packetID = packetID
            self.reasonCode = reasonCode
            self.properties = properties
        }
    }

    /// SUBSCRIBE (MQTT 5 section 3.8).
    public struct Subscribe: Sendable, Hashable {
        public var packetID: UInt16
        /// At least one.
        public var subscriptions: [Subscription]
        public var properties: MQTTProperties

        public init(packetID: UInt16, subscriptions: [Subscription], properties: MQTTProperties = []) {
            self.packetID = packetID
            self.subscriptions = subscriptions
            self.properties = properties
        }
    }

    /// One topic filter of a SUBSCRIBE with its options.
    public struct Subscription: Sendable, Hashable {
        public var topicFilter: String
        /// The maximum QoS the broker may send with.
        public var qos: QoS
        /// MQTT 5: do not receive one's own publications.
        public var noLocal: Bool
        /// MQTT 5: keep the retain flag as published instead of clearing it.
        public var retainAsPublished: Bool
        /// MQTT 5: when retained messages are sent.
        public var retainHandling: RetainHandling

        public init(
            topicFilter: String,
            qos: QoS = .atLeastOnce,
            noLocal: Bool = false,
            retainAsPublished: Bool = false,
            retainHandling: RetainHandling = .sendOnSubscribe
        ) {
            self.topicFilter = topicFilter
            self.qos = qos
            self.noLocal = noLocal
            self.retainAsPublished = retainAsPublished
            self.retainHandling = retainHandling
        }
    }

    /// MQTT 5 retain handling subscription option.
    public enum RetainHandling: UInt8, Sendable, Hashable, CaseIterable {
        case sendOnSubscribe = 0
        case sendOnNewSubscription = 1
        case doNotSend = 2
    }

    /// SUBACK (MQTT 5 section 3.9): one reason code per topic filter, in order.
    public struct Suback: Sendable, Hashable {
        public var packetID: UInt16
        public var reasonCodes: [MQTTReasonCode]
        public var properties: MQTTProperties

        public init(packetID: UInt16, reasonCodes: [MQTTReasonCode], properties: MQTTProperties = []) {
            self.packetID = packetID
            self.reasonCodes = reasonCodes
            self.properties = properties
        }
    }

    /// UNSUBSCRIBE (MQTT 5 section 3.10).
    public struct Unsubscribe: Sendable, Hashable {
        public var packetID: UInt16
        /// At least one.
        public var topicFilters: [String]
        public var properties: MQTTProperties

        public init(packetID: UInt16, topicFilters: [String], properties: MQTTProperties = []) {
            self.packetID = packetID
            self.topicFilters = topicFilters
            self.properties = properties
        }
    }

    /// UNSUBACK (MQTT 5 section 3.11). 3.1.1 has no reason codes: the list is empty there.
    public struct Unsuback: Sendable, Hashable {
        public var packetID: UInt16
        public var reasonCodes: [MQTTReasonCode]
        public var properties: MQTTProperties

        public init(packetID: UInt16, reasonCodes: [MQTTReasonCode] = [], properties: MQTTProperties = []) {
            self.packetID = packetID
            self.reasonCodes = reasonCodes
            self.properties = properties
        }
    }

    /// DISCONNECT (MQTT 5 section 3.14). 3.1.1 has neither reason code nor properties.
    public struct Disconnect: Sendable, Hashable {
        public var reasonCode: MQTTReasonCode
        public var properties: MQTTProperties

        public init(reasonCode: MQTTReasonCode = .normalDisconnection, properties: MQTTProperties = []) {
            self.reasonCode = reasonCode
            self.properties = properties
        }
    }

    /// AUTH (MQTT 5 section 3.15).
    public struct Auth: Sendable, Hashable {
        public var reasonCode: MQTTReasonCode
        public var properties: MQTTProperties

        public init(reasonCode: MQTTReasonCode = .success, properties: MQTTProperties = []) {
            self.reasonCode = reasonCode
            self.properties = properties
        }
    }
}
