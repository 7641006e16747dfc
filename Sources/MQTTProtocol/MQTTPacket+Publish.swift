import NIOCore

extension MQTTPacket {
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
}
