import NIOCore

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
}
