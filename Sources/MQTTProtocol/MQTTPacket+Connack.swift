extension MQTTPacket {
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
}
