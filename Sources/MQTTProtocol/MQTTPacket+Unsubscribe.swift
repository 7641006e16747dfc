extension MQTTPacket {
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
}
